/*
 * sandbox.c - the layers a process gives up: the user, no_new_privs,
 * Landlock, seccomp.  See sandbox.h for what each profile may still do.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/landlock.h>
#include <pwd.h>
#include <sched.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"

/*
 * Valgrind runs a program's system calls itself, with executable
 * memory for its translations, and does not know the Landlock calls:
 * under it neither layer can hold, so they count as missing.
 */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

/* Opens with any of these write or create a file: never allowed. */
#define OPEN_WRITE_BITS	(O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)

/*
 * What SANDBOX_NETWORK may read under Landlock: the CA certificates
 * (OpenSSL's default file and directory, the links in them lead to
 * /usr/share/ca-certificates and /etc/ca-certificates), the files
 * glibc's resolver reads for getaddrinfo, and the time zone (glibc's
 * localtime reads it; a TLS handshake calls that).
 */
static const char *const network_paths[] = {
	"/etc/ssl", "/usr/lib/ssl", "/usr/share/ca-certificates",
	"/etc/ca-certificates", "/etc/resolv.conf", "/etc/hosts",
	"/etc/nsswitch.conf", "/etc/gai.conf", "/etc/host.conf",
	"/etc/localtime", "/usr/share/zoneinfo", NULL,
};

/*
 * Allowed in both profiles: descriptors already held, memory, time,
 * randomness, signals to nobody else, the way out.  fstat is newfstatat
 * in glibc 2.33 and later; sigaltstack and sched_yield are for ASan.
 */
static const int compute_calls[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(lseek),
	SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(recvfrom),
	SCMP_SYS(sendto), SCMP_SYS(shutdown), SCMP_SYS(close),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(fcntl),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(munmap), SCMP_SYS(mremap),
	SCMP_SYS(brk), SCMP_SYS(madvise), SCMP_SYS(futex),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
	SCMP_SYS(gettimeofday), SCMP_SYS(getrandom), SCMP_SYS(getpid),
	SCMP_SYS(gettid), SCMP_SYS(getuid), SCMP_SYS(geteuid),
	SCMP_SYS(getgid), SCMP_SYS(getegid), SCMP_SYS(rt_sigaction),
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(sigaltstack), SCMP_SYS(sched_yield),
	SCMP_SYS(restart_syscall), SCMP_SYS(exit), SCMP_SYS(exit_group),
};

/*
 * Added for SANDBOX_NETWORK: what libcurl (threaded resolver, multi
 * handle), nghttp2, OpenSSL and glibc's resolver call.  socket and
 * socketpair are allowed by domain, open and openat by their flags, new
 * threads by clone's flags (network_rules).
 */
static const int network_calls[] = {
	SCMP_SYS(connect), SCMP_SYS(bind), SCMP_SYS(getsockopt),
	SCMP_SYS(setsockopt), SCMP_SYS(getsockname), SCMP_SYS(getpeername),
	SCMP_SYS(sendmmsg), SCMP_SYS(recvmmsg), SCMP_SYS(epoll_create1),
	SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait),
	SCMP_SYS(pipe2), SCMP_SYS(eventfd2), SCMP_SYS(select),
	SCMP_SYS(pselect6), SCMP_SYS(getdents64), SCMP_SYS(statx),
	SCMP_SYS(faccessat), SCMP_SYS(faccessat2), SCMP_SYS(access),
	SCMP_SYS(uname), SCMP_SYS(mmap), SCMP_SYS(mprotect),
	SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(sched_getaffinity),
};

/*
 * Killed in SANDBOX_COMPUTE and SANDBOX_NETWORK: starting a program or
 * another process, and reading or writing another process's memory.  No
 * library has a reason to call them here; dying stops an exploit at its
 * first try.
 */
static const int kill_calls[] = {
	SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(fork), SCMP_SYS(vfork),
	SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv),
	SCMP_SYS(process_vm_writev),
};

/* LeakSanitizer stops the world with ptrace when the process exits. */
#if defined(__SANITIZE_ADDRESS__)
#define LEAK_CHECKER_TRACES 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define LEAK_CHECKER_TRACES 1
#endif
#endif

/*
 * Killed in SANDBOX_FILES, which keeps every other call: starting a
 * program, another process's memory, and what only an administrator
 * does.  fork stays: the main process starts the key processes.
 * Landlock also keeps it from tracing a process outside its domain.
 */
static const int files_kill_calls[] = {
	SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(process_vm_readv),
	SCMP_SYS(process_vm_writev), SCMP_SYS(mount), SCMP_SYS(umount2),
	SCMP_SYS(pivot_root), SCMP_SYS(chroot), SCMP_SYS(init_module),
	SCMP_SYS(finit_module), SCMP_SYS(delete_module),
	SCMP_SYS(kexec_load), SCMP_SYS(kexec_file_load), SCMP_SYS(reboot),
	SCMP_SYS(swapon), SCMP_SYS(swapoff),
#ifndef LEAK_CHECKER_TRACES
	SCMP_SYS(ptrace),
#endif
};

/*
 * Refused (EPERM) in SANDBOX_FILES: the calls that change a file by its
 * name, which Landlock's ABI 1 to 3 do not cover.  acmec changes modes
 * and owners only through the descriptors it created (fchmod, fchown).
 */
static const int files_refused_calls[] = {
	SCMP_SYS(chmod), SCMP_SYS(fchmodat), SCMP_SYS(chown),
	SCMP_SYS(lchown), SCMP_SYS(fchownat), SCMP_SYS(truncate),
	SCMP_SYS(setxattr), SCMP_SYS(lsetxattr), SCMP_SYS(removexattr),
	SCMP_SYS(lremovexattr), SCMP_SYS(mknod), SCMP_SYS(mknodat),
};

/* SANDBOX_FILES may read anything, and never makes a device or a FIFO. */
#define FILES_UNHANDLED	(LANDLOCK_ACCESS_FS_READ_FILE | \
    LANDLOCK_ACCESS_FS_READ_DIR)
#define FILES_NEVER	(LANDLOCK_ACCESS_FS_EXECUTE | \
    LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_BLOCK | \
    LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO)

/* The rights a rule on a file (not a directory) may name. */
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
#define FILE_RIGHTS	(LANDLOCK_ACCESS_FS_EXECUTE | \
    LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE | \
    LANDLOCK_ACCESS_FS_TRUNCATE)
#else
#define FILE_RIGHTS	(LANDLOCK_ACCESS_FS_EXECUTE | \
    LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE)
#endif

int
sandbox_mode_parse(const char *s, enum sandbox_mode *m, struct err *e)
{
	if (strcmp(s, "auto") == 0)
		*m = SANDBOX_AUTO;
	else if (strcmp(s, "require") == 0)
		*m = SANDBOX_REQUIRE;
	else if (strcmp(s, "off") == 0)
		*m = SANDBOX_OFF;
	else {
		err_set(e, "--sandbox: unknown mode '%s'; give auto, require "
		    "or off", s);
		return -1;
	}
	return 0;
}

/* Append ", text" (or text, first) to the report, cut to fit. */
static void say(char *report, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(char *report, size_t len, const char *fmt, ...)
{
	size_t used;
	va_list ap;

	if (len == 0)
		return;
	used = strlen(report);
	if (used > 0 && used + 2 < len)
		used += (size_t)snprintf(report + used, len - used, ", ");
	va_start(ap, fmt);
	vsnprintf(report + used, len - used, fmt, ap);
	va_end(ap);
}

void
sandbox_probe(struct sandbox_kernel *k)
{
	long abi;

	k->seccomp = false;
	k->landlock_abi = 0;
	if ((k->valgrind = RUNNING_ON_VALGRIND) != 0)
		return;
	/* EINVAL: a kernel built without CONFIG_SECCOMP. */
	k->seccomp = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0;
	/* ENOSYS when not built in, EOPNOTSUPP when not in lsm= at boot. */
	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	k->landlock_abi = abi > 0 ? (int)abi : 0;
}

/*
 * Become user (all three IDs, its group only) and make sure there is no
 * way back: a setuid(0) that works means we are still root somehow.
 */
static int
drop_user(const char *user, struct err *e)
{
	struct passwd *pw;
	uid_t uid, r, ef, sv;
	gid_t gid;

	if ((pw = getpwnam(user)) == NULL) {
		err_set(e, "sandbox user %s does not exist: create it "
		    "(useradd --system %s) or build acmec with "
		    "--with-sandbox-user=NAME", user, user);
		return -1;
	}
	if (pw->pw_uid == 0 || pw->pw_gid == 0) {
		err_set(e, "sandbox user %s is root or in group 0: choose an "
		    "unprivileged user (--with-sandbox-user=NAME)", user);
		return -1;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1) {
		err_errno(e, "cannot become sandbox user %s", user);
		return -1;
	}
	if (setuid(0) != -1 || setgid(0) != -1 ||
	    getresuid(&r, &ef, &sv) == -1 || r == 0 || ef == 0 || sv == 0) {
		err_set(e, "still root after becoming sandbox user %s: "
		    "refusing to go on", user);
		return -1;
	}
	return 0;
}

/* The filesystem rights this Landlock ABI knows and the header names. */
static __u64
landlock_rights(int abi)
{
	__u64 rights = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;

	if (abi >= 2)
		rights |= LANDLOCK_ACCESS_FS_REFER;
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
	if (abi >= 3)
		rights |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
	return rights;
}

/*
 * Let the ruleset do rights (of those it handles) on path, a file, or a
 * directory and what is below.  fd: path opened O_PATH, closed here.
 */
static int
landlock_allow(int ruleset, int fd, const char *path, __u64 rights,
    struct err *e)
{
	struct landlock_path_beneath_attr rule = { 0 };
	struct stat st;
	int rc = -1;

	rule.parent_fd = fd;
	if (fstat(fd, &st) == -1) {
		err_errno(e, "landlock: cannot stat %s", path);
		goto out;
	}
	/* Directory rights on a file are EINVAL. */
	rule.allowed_access = S_ISDIR(st.st_mode) ? rights :
	    rights & FILE_RIGHTS;
	if (rule.allowed_access != 0 && syscall(SYS_landlock_add_rule,
	    ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) == -1) {
		err_errno(e, "landlock: cannot allow %s", path);
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

/* Let the ruleset read path; nothing there to read: nothing to allow. */
static int
landlock_allow_read(int ruleset, const char *path, struct err *e)
{
	int fd;

	if ((fd = open(path, O_PATH | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		err_errno(e, "landlock: cannot open %s", path);
		return -1;
	}
	return landlock_allow(ruleset, fd, path, LANDLOCK_ACCESS_FS_READ_FILE |
	    LANDLOCK_ACCESS_FS_READ_DIR, e);
}

/*
 * Let the ruleset change files beneath path, or beneath its nearest
 * existing parent when path is yet to be made.
 */
static int
landlock_allow_write(int ruleset, const char *path, __u64 rights,
    struct err *e)
{
	char copy[PATH_MAX], *slash;
	int fd;

	if (snprintf(copy, sizeof copy, "%s", path) >= (int)sizeof copy) {
		err_set(e, "landlock: %s: the path is too long", path);
		return -1;
	}
	while ((fd = open(copy, O_PATH | O_CLOEXEC)) == -1 && errno == ENOENT &&
	    strcmp(copy, "/") != 0 && strcmp(copy, ".") != 0) {
		if ((slash = strrchr(copy, '/')) == NULL)
			strcpy(copy, ".");
		else
			slash[slash == copy] = '\0';
	}
	if (fd == -1) {
		err_errno(e, "landlock: cannot open %s", copy);
		return -1;
	}
	return landlock_allow(ruleset, fd, copy, rights, e);
}

/* Allow what profile s may read or change. */
static int
landlock_rules(int ruleset, const struct sandbox_spec *s, __u64 handled,
    struct err *e)
{
	const char *const *p;
	__u64 writes;

	if (s->profile == SANDBOX_NETWORK) {
		for (p = network_paths; *p != NULL; p++)
			if (landlock_allow_read(ruleset, *p, e) == -1)
				return -1;
		for (p = s->read_paths; p != NULL && *p != NULL; p++)
			if (landlock_allow_read(ruleset, *p, e) == -1)
				return -1;
	}
	if (s->profile == SANDBOX_FILES) {
		writes = handled & ~(__u64)FILES_NEVER;
		for (p = s->write_paths; p != NULL && *p != NULL; p++)
			if (landlock_allow_write(ruleset, *p, writes, e) == -1)
				return -1;
	}
	return 0;
}

/*
 * A ruleset that allows only what s may do: it handles every right, but
 * for SANDBOX_FILES the two that read.
 */
static int
enter_landlock(int abi, const struct sandbox_spec *s, struct err *e)
{
	struct landlock_ruleset_attr attr = { 0 };
	int fd, rc = -1;

	attr.handled_access_fs = landlock_rights(abi);
	if (s->profile == SANDBOX_FILES)
		attr.handled_access_fs &= ~(__u64)FILES_UNHANDLED;
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
	if (fd == -1) {
		err_errno(e, "landlock: cannot create a ruleset");
		return -1;
	}
	if (landlock_rules(fd, s, attr.handled_access_fs, e) == -1)
		goto out;
	if (syscall(SYS_landlock_restrict_self, fd, 0) == -1) {
		err_errno(e, "landlock: cannot restrict the process");
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

static int
add_calls(scmp_filter_ctx ctx, uint32_t action, const int *calls, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (seccomp_rule_add(ctx, action, calls[i], 0) < 0)
			return -1;
	return 0;
}

/*
 * The calls allowed only with some arguments.  clone3 hides its flags in
 * memory seccomp cannot read: ENOSYS makes glibc fall back to clone,
 * whose flags it can.  (The 0 after an SCMP_CMP_EQ datum is the unused
 * second one, spelt out for clang -Wextra.)
 */
static int
network_rules(scmp_filter_ctx ctx)
{
	static const int domains[] = { AF_UNIX, AF_INET, AF_INET6, AF_NETLINK };
	size_t i;

	for (i = 0; i < sizeof domains / sizeof domains[0]; i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
		    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)domains[i], 0)) < 0)
			return -1;
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 1,
	    SCMP_A0(SCMP_CMP_EQ, AF_UNIX, 0)) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, OPEN_WRITE_BITS, 0)) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
	    SCMP_A1(SCMP_CMP_MASKED_EQ, OPEN_WRITE_BITS, 0)) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
	    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3),
	    0) < 0)
		return -1;
	return 0;
}

/*
 * SANDBOX_FILES's filter: everything but its kill and refused lists, so
 * that nothing the main process does between the CA's answers (files,
 * memcached, forking a key process) depends on a list of calls.
 */
static scmp_filter_ctx
files_filter(void)
{
	scmp_filter_ctx ctx;

	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL)
		return NULL;
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) < 0 ||
	    add_calls(ctx, SCMP_ACT_KILL_PROCESS, files_kill_calls,
	    sizeof files_kill_calls / sizeof files_kill_calls[0]) == -1 ||
	    add_calls(ctx, SCMP_ACT_ERRNO(EPERM), files_refused_calls,
	    sizeof files_refused_calls / sizeof files_refused_calls[0]) ==
	    -1) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

static int
load_filter(scmp_filter_ctx ctx, struct err *e)
{
	int r;

	if ((r = seccomp_load(ctx)) < 0) {
		errno = -r;
		err_errno(e, "seccomp: cannot load the filter");
	}
	seccomp_release(ctx);
	return r < 0 ? -1 : 0;
}

/*
 * The filter of the two profiles that list what they may call: EPERM
 * for what is not listed, so that a call a new libc makes is an error,
 * not a death; the kill list for the never-allowed.  A write-open,
 * unlink, rename, mkdir, link, symlink, chmod, chown or truncate is
 * refused with that EPERM: it changes nothing either way, and a library
 * that tries one (a cache, a log) copes with an error.
 */
static scmp_filter_ctx
listed_filter(enum sandbox_profile profile)
{
	scmp_filter_ctx ctx;

	if ((ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM))) == NULL)
		return NULL;
	/* Every thread, not just this one: a resolver thread started early. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) < 0 ||
	    add_calls(ctx, SCMP_ACT_ALLOW, compute_calls,
	    sizeof compute_calls / sizeof compute_calls[0]) == -1 ||
	    add_calls(ctx, SCMP_ACT_KILL_PROCESS, kill_calls,
	    sizeof kill_calls / sizeof kill_calls[0]) == -1 ||
	    /* Any clone that is not a thread is a new process. */
	    seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 1,
	    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0)) < 0 ||
	    /* raise() and abort() signal only this process. */
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
	    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0)) < 0)
		goto fail;
	if (profile == SANDBOX_NETWORK) {
		if (add_calls(ctx, SCMP_ACT_ALLOW, network_calls,
		    sizeof network_calls / sizeof network_calls[0]) == -1 ||
		    network_rules(ctx) == -1)
			goto fail;
	} else if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) < 0)
		/* No code is loaded any more: memory is never made executable. */
		goto fail;
	return ctx;
fail:
	seccomp_release(ctx);
	return NULL;
}

static int
enter_seccomp(enum sandbox_profile profile, struct err *e)
{
	scmp_filter_ctx ctx;

	ctx = profile == SANDBOX_FILES ? files_filter() :
	    listed_filter(profile);
	if (ctx == NULL) {
		err_set(e, "seccomp: cannot build the filter (libseccomp "
		    "refused a rule, or out of memory)");
		return -1;
	}
	return load_filter(ctx, e);
}

static const char *
missing(const struct sandbox_kernel *k)
{
	return k->valgrind ? "not under valgrind" :
	    "not offered by this kernel";
}

/* SANDBOX_REQUIRE: refuse before giving anything up. */
static int
check_required(const struct sandbox_kernel *k, struct err *e)
{
	if (k->valgrind) {
		err_set(e, "the sandbox cannot hold under valgrind; "
		    "--sandbox=auto runs without it");
		return -1;
	}
	if (!k->seccomp) {
		err_set(e, "the sandbox needs seccomp, which this kernel does "
		    "not offer (CONFIG_SECCOMP_FILTER); --sandbox=auto runs "
		    "without it");
		return -1;
	}
	if (k->landlock_abi == 0) {
		err_set(e, "the sandbox needs Landlock, which this kernel does "
		    "not offer (Linux 5.13 or later, with landlock in the "
		    "lsm= boot parameter); --sandbox=auto runs without it");
		return -1;
	}
	return 0;
}

/* The user, then no_new_privs: Landlock needs it, so it goes first. */
static int
enter_identity(const struct sandbox_spec *s, char *report, size_t len,
    struct err *e)
{
	const char *user = s->user != NULL ? s->user : SANDBOX_DEFAULT_USER;
	uid_t r, ef, sv;

	if (getresuid(&r, &ef, &sv) == -1) {
		err_errno(e, "sandbox: getresuid");
		return -1;
	}
	if (s->profile == SANDBOX_FILES)
		say(report, len, "user: kept");
	else if (r == 0 || ef == 0 || sv == 0) {
		if (drop_user(user, e) == -1)
			return -1;
		say(report, len, "user: %s", user);
	} else
		say(report, len, "user: uid %u (not root, kept)", (unsigned)r);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		err_errno(e, "sandbox: cannot set no_new_privs");
		return -1;
	}
	say(report, len, "no_new_privs: yes");
	return 0;
}

int
sandbox_enter_with(const struct sandbox_kernel *k,
    const struct sandbox_spec *s, char *report, size_t len, struct err *e)
{
	if (len > 0)
		report[0] = '\0';
	if (s->mode == SANDBOX_OFF) {
		say(report, len, "sandbox: off");
		return 0;
	}
	if (s->mode == SANDBOX_REQUIRE && check_required(k, e) == -1)
		return -1;
	if (enter_identity(s, report, len, e) == -1)
		return -1;
	if (k->landlock_abi > 0) {
		if (enter_landlock(k->landlock_abi, s, e) == -1)
			return -1;
		say(report, len, "landlock: yes (ABI %d)", k->landlock_abi);
	} else
		say(report, len, "landlock: %s", missing(k));
	/* Last: the filter refuses the calls the layers above make. */
	if (k->seccomp) {
		if (enter_seccomp(s->profile, e) == -1)
			return -1;
		say(report, len, "seccomp: yes");
	} else
		say(report, len, "seccomp: %s", missing(k));
	return 0;
}

int
sandbox_enter(const struct sandbox_spec *s, char *report, size_t len,
    struct err *e)
{
	struct sandbox_kernel k = { .seccomp = false };

	/* Off makes no system call at all, not even a probe. */
	if (s->mode != SANDBOX_OFF)
		sandbox_probe(&k);
	return sandbox_enter_with(&k, s, report, len, e);
}
