/*
 * sandbox.h - a process gives up what it does not need, in layers: an
 * unprivileged user (when started as root), no_new_privs, a Landlock
 * ruleset and a seccomp filter (libseccomp).  The first building block of
 * privilege separation (issue 15): the key process and the network
 * process each enter one profile before they read anything untrusted.
 *
 * Linux only.  Once entered, a sandbox cannot be left: enter it in the
 * process (or the child) that is to live in it, after it has opened and
 * loaded all it needs (keys, libraries, the descriptors it talks over),
 * and before it starts a thread: the user and the seccomp filter hold
 * for every thread, but Landlock only for the one that enters and the
 * threads it starts afterwards.
 */
#ifndef ACMEC_SANDBOX_H
#define ACMEC_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/*
 * What the process may still do.  The first two profiles refuse with
 * EPERM any system call they do not list (so that a libc or library that
 * changes the calls it makes gets an error it can handle, never a dead
 * process), and kill the process (SIGSYS) on the calls no acmec process
 * ever needs once sandboxed, whatever it was tricked into: execve,
 * execveat, fork, vfork, clone of a new process (not a thread), ptrace,
 * process_vm_readv and process_vm_writev.  Nothing that creates,
 * removes, renames, links or changes a file is on either list.  The
 * third, for the process that writes files, lists what it may not do.
 */
enum sandbox_profile {
	/*
	 * Only the descriptors it holds: read and write them, send and
	 * receive over a socketpair, allocate memory (no new executable
	 * mappings), the clock, getrandom.  No file can be opened, no
	 * thread started.  For a key process that signs over a socketpair.
	 */
	SANDBOX_COMPUTE,
	/*
	 * SANDBOX_COMPUTE, plus what libcurl with its threaded resolver,
	 * OpenSSL and nghttp2 need: IPv4, IPv6, netlink and Unix sockets,
	 * epoll, poll, pipes, eventfds, threads; and files opened read-only
	 * (seccomp refuses any open for writing), which Landlock limits to
	 * the CA certificates and the resolver's files (sandbox.c lists them)
	 * and sandbox_spec's read_paths.
	 */
	SANDBOX_NETWORK,
	/*
	 * The main process once it talks to the CA: it parses the CA's
	 * answers and writes the files, so it keeps its user (it writes
	 * root's files) and every call but the kill list, which also has
	 * mount, module and reboot calls but not fork (it still starts the
	 * key processes).  Landlock (nothing without it) lets it create,
	 * change or remove files only beneath sandbox_spec's write_paths,
	 * and run no program; seccomp refuses (EPERM) the calls that change
	 * a file by name past Landlock: chmod, chown, truncate, setxattr.
	 * Hooks run in the hook runner (hookproc.h), started before.
	 */
	SANDBOX_FILES,
};

/* How hard to insist on the layers (--sandbox=auto|require|off). */
enum sandbox_mode {
	SANDBOX_AUTO,		/* every layer the kernel offers; report the rest */
	SANDBOX_REQUIRE,	/* a layer the kernel lacks is an error */
	SANDBOX_OFF,		/* give up nothing */
};

/*
 * "auto", "require" or "off" into *m; anything else is refused with
 * "--sandbox: unknown mode 'X'; give auto, require or off".
 */
int sandbox_mode_parse(const char *s, enum sandbox_mode *m, struct err *e);

/*
 * The user a sandboxed process started as root runs as.  A packager who
 * creates a system user for acmec names it at build time with
 * `./configure --with-sandbox-user=NAME` (it must exist on the host).
 */
#ifndef SANDBOX_DEFAULT_USER
#define SANDBOX_DEFAULT_USER "nobody"
#endif

struct sandbox_spec {
	enum sandbox_profile	profile;
	enum sandbox_mode	mode;
	/* Who to become if running as root; NULL: SANDBOX_DEFAULT_USER. */
	const char		*user;
	/*
	 * SANDBOX_NETWORK: more files or directories to read besides the
	 * built-in ones (a --ca-bundle), NULL-terminated; or NULL.  Borrowed,
	 * used only during the call.  A path that does not exist is skipped.
	 */
	const char *const	*read_paths;
	/*
	 * SANDBOX_FILES: the directories beneath which files may change,
	 * NULL-terminated.  One that does not exist yet is allowed through
	 * its nearest existing parent, where it will be made.  Borrowed.
	 */
	const char *const	*write_paths;
};

/*
 * Enter the sandbox s describes, in this order: when any of the real,
 * effective or saved user IDs is 0 (and the profile is not SANDBOX_FILES),
 * become s->user (its group only, all three IDs) and check that root
 * cannot be regained; set no_new_privs;
 * restrict with Landlock (ABI 1 and up); load the seccomp filter.
 *
 * SANDBOX_AUTO skips the layers the kernel does not offer, SANDBOX_REQUIRE
 * refuses them before giving up anything ("the sandbox needs Landlock,
 * which this kernel does not offer ...; --sandbox=auto runs without it").
 * The user drop is never skipped: a missing user or one that is root is
 * an error in both modes, and so is any layer that fails to apply.
 *
 * report (if reportlen > 0) gets one line for -v, whatever the result:
 * "user: nobody, no_new_privs: yes, landlock: yes (ABI 4), seccomp: yes",
 * with "not offered by this kernel" for a layer skipped, "sandbox: off"
 * for SANDBOX_OFF.  On -1 the process may be half-sandboxed: exit.
 */
int sandbox_enter(const struct sandbox_spec *s, char *report,
    size_t reportlen, struct err *e);

/*
 * The seam under sandbox_enter, for tests that pretend a kernel lacks a
 * layer: sandbox_probe says what this kernel offers, sandbox_enter_with
 * enters as if the kernel offered what k says (a layer k has and the
 * kernel lacks fails to apply).
 */
struct sandbox_kernel {
	bool	seccomp;	/* seccomp filters */
	int	landlock_abi;	/* Landlock ABI version; 0: none */
	bool	valgrind;	/* under valgrind: neither layer holds */
};
void sandbox_probe(struct sandbox_kernel *k);
int sandbox_enter_with(const struct sandbox_kernel *k,
    const struct sandbox_spec *s, char *report, size_t reportlen,
    struct err *e);

#endif
