/*
 * testutil.c - helpers shared by the cmocka unit tests (see testutil.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "b64url.h"
#include "sandbox.h"
#include "testutil.h"

int
tmpdir_create(struct tmpdir *t, const char *name)
{
	int n;

	n = snprintf(t->path, sizeof(t->path), "/tmp/acmec-test-%s-XXXXXX",
	    name);
	if (n < 0 || (size_t)n >= sizeof(t->path))
		return -1;
	if (mkdtemp(t->path) == NULL)
		return -1;
	t->umask = umask(022);
	return 0;
}

/* nftw(3) callback: remove one file or (emptied, FTW_DEPTH) directory. */
static int
remove_one(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
tmpdir_remove(struct tmpdir *t)
{
	umask(t->umask);
	nftw(t->path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int
tmpdir_setup(void **state, const char *name)
{
	struct tmpdir *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	if (tmpdir_create(t, name) == -1) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

int
tmpdir_teardown(void **state)
{
	struct tmpdir *t = *state;

	tmpdir_remove(t);
	free(t);
	return 0;
}

char *
path_in(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		fail_msg("asprintf");
	return p;
}

mode_t
mode_of(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == -1)
		fail_msg("lstat %s: %s", path, strerror(errno));
	return st.st_mode & 07777;
}

void
write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	if (fp == NULL)
		fail_msg("fopen %s: %s", path, strerror(errno));
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

void
write_text(const char *path, const char *text)
{
	write_file(path, text, strlen(text));
}

char *
read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = calloc(1, 65536);
	size_t n;

	if (fp == NULL || buf == NULL)
		fail_msg("open %s: %s", path, strerror(errno));
	n = fread(buf, 1, 65535, fp);
	fclose(fp);
	if (len != NULL)
		*len = n;
	return buf;
}

int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		fail_msg("opendir %s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

const char *
string_member(const json_t *obj, const char *name)
{
	const json_t *v = json_object_get(obj, name);

	if (!json_is_string(v))
		fail_msg("member \"%s\" missing or not a string", name);
	return json_string_value(v);
}

json_t *
decode_b64url_json(const char *b64)
{
	unsigned char *buf;
	json_error_t jerr;
	size_t len;
	json_t *v;

	if ((buf = b64url_decode(b64, &len)) == NULL)
		fail_msg("not base64url: %s", b64);
	v = json_loadb((const char *)buf, len, JSON_DECODE_ANY, &jerr);
	if (v == NULL)
		fail_msg("not JSON (%s): %.*s", jerr.text, (int)len, buf);
	free(buf);
	return v;
}

char *
signing_input_of(const json_t *jws)
{
	char *in;

	if (asprintf(&in, "%s.%s", string_member(jws, "protected"),
	    string_member(jws, "payload")) < 0)
		fail_msg("asprintf");
	return in;
}

void
assert_contains(const char *s, const char *part)
{
	if (s == NULL || strstr(s, part) == NULL)
		fail_msg("\"%s\" does not contain \"%s\"", s ? s : "(null)",
		    part);
}

char *
script_in(const char *dir, const char *name, const char *body)
{
	char *path = path_in(dir, name), *text;

	if (asprintf(&text, "#!/bin/sh\n%s", body) < 0)
		fail_msg("asprintf");
	write_text(path, text);
	free(text);
	if (chmod(path, 0755) == -1)
		fail_msg("chmod %s", path);
	return path;
}

int
in_child(int (*fn)(void *), void *arg)
{
	pid_t pid;
	int status;

	fflush(NULL);
	if ((pid = fork()) == -1)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) != pid)
		fail_msg("waitpid: %s", strerror(errno));
	return status;
}

pid_t
only_child(void)
{
	char path[64];
	long pid = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/children",
	    (long)getpid());
	if ((fp = fopen(path, "r")) == NULL || fscanf(fp, "%ld", &pid) != 1)
		fail_msg("cannot read %s", path);
	fclose(fp);
	return (pid_t)pid;
}

long
proc_status_field(pid_t pid, const char *name)
{
	char path[64], line[256];
	size_t n = strlen(name);
	long value = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		fail_msg("cannot read %s", path);
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, name, n) == 0 && line[n] == ':')
			value = strtol(line + n + 1, NULL, 10);
	fclose(fp);
	return value;
}

void
assert_holds_no_file(pid_t pid)
{
	char path[300], target[256], files[512] = "";
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	if ((dir = opendir(path)) == NULL)
		fail_msg("cannot list %s", path);
	/* Below 100: valgrind keeps descriptors of its own at the top. */
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.' || atoi(d->d_name) >= 100 ||
		    atoi(d->d_name) == 2)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/fd/%s", (long)pid,
		    d->d_name);
		memset(target, 0, sizeof(target));
		if (readlink(path, target, sizeof(target) - 1) > 0 &&
		    target[0] == '/' && strlen(files) + strlen(target) + 2 <
		    sizeof(files)) {
			strcat(files, target);
			strcat(files, " ");
		}
	}
	closedir(dir);
	assert_string_equal(files, "");
}

void
assert_sandboxed(pid_t pid)
{
	struct sandbox_kernel k;

	sandbox_probe(&k);
	assert_int_equal(proc_status_field(pid, "NoNewPrivs"), 1);
	if (k.seccomp && !k.valgrind)
		assert_int_equal(proc_status_field(pid, "Seccomp"), 2);
	if (geteuid() == 0)
		assert_int_not_equal(proc_status_field(pid, "Uid"), 0);
	assert_holds_no_file(pid);
}
