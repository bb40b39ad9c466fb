/*
 * test_output.c - the output set: written into versions/N behind
 * current, switched by one rename, read back through OUT/NAME; the
 * migration of an older acmec's directory; what killed runs leave; the
 * checks before an order.
 *
 * statvfs, access and the calls that change the directory are wrapped
 * (-Wl,--wrap, see Makefile.am): statvfs and access to fake a full or
 * read-only disk, the others to kill a forked child at the Nth of them.
 */
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "key.h"
#include "output.h"
#include "testutil.h"

/* ------------------------------------------------------------ wrappers */

static bool fake_full, fake_read_only;
static int crash_at, crash_calls;

int __real_statvfs(const char *path, struct statvfs *buf);
int __real_access(const char *path, int mode);
int __real_mkdirat(int fd, const char *path, mode_t mode);
int __real_openat(int fd, const char *path, int flags, ...);
int __real_fsync(int fd);
int __real_symlinkat(const char *target, int fd, const char *path);
int __real_renameat(int ofd, const char *old, int nfd, const char *new);
int __real_unlinkat(int fd, const char *path, int flags);
int __wrap_statvfs(const char *path, struct statvfs *buf);
int __wrap_access(const char *path, int mode);
int __wrap_mkdirat(int fd, const char *path, mode_t mode);
int __wrap_openat(int fd, const char *path, int flags, ...);
int __wrap_fsync(int fd);
int __wrap_symlinkat(const char *target, int fd, const char *path);
int __wrap_renameat(int ofd, const char *old, int nfd, const char *new);
int __wrap_unlinkat(int fd, const char *path, int flags);

int
__wrap_statvfs(const char *path, struct statvfs *buf)
{
	int rc = __real_statvfs(path, buf);

	if (rc == 0 && fake_full) {
		buf->f_bavail = 1;
		buf->f_frsize = 4096;
	}
	return rc;
}

int
__wrap_access(const char *path, int mode)
{
	if (fake_read_only && (mode & W_OK)) {
		errno = EROFS;
		return -1;
	}
	return __real_access(path, mode);
}

/* A step of the switch: the child dies before the crash_at-th one. */
static void
step(void)
{
	if (crash_at > 0 && ++crash_calls == crash_at)
		_exit(137);
}

int
__wrap_mkdirat(int fd, const char *path, mode_t mode)
{
	step();
	return __real_mkdirat(fd, path, mode);
}

int
__wrap_openat(int fd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
		step();
	}
	return __real_openat(fd, path, flags, mode);
}

int
__wrap_fsync(int fd)
{
	step();
	return __real_fsync(fd);
}

int
__wrap_symlinkat(const char *target, int fd, const char *path)
{
	step();
	return __real_symlinkat(target, fd, path);
}

int
__wrap_renameat(int ofd, const char *old, int nfd, const char *new)
{
	step();
	return __real_renameat(ofd, old, nfd, new);
}

int
__wrap_unlinkat(int fd, const char *path, int flags)
{
	step();
	return __real_unlinkat(fd, path, flags);
}

/* ------------------------------------------------------------ sets */

static EVP_PKEY *ca_key;
static X509 *ca;

/* Generation gen of the set: its own key, leaf "gGEN.example" + ca. */
struct set {
	EVP_PKEY	*key;
	char		*key_pem;
	STACK_OF(X509)	*chain;
};

static X509 *
make_cert(EVP_PKEY *key, const char *cn, EVP_PKEY *signer)
{
	X509 *x = X509_new();

	assert_non_null(x);
	assert_true(X509_set_version(x, 2));
	assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), 1));
	assert_true(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0));
	assert_true(X509_set_issuer_name(x, ca != NULL ?
	    X509_get_subject_name(ca) : X509_get_subject_name(x)));
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	assert_true(X509_set_pubkey(x, key));
	if (ca != NULL) {
		char san[40];
		X509V3_CTX ctx;
		X509_EXTENSION *ext;

		snprintf(san, sizeof(san), "DNS:%s", cn);
		X509V3_set_ctx(&ctx, ca, x, NULL, NULL, 0);
		assert_non_null(ext = X509V3_EXT_conf_nid(NULL, &ctx,
		    NID_subject_alt_name, san));
		assert_true(X509_add_ext(x, ext, -1));
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(x, signer, EVP_sha256()));
	return x;
}

static void
set_make(struct set *s, int gen, EVP_PKEY *same_key)
{
	struct err e;
	char cn[32];

	s->key = same_key;
	if (s->key == NULL)
		assert_non_null(s->key = key_generate(KEY_EC256, &e));
	else
		EVP_PKEY_up_ref(s->key);
	assert_non_null(s->key_pem = key_to_pem(s->key, &e));
	snprintf(cn, sizeof(cn), "g%d.example", gen);
	assert_non_null(s->chain = sk_X509_new_null());
	sk_X509_push(s->chain, make_cert(s->key, cn, ca_key));
	X509_up_ref(ca);
	sk_X509_push(s->chain, ca);
}

static void
set_free(struct set *s)
{
	EVP_PKEY_free(s->key);
	free(s->key_pem);
	cert_chain_free(s->chain);
}

static int
group_setup(void **state)
{
	(void)state;
	ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ca = make_cert(ca_key, "acmec test CA", ca_key);
	return ca == NULL ? -1 : 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return 0;
}

static int
setup(void **state)
{
	return tmpdir_setup(state, "output");
}

/* DIR/NAME, read through the links if it exists; NULL if not. */
static char *
shown(const char *dir, const char *name)
{
	char *path = path_in(dir, name), *text = NULL;

	if (access(path, F_OK) == 0)
		text = read_file(path, NULL);
	free(path);
	return text;
}

/*
 * The generation the set in dir shows, checked whole and matching: cert
 * + chain = fullchain, the key is the certificate's.  0 if no name exists;
 * with all, every name must.
 */
static int
shown_gen(const char *dir, bool all)
{
	char *key = shown(dir, "privkey.pem"), *cert = shown(dir, "cert.pem");
	char *chain = shown(dir, "chain.pem"), *full = shown(dir,
	    "fullchain.pem"), *both;
	int gen = 0;

	if (all || (cert != NULL && chain != NULL && full != NULL)) {
		assert_non_null(cert);
		assert_non_null(chain);
		assert_non_null(full);
		both = malloc(strlen(cert) + strlen(chain) + 1);
		assert_non_null(both);
		strcpy(both, cert);
		strcat(both, chain);
		assert_string_equal(both, full);
		free(both);
	}
	if (cert != NULL) {
		BIO *b = BIO_new_mem_buf(cert, -1);
		X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
		char cn[32] = "";

		assert_non_null(x);
		X509_NAME_get_text_by_NID(X509_get_subject_name(x),
		    NID_commonName, cn, sizeof(cn));
		assert_int_equal(sscanf(cn, "g%d.", &gen), 1);
		if (all || key != NULL) {
			BIO *kb = BIO_new_mem_buf(key, -1);
			EVP_PKEY *k = PEM_read_bio_PrivateKey(kb, NULL, NULL,
			    NULL);

			assert_non_null(k);
			assert_int_equal(EVP_PKEY_eq(k, X509_get0_pubkey(x)),
			    1);
			EVP_PKEY_free(k);
			BIO_free(kb);
		}
		X509_free(x);
		BIO_free(b);
	} else	/* a new directory, links not all made yet */
		assert_false(all);
	free(key);
	free(cert);
	free(chain);
	free(full);
	return gen;
}

/* The target of link DIR/NAME, or "" if it is none. */
static const char *
link_of(const char *dir, const char *name)
{
	static char target[256];
	char *path = path_in(dir, name);
	ssize_t n = readlink(path, target, sizeof(target) - 1);

	free(path);
	target[n < 0 ? 0 : n] = '\0';
	return target;
}

/* A store_writer of the PEM text ctx, as the key process writes a key. */
static int
write_pem(void *ctx, int fd, struct err *e)
{
	const char *pem = ctx;

	if (write(fd, pem, strlen(pem)) == (ssize_t)strlen(pem))
		return 0;
	err_set(e, "short write");
	return -1;
}

static int
write_gen(const char *dir, struct set *s, bool new_key, struct err *e)
{
	char lock[300];
	struct output *o;
	int rc;

	snprintf(lock, sizeof(lock), "%s.lock", dir);
	if ((o = output_open(dir, lock, NULL, e)) == NULL)
		return -1;
	rc = output_write(o, new_key ? write_pem : NULL, s->key_pem, s->chain,
	    e);
	output_free(o);
	return rc;
}

/* ------------------------------------------------------------ tests */

static void
output_write__puts_the_set_behind_links_to_current(void **state)
{
	struct tmpdir *t = *state;
	char *out = path_in(t->path, "out"), *p;
	struct names names = { 0 };
	struct set s;
	struct err e;
	char lock[300];
	struct output *o;

	set_make(&s, 1, NULL);
	assert_int_equal(write_gen(out, &s, true, &e), 0);
	assert_int_equal(shown_gen(out, true), 1);
	assert_string_equal(link_of(out, "current"), "versions/1");
	assert_string_equal(link_of(out, "fullchain.pem"),
	    "current/fullchain.pem");
	assert_string_equal(link_of(out, "privkey.pem"), "current/privkey.pem");
	p = path_in(out, "versions/1/privkey.pem");
	assert_int_equal(mode_of(p), 0600);
	free(p);
	p = path_in(out, "versions/1/cert.pem");
	assert_int_equal(mode_of(p), 0644);
	free(p);
	p = path_in(out, "versions/1");
	assert_int_equal(mode_of(p), 0700);
	free(p);
	assert_int_equal(mode_of(out), 0700);

	/* Read back through the links, as the next run does. */
	snprintf(lock, sizeof(lock), "%s.lock", out);
	assert_non_null(o = output_open(out, lock, NULL, &e));
	assert_int_equal(output_current_names(o, &names, &e), 0);
	assert_int_equal(names.n, 1);
	assert_string_equal(names.v[0], "g1.example");
	names_clear(&names);
	{
		EVP_PKEY *k = key_load(output_key_path(o),
		    STORE_GROUP_READ, &e);

		assert_int_equal(EVP_PKEY_eq(k, s.key), 1);
		EVP_PKEY_free(k);
	}
	output_free(o);
	set_free(&s);
	free(out);
}

static void
output_write__switches_current_and_keeps_three_versions(void **state)
{
	struct tmpdir *t = *state;
	char *out = path_in(t->path, "out"), *versions, want[32], *key, *p;
	struct set s[5];
	struct err e;

	for (int i = 0; i < 5; i++) {
		/* Generation 3 renews 2 with its key: no key is passed. */
		set_make(&s[i], i + 1, i == 2 ? s[1].key : NULL);
		assert_int_equal(write_gen(out, &s[i], i != 2, &e), 0);
		snprintf(want, sizeof(want), "versions/%d", i + 1);
		assert_string_equal(link_of(out, "current"), want);
		assert_int_equal(shown_gen(out, true), i + 1);
		if (i == 2) {
			key = shown(out, "privkey.pem");
			assert_string_equal(key, s[1].key_pem);
			free(key);
			p = path_in(out, "versions/3/privkey.pem");
			assert_int_equal(mode_of(p), 0600);
			free(p);
		}
	}
	versions = path_in(out, "versions");
	assert_int_equal(count_entries(versions), OUTPUT_KEEP);
	for (int v = 3; v <= 5; v++) {
		snprintf(want, sizeof(want), "versions/%d", v);
		p = path_in(out, want);
		assert_int_equal(access(p, F_OK), 0);
		free(p);
	}
	/* OUT: four links, current, versions; nothing else. */
	assert_int_equal(count_entries(out), 6);
	for (int i = 0; i < 5; i++)
		set_free(&s[i]);
	free(versions);
	free(out);
}

static int
write_fails(void *ctx, int fd, struct err *e)
{
	(void)ctx, (void)fd;
	err_set(e, "the certificate key process ended");
	return -1;
}

/* The key process gone while the key is written: the set in place stays. */
static void
output_write__keeps_the_set_when_the_new_key_cannot_be_written(
    void **state)
{
	struct tmpdir *t = *state;
	char *out = path_in(t->path, "out"), lock[300];
	struct output *o;
	struct set s[2];
	struct err e = { "" };

	set_make(&s[0], 1, NULL);
	set_make(&s[1], 2, NULL);
	assert_int_equal(write_gen(out, &s[0], true, &e), 0);
	snprintf(lock, sizeof(lock), "%s.lock", out);
	assert_non_null(o = output_open(out, lock, NULL, &e));
	assert_int_equal(output_write(o, write_fails, NULL, s[1].chain, &e),
	    -1);
	assert_contains(e.msg, "the certificate key process ended");
	output_free(o);
	assert_string_equal(link_of(out, "current"), "versions/1");
	assert_int_equal(shown_gen(out, true), 1);
	set_free(&s[0]);
	set_free(&s[1]);
	free(out);
}

static void
output_drop_old_versions__keeps_only_the_set_in_place(void **state)
{
	struct tmpdir *t = *state;
	char *out = path_in(t->path, "out"), *versions, lock[300];
	struct output *o;
	struct set s[3];
	struct err e;

	for (int i = 0; i < 3; i++) {
		set_make(&s[i], i + 1, NULL);
		assert_int_equal(write_gen(out, &s[i], true, &e), 0);
	}
	snprintf(lock, sizeof(lock), "%s.lock", out);
	assert_non_null(o = output_open(out, lock, NULL, &e));
	assert_int_equal(output_drop_old_versions(o, &e), 0);
	output_free(o);
	versions = path_in(out, "versions");
	assert_int_equal(count_entries(versions), 1);
	assert_string_equal(link_of(out, "current"), "versions/3");
	assert_int_equal(shown_gen(out, true), 3);
	for (int i = 0; i < 3; i++)
		set_free(&s[i]);
	free(versions);
	free(out);
}

static void
output_drop_old_versions__refuses_a_directory_without_a_set(void **state)
{
	struct tmpdir *t = *state;
	char *out = path_in(t->path, "out"), lock[300];
	struct output *o;
	struct err e;

	assert_int_equal(mkdir(out, 0700), 0);
	snprintf(lock, sizeof(lock), "%s.lock", out);
	assert_non_null(o = output_open(out, lock, NULL, &e));
	assert_int_equal(output_drop_old_versions(o, &e), -1);
	assert_contains(e.msg, "has no current version");
	output_free(o);
	free(out);
}

/* An older acmec's directory: the four files, and a temporary file. */
static void
make_old_dir(const char *out, struct set *s)
{
	char *full, *p;
	struct err e;

	assert_int_equal(mkdir(out, 0700), 0);
	p = path_in(out, "privkey.pem");
	write_text(p, s->key_pem);
	assert_int_equal(chmod(p, 0600), 0);
	free(p);
	p = path_in(out, "cert.pem");
	write_text(p, full = cert_chain_pem(s->chain, 0, 1, &e));
	free(full);
	free(p);
	p = path_in(out, "chain.pem");
	write_text(p, full = cert_chain_pem(s->chain, 1, 2, &e));
	free(full);
	free(p);
	p = path_in(out, "fullchain.pem");
	write_text(p, full = cert_chain_pem(s->chain, 0, 2, &e));
	free(full);
	free(p);
}

static void
output_write__moves_an_older_acmecs_files_behind_the_links(void **state)
{
	struct tmpdir *t = *state;
	char *out = path_in(t->path, "out"), *p, *text;
	struct set old, s;
	struct err e;

	set_make(&old, 1, NULL);
	make_old_dir(out, &old);
	p = path_in(out, "cert.pem.tmp.AbC123");
	write_text(p, "half a certificate");
	free(p);

	/* A renewal with the old key, as the next run does. */
	set_make(&s, 2, old.key);
	assert_int_equal(write_gen(out, &s, false, &e), 0);
	assert_int_equal(shown_gen(out, true), 2);
	assert_string_equal(link_of(out, "current"), "versions/2");
	assert_string_equal(link_of(out, "cert.pem"), "current/cert.pem");
	/* The old set is version 1, the key carried over to version 2. */
	p = path_in(out, "versions/1");
	assert_int_equal(shown_gen(p, true), 1);
	free(p);
	text = shown(out, "privkey.pem");
	assert_string_equal(text, old.key_pem);
	free(text);
	p = path_in(out, "cert.pem.tmp.AbC123");
	assert_int_equal(access(p, F_OK), -1);
	free(p);
	set_free(&old);
	set_free(&s);
	free(out);
}

/* A leaked key (acmec(1)): privkey.pem removed, the next run makes one. */
/*
 * acmec(1): a key its group may read (ssl-cert) is a common setup; a new
 * version keeps the group and the group's read bits of the key and of
 * the version directory, and gives no more.
 */
static void
output_write__keeps_the_group_access_of_the_key_across_versions(
    void **state)
{
	struct tmpdir *t = *state;
	char *out = path_in(t->path, "out"), *p;
	gid_t group = getuid() == 0 ? 4242 : getgid();
	struct stat st;
	struct set s;
	struct err e;

	set_make(&s, 1, NULL);
	assert_int_equal(write_gen(out, &s, true, &e), 0);
	p = path_in(out, "versions/1");
	assert_int_equal(chown(p, (uid_t)-1, group), 0);
	assert_int_equal(chmod(p, 0750), 0);
	free(p);
	p = path_in(out, "versions/1/privkey.pem");
	assert_int_equal(chown(p, (uid_t)-1, group), 0);
	assert_int_equal(chmod(p, 0644), 0);	/* others' bit: not carried */
	free(p);
	set_free(&s);
	set_make(&s, 2, NULL);
	assert_int_equal(write_gen(out, &s, false, &e), 0);
	assert_string_equal(link_of(out, "current"), "versions/2");
	p = path_in(out, "versions/2");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	assert_int_equal(st.st_gid, group);
	free(p);
	p = path_in(out, "versions/2/privkey.pem");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_gid, group);
	free(p);
	set_free(&s);
	free(out);
}

/*
 * The key is opened through the directory output_open checked, following
 * no link but acmec's: a version's privkey.pem swapped for a link to
 * another key after the check is refused, not followed (key_load of
 * output_key_path, which the engine used before, followed it).
 */
static void
output_open_key__follows_no_link_put_there_after_the_check(void **state)
{
	struct tmpdir *t = *state;
	char *out = path_in(t->path, "out"), *other = path_in(t->path, "k.pem");
	char *p = path_in(out, "versions/1/privkey.pem"), *pem = NULL, lock[300];
	struct output *o;
	struct set s, s2;
	struct err e;
	int fd;

	set_make(&s, 1, NULL);
	set_make(&s2, 2, NULL);
	assert_int_equal(write_gen(out, &s, true, &e), 0);
	snprintf(lock, sizeof(lock), "%s.lock", out);
	assert_non_null(o = output_open(out, lock, NULL, &e));
	assert_int_equal(output_open_key(o, &fd, &e), 1);
	pem = calloc(1, 8192);
	assert_true(read(fd, pem, 8191) > 0);
	assert_string_equal(pem, s.key_pem);
	free(pem);
	close(fd);
	assert_int_equal(key_save(s2.key, other, &e), 0);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink(other, p), 0);
	assert_int_equal(output_open_key(o, &fd, &e), -1);
	assert_int_equal(fd, -1);
	output_free(o);
	set_free(&s);
	set_free(&s2);
	free(p);
	free(other);
	free(out);
}

static void
output_write__links_a_new_key_when_privkey_pem_was_removed(void **state)
{
	struct tmpdir *t = *state;
	char *out = path_in(t->path, "out"), *p, *text;
	struct set old, s;
	struct err e;

	set_make(&old, 1, NULL);
	assert_int_equal(write_gen(out, &old, true, &e), 0);
	p = path_in(out, "privkey.pem");
	assert_int_equal(unlink(p), 0);
	free(p);
	set_make(&s, 2, NULL);
	assert_int_equal(write_gen(out, &s, true, &e), 0);
	assert_int_equal(shown_gen(out, true), 2);
	assert_string_equal(link_of(out, "privkey.pem"), "current/privkey.pem");
	text = shown(out, "privkey.pem");
	assert_string_equal(text, s.key_pem);
	free(text);
	set_free(&old);
	set_free(&s);
	free(out);
}

static void
output_open__removes_what_a_killed_run_left(void **state)
{
	struct tmpdir *t = *state;
	char *out = path_in(t->path, "out"), *p, lock[300];
	struct output *o;
	struct set s;
	struct err e;

	set_make(&s, 1, NULL);
	assert_int_equal(write_gen(out, &s, true, &e), 0);
	p = path_in(out, "versions/2");
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	p = path_in(out, "versions/2/cert.pem");
	write_text(p, "never switched to");
	free(p);
	p = path_in(out, ".current.new");
	assert_int_equal(symlink("versions/2", p), 0);
	free(p);

	snprintf(lock, sizeof(lock), "%s.lock", out);
	assert_non_null(o = output_open(out, lock, NULL, &e));
	output_free(o);
	p = path_in(out, "versions");
	assert_int_equal(count_entries(p), 1);
	free(p);
	p = path_in(out, ".current.new");
	assert_int_equal(access(p, F_OK), -1);
	free(p);
	assert_int_equal(shown_gen(out, true), 1);
	set_free(&s);
	free(out);
}

static void
output_open__refuses_links_that_leave_the_directory(void **state)
{
	struct tmpdir *t = *state;
	char *out = path_in(t->path, "out"), *p, *secret, lock[300];
	struct set s;
	struct err e;

	set_make(&s, 1, NULL);
	assert_int_equal(write_gen(out, &s, true, &e), 0);
	secret = path_in(t->path, "secret.pem");
	write_text(secret, "not acmec's");
	snprintf(lock, sizeof(lock), "%s.lock", out);

	p = path_in(out, "privkey.pem");
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink(secret, p), 0);
	assert_null(output_open(out, lock, NULL, &e));
	assert_non_null(strstr(e.msg, "privkey.pem"));
	assert_non_null(strstr(e.msg, "move it away"));
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink("current/privkey.pem", p), 0);
	free(p);

	p = path_in(out, "current");
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink(t->path, p), 0);
	assert_null(output_open(out, lock, NULL, &e));
	assert_non_null(strstr(e.msg, "/current"));
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink("versions/../..", p), 0);
	assert_null(output_open(out, lock, NULL, &e));
	free(p);

	/* A link in place of a file of the version. */
	p = path_in(out, "current");
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink("versions/1", p), 0);
	free(p);
	p = path_in(out, "versions/1/privkey.pem");
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink(secret, p), 0);
	assert_null(output_open(out, lock, NULL, &e));
	assert_non_null(strstr(e.msg, "versions/1/privkey.pem"));
	free(p);
	set_free(&s);
	free(secret);
	free(out);
}

/* The CN of cert, "" if none: which generation a read returned. */
static const char *
cn_of(X509 *cert)
{
	static char cn[32];

	cn[0] = '\0';
	if (cert != NULL)
		X509_NAME_get_text_by_NID(X509_get_subject_name(cert),
		    NID_commonName, cn, sizeof(cn));
	return cn;
}

static void
output_read_cert__reads_the_certificate_in_place_and_its_mtime(void **state)
{
	struct tmpdir *t = *state;
	char *out = path_in(t->path, "out"), *old = path_in(t->path, "old");
	char *p = path_in(out, "cert.pem");
	struct timespec mtime;
	struct stat st;
	struct set s;
	struct err e;
	X509 *cert;

	/* Nothing yet: no directory, then an empty one. */
	assert_int_equal(output_read_cert(out, &cert, &mtime, &e), 0);
	assert_null(cert);
	assert_int_equal(mkdir(out, 0700), 0);
	assert_int_equal(output_read_cert(out, &cert, &mtime, &e), 0);
	assert_null(cert);
	assert_int_equal(mtime.tv_sec, 0);

	set_make(&s, 1, NULL);
	assert_int_equal(write_gen(out, &s, true, &e), 0);
	assert_int_equal(output_read_cert(out, &cert, &mtime, &e), 1);
	assert_string_equal(cn_of(cert), "g1.example");
	X509_free(cert);
	/* What the engine's stat(OUT/cert.pem) compares it with. */
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(mtime.tv_sec, st.st_mtim.tv_sec);
	assert_int_equal(mtime.tv_nsec, st.st_mtim.tv_nsec);

	/* An older acmec's plain files are read as they are. */
	make_old_dir(old, &s);
	assert_int_equal(output_read_cert(old, &cert, NULL, &e), 1);
	assert_string_equal(cn_of(cert), "g1.example");
	X509_free(cert);

	/* A file that is no certificate: refused, mtime still given. */
	assert_int_equal(unlink(p), 0);
	write_text(p, "garbage");
	assert_int_equal(output_read_cert(out, &cert, &mtime, &e), -1);
	assert_null(cert);
	assert_non_null(strstr(e.msg, "cert.pem holds no PEM certificate"));
	assert_true(mtime.tv_sec != 0);
	set_free(&s);
	free(p);
	free(old);
	free(out);
}

/*
 * A link to a good certificate elsewhere, in place of cert.pem or of the
 * version's file: refused with output_open's message, never followed.
 */
static void
output_read_cert__refuses_a_link_elsewhere_as_cert_pem(void **state)
{
	struct tmpdir *t = *state;
	char *out = path_in(t->path, "out"), *p, *other, *pem;
	struct timespec mtime;
	struct set s, s2;
	struct err e;
	X509 *cert;

	set_make(&s, 1, NULL);
	set_make(&s2, 2, NULL);
	assert_int_equal(write_gen(out, &s, true, &e), 0);
	other = path_in(t->path, "elsewhere.pem");
	write_text(other, pem = cert_chain_pem(s2.chain, 0, 1, &e));
	free(pem);

	p = path_in(out, "cert.pem");
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink(other, p), 0);
	assert_int_equal(output_read_cert(out, &cert, &mtime, &e), -1);
	assert_null(cert);
	assert_int_equal(mtime.tv_sec, 0);
	assert_non_null(strstr(e.msg, "cert.pem is not a file nor acmec's "
	    "link"));
	assert_non_null(strstr(e.msg, "move it away"));
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink("current/cert.pem", p), 0);
	free(p);

	p = path_in(out, "versions/1/cert.pem");
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink(other, p), 0);
	assert_int_equal(output_read_cert(out, &cert, NULL, &e), -1);
	assert_null(cert);
	assert_non_null(strstr(e.msg, "versions/1/cert.pem is not a regular "
	    "file"));
	free(p);
	set_free(&s);
	set_free(&s2);
	free(other);
	free(out);
}

/* A FIFO nobody writes to: refused at once (the alarm fails a hang). */
static void
output_read_cert__refuses_a_fifo_as_cert_pem_at_once(void **state)
{
	struct tmpdir *t = *state;
	char *out = path_in(t->path, "out"), *p;
	struct set s;
	struct err e;
	X509 *cert;

	set_make(&s, 1, NULL);
	assert_int_equal(write_gen(out, &s, true, &e), 0);
	alarm(10);
	p = path_in(out, "cert.pem");
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(output_read_cert(out, &cert, NULL, &e), -1);
	assert_null(cert);
	assert_non_null(strstr(e.msg, "cert.pem is not a file nor acmec's "
	    "link"));
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink("current/cert.pem", p), 0);
	free(p);

	p = path_in(out, "versions/1/cert.pem");
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkfifo(p, 0644), 0);
	assert_int_equal(output_read_cert(out, &cert, NULL, &e), -1);
	assert_null(cert);
	assert_non_null(strstr(e.msg, "not a regular file"));
	alarm(0);
	free(p);
	set_free(&s);
	free(out);
}

static void
output_open__refuses_a_directory_without_room(void **state)
{
	struct tmpdir *t = *state;
	char *out = path_in(t->path, "missing/out"), lock[300];
	struct err e;

	snprintf(lock, sizeof(lock), "%s/lock", t->path);
	fake_full = true;
	assert_null(output_open(out, lock, NULL, &e));
	fake_full = false;
	assert_non_null(strstr(e.msg, out));
	assert_non_null(strstr(e.msg, "64 KiB"));
	/* The nearest parent that exists was the one looked at. */
	assert_non_null(strstr(e.msg, t->path));
	free(out);
}

static void
output_open__refuses_a_read_only_directory(void **state)
{
	struct tmpdir *t = *state;
	char *out = path_in(t->path, "out"), lock[300];
	struct err e;

	snprintf(lock, sizeof(lock), "%s/lock", t->path);
	fake_read_only = true;
	assert_null(output_open(out, lock, NULL, &e));
	fake_read_only = false;
	assert_non_null(strstr(e.msg, out));
	assert_non_null(strstr(e.msg, "Read-only"));
	free(out);
}

/*
 * Kill a child at every step of one write; each time, what a server
 * reads is one whole set, and the next run writes the new one and leaves
 * nothing behind.  scenario: 0 new directory, 1 new key, 2 same key,
 * 3 an older acmec's directory.
 */
static void
kill_at_every_step(const char *base, int scenario)
{
	struct set old, s;
	struct err e;
	char out[300], *p;
	int status, steps = 0;

	set_make(&old, 1, NULL);
	set_make(&s, 2, scenario == 2 ? old.key : NULL);
	for (int n = 1; ; n++) {
		pid_t pid;

		snprintf(out, sizeof(out), "%s/s%d-%d", base, scenario, n);
		if (scenario == 1 || scenario == 2)
			assert_int_equal(write_gen(out, &old, true, &e), 0);
		else if (scenario == 3)
			make_old_dir(out, &old);
		assert_int_not_equal(pid = fork(), -1);
		if (pid == 0) {
			crash_at = n;
			crash_calls = 0;
			_exit(write_gen(out, &s, scenario != 2, &e) == 0 ? 0 :
			    1);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		if (WEXITSTATUS(status) == 0)
			break;
		assert_int_equal(WEXITSTATUS(status), 137);
		steps++;
		/* What a server reads now: old or new, whole. */
		if (scenario == 0) {
			int g = shown_gen(out, false);
			assert_true(g == 0 || g == 2);
		} else {
			int g = shown_gen(out, true);
			assert_true(g == 1 || g == 2);
		}
		/* The next run. */
		if (write_gen(out, &s, scenario != 2, &e) != 0)
			fail_msg("after a kill at step %d: %s", n, e.msg);
		assert_int_equal(shown_gen(out, true), 2);
		p = path_in(out, "versions");
		assert_true(count_entries(p) <= OUTPUT_KEEP);
		free(p);
		assert_int_equal(count_entries(out), 6);
	}
	print_message("scenario %d: killed at each of %d steps\n", scenario,
	    steps);
	assert_true(steps >= 8);
	set_free(&old);
	set_free(&s);
}

static void
output_write__leaves_a_whole_set_when_killed_at_any_step(void **state)
{
	struct tmpdir *t = *state;

	for (int scenario = 0; scenario < 4; scenario++)
		kill_at_every_step(t->path, scenario);
}

static int
teardown(void **state)
{
	return tmpdir_teardown(state);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    output_write__puts_the_set_behind_links_to_current,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    output_write__switches_current_and_keeps_three_versions,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    output_write__moves_an_older_acmecs_files_behind_the_links,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    output_write__links_a_new_key_when_privkey_pem_was_removed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    output_open_key__follows_no_link_put_there_after_the_check,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    output_write__keeps_the_set_when_the_new_key_cannot_be_written,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    output_write__keeps_the_group_access_of_the_key_across_versions,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    output_open__removes_what_a_killed_run_left,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    output_open__refuses_links_that_leave_the_directory,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    output_read_cert__reads_the_certificate_in_place_and_its_mtime,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    output_read_cert__refuses_a_link_elsewhere_as_cert_pem,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    output_read_cert__refuses_a_fifo_as_cert_pem_at_once,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    output_open__refuses_a_directory_without_room,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    output_open__refuses_a_read_only_directory,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    output_write__leaves_a_whole_set_when_killed_at_any_step,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    output_drop_old_versions__keeps_only_the_set_in_place,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    output_drop_old_versions__refuses_a_directory_without_a_set,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
