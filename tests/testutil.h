/*
 * testutil.h - helpers shared by the cmocka unit tests: a temporary
 * directory per test, whole-file reads and writes, and readers for the
 * flattened JWS objects of RFC 7515 section 7.2.2.
 *
 * A helper that cannot do its job fails the running test with fail_msg(),
 * so it has no error to return; the cmocka fixtures (tmpdir_setup and the
 * like) return -1 instead, as cmocka wants.  Returned strings are new: the
 * caller frees them.
 */
#ifndef ACMEC_TESTUTIL_H
#define ACMEC_TESTUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

/* A directory of its own for one test, under /tmp. */
struct tmpdir {
	char	path[64];	/* /tmp/acmec-test-NAME-XXXXXX */
	mode_t	umask;		/* the umask before tmpdir_create */
};

/*
 * Create t->path with mkdtemp(3), NAME naming the test program, and set
 * the umask to 022 so that the modes a test sees do not depend on the
 * caller's umask.  0, or -1 with nothing to undo.
 */
int tmpdir_create(struct tmpdir *t, const char *name);

/* Restore the umask and remove t->path with everything below it. */
void tmpdir_remove(struct tmpdir *t);

/*
 * cmocka setup for tests that need nothing but a temporary directory:
 * *state becomes a new struct tmpdir made by tmpdir_create.  Call it from
 * a setup function of one argument, which gives the name.
 */
int tmpdir_setup(void **state, const char *name);

/* cmocka teardown to go with tmpdir_setup: removes and frees *state. */
int tmpdir_teardown(void **state);

/* "DIR/NAME"; new string. */
char *path_in(const char *dir, const char *name);

/*
 * The permission bits of path (mode & 07777).  lstat(2): a symbolic link
 * is not followed, so it shows as a link rather than as its target.
 */
mode_t mode_of(const char *path);

/* Create or truncate path and write len bytes of data to it. */
void write_file(const char *path, const void *data, size_t len);

/* write_file of a NUL-terminated string, without the NUL. */
void write_text(const char *path, const char *text);

/*
 * The contents of a file of at most 64 KiB - 1, read with stdio (not with
 * the module under test), NUL-terminated; its length in *len unless len
 * is NULL.  New buffer.
 */
char *read_file(const char *path, size_t *len);

/* The number of entries in directory dir, besides "." and "..". */
int count_entries(const char *dir);

/*
 * The value of member name of a JSON object, which must be a string.
 * Borrowed from obj.
 */
const char *string_member(const json_t *obj, const char *name);

/*
 * The JSON value that base64url text encodes, as in the "protected" and
 * "payload" members of a JWS.  New reference.
 */
json_t *decode_b64url_json(const char *b64);

/*
 * The JWS Signing Input of a flattened JWS: its "protected" and "payload"
 * members joined by a dot (RFC 7515 section 5.1, step 8).  New string.
 */
char *signing_input_of(const json_t *jws);

/* An executable script DIR/name: "#!/bin/sh", then body; new path. */
char *script_in(const char *dir, const char *name, const char *body);

/*
 * Fork, run fn(arg) in the child and leave with _exit() (nothing of
 * cmocka's or ASan's exit handlers runs there), wait: its wait status.
 */
int in_child(int (*fn)(void *), void *arg);

/* The one child of this process (a key or network process), from /proc. */
pid_t only_child(void);

/* The number on the "Name:" line of /proc/PID/status (its first field). */
long proc_status_field(pid_t pid, const char *name);

/* Fail the test unless s contains part (s may be NULL). */
void assert_contains(const char *s, const char *part);

/* pid holds no descriptor of a file or directory, stderr aside. */
void assert_holds_no_file(pid_t pid);

/*
 * pid is in its sandbox: no_new_privs, a seccomp filter (where the
 * kernel has one and not under valgrind), not root (when we are), and
 * assert_holds_no_file.
 */
void assert_sandboxed(pid_t pid);

#endif
