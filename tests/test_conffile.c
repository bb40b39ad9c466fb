/*
 * test_conffile.c - the configuration file: every key read into struct
 * conf, conf.d merged in name order, and each mistake refused with a
 * message that names the file, the line, the section and the key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conffile.h"
#include "testutil.h"

struct fixture {
	struct tmpdir	 dir;
	char		*conf;		/* DIR/acmec.conf */
	char		*confd;		/* DIR/conf.d, not created */
};

/* A certificate section that loads, for tests about other sections. */
#define GOOD_CERT \
	"[example.com]\nnames = example.com\nwebroot = /var/www\n"

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || tmpdir_create(&f->dir, "conffile") == -1) {
		free(f);
		return -1;
	}
	f->conf = path_in(f->dir.path, "acmec.conf");
	f->confd = path_in(f->dir.path, "conf.d");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	tmpdir_remove(&f->dir);
	free(f->conf);
	free(f->confd);
	free(f);
	return 0;
}

/* Write text as acmec.conf and load it, which must work. */
static struct conf *
load_text(struct fixture *f, const char *text)
{
	struct err e = { "" };
	struct conf *c = NULL;

	write_text(f->conf, text);
	if (conf_load(f->conf, &c, &e) == -1)
		fail_msg("conf_load: %s", e.msg);
	assert_non_null(c);
	return c;
}

/* Loading acmec.conf fails with the message fmt formats. */
static void
assert_load_fails(struct fixture *f, const char *fmt, va_list ap)
{
	struct conf *c = (struct conf *)f;	/* must become NULL */
	struct err e = { "" };
	char *want;

	if (vasprintf(&want, fmt, ap) < 0)
		fail_msg("vasprintf");
	assert_int_equal(conf_load(f->conf, &c, &e), -1);
	assert_null(c);
	assert_string_equal(e.msg, want);
	free(want);
}

static void assert_refused(struct fixture *, const char *, const char *,
    ...) __attribute__((format(printf, 3, 4)));

/* Writing text as acmec.conf, loading fails with that message. */
static void
assert_refused(struct fixture *f, const char *text, const char *fmt, ...)
{
	va_list ap;

	write_text(f->conf, text);
	va_start(ap, fmt);
	assert_load_fails(f, fmt, ap);
	va_end(ap);
}

static void assert_refused_now(struct fixture *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* The files as they are fail to load with that message. */
static void
assert_refused_now(struct fixture *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	assert_load_fails(f, fmt, ap);
	va_end(ap);
}

/* Write text as conf.d/name, creating conf.d. */
static void
put_confd(struct fixture *f, const char *name, const char *text)
{
	char *path = path_in(f->confd, name);

	(void)mkdir(f->confd, 0755);
	write_text(path, text);
	free(path);
}

static const char full_file[] =
    "; acmec.conf with every key\n"
    "[acmec]\n"
    "directory = https://acme-v02.api.letsencrypt.org/directory\n"
    "ca-bundle = /etc/ssl/private-ca.pem\n"
    "contact = mailto:admin@example.com mailto:ops@example.com ; two\n"
    "contact = mailto:third@example.com\n"
    "agree-tos = yes\n"
    "eab-kid = kid-1\n"
    "eab-hmac-key = c2VjcmV0LWhtYWMta2V5\n"
    "parallel = 4\n"
    "post-hook = systemctl reload nginx\n"
    "failure-hook = /usr/local/bin/page-me\n"
    "metrics-file = /var/lib/node_exporter/acmec.prom\n"
    "state-dir = /var/lib/acmec\n"
    "timeout = 45\n"
    "sandbox = require\n"
    "\n"
    "# the web site\n"
    "[example.com]\n"
    "names = example.com WWW.example.com\n"
    "webroot = /var/www/example\n"
    "key-type = ec-384\n"
    "profile = tlsserver\n"
    "renew-before = 1/3\n"
    "out = /etc/acmec/live/example.com\n"
    "deploy-hook = /usr/local/sbin/push-to-mail-server\n"
    "reuse-key = yes\n"
    "\n"
    "[mail]\n"
    "csr = /etc/acmec/mail.csr\n"
    "memcached = 127.0.0.1:11211 [::1]:11212\tcache.example.net:11211\n"
    "renew-before = 30d\n"
    "chain-trust = /etc/ssl/client-roots.pem\n";

static void
conf_load__reads_every_key(void **state)
{
	struct fixture *f = *state;
	struct conf *c = load_text(f, full_file);
	struct conf_cert *web = &c->certs[0], *mail = &c->certs[1];

	assert_string_equal(c->directory,
	    "https://acme-v02.api.letsencrypt.org/directory");
	assert_string_equal(c->ca_bundle, "/etc/ssl/private-ca.pem");
	assert_int_equal(c->ncontacts, 3);
	assert_string_equal(c->contacts[0], "mailto:admin@example.com");
	assert_string_equal(c->contacts[1], "mailto:ops@example.com");
	assert_string_equal(c->contacts[2], "mailto:third@example.com");
	assert_null(c->contacts[3]);
	assert_true(c->agree_tos);
	assert_string_equal(c->eab_kid, "kid-1");
	assert_string_equal(c->eab_hmac_key, "c2VjcmV0LWhtYWMta2V5");
	assert_int_equal(c->parallel, 4);
	assert_string_equal(c->post_hook, "systemctl reload nginx");
	assert_string_equal(c->failure_hook, "/usr/local/bin/page-me");
	assert_string_equal(c->metrics_file,
	    "/var/lib/node_exporter/acmec.prom");
	assert_string_equal(c->state_dir, "/var/lib/acmec");
	assert_int_equal(c->timeout, 45);
	assert_int_equal(c->sandbox, SANDBOX_REQUIRE);
	assert_int_equal(c->ncerts, 2);

	assert_string_equal(web->section, "example.com");
	assert_string_equal(web->file, f->conf);
	assert_int_equal(web->line, 19);
	assert_int_equal(web->spec.names.n, 2);
	assert_string_equal(web->spec.names.v[0], "example.com");
	assert_string_equal(web->spec.names.v[1], "www.example.com");
	assert_string_equal(web->spec.webroot, "/var/www/example");
	assert_int_equal(web->spec.key_type, KEY_EC384);
	assert_true(web->spec.key_type_given);
	assert_string_equal(web->profile, "tlsserver");
	assert_int_equal(web->renew_before.kind, RENEW_BEFORE_FRACTION);
	assert_true(web->renew_before.fraction > 0.333 &&
	    web->renew_before.fraction < 0.334);
	assert_string_equal(web->spec.out_dir, "/etc/acmec/live/example.com");
	assert_string_equal(web->spec.deploy_hook,
	    "/usr/local/sbin/push-to-mail-server");
	assert_null(web->spec.csr_path);
	assert_null(web->memcached);
	assert_true(web->spec.reuse_key);

	assert_string_equal(mail->section, "mail");
	assert_int_equal(mail->line, 29);
	assert_int_equal(mail->spec.names.n, 0);
	assert_string_equal(mail->spec.csr_path, "/etc/acmec/mail.csr");
	assert_string_equal(mail->spec.chain_trust, "/etc/ssl/client-roots.pem");
	assert_null(mail->spec.preferred_chain);
	assert_null(mail->spec.webroot);
	assert_int_equal(mail->nmemcached, 3);
	assert_string_equal(mail->memcached[0], "127.0.0.1:11211");
	assert_string_equal(mail->memcached[1], "[::1]:11212");
	assert_string_equal(mail->memcached[2], "cache.example.net:11211");
	assert_null(mail->memcached[3]);
	assert_false(mail->spec.reuse_key);	/* the default: a new key */
	assert_int_equal(mail->renew_before.kind, RENEW_BEFORE_SECONDS);
	assert_int_equal(mail->renew_before.seconds, 30 * 86400);
	conf_free(c);
}

/* The file is read by renew when the key is needed, not by conf_load. */
static void
conf_load__keeps_the_path_of_eab_hmac_key_file(void **state)
{
	struct fixture *f = *state;
	struct conf *c = load_text(f, "[acmec]\neab-kid = kid-1\n"
	    "eab-hmac-key-file = /nonexistent/eab.key\n" GOOD_CERT);

	assert_string_equal(c->eab_kid, "kid-1");
	assert_string_equal(c->eab_hmac_key_file, "/nonexistent/eab.key");
	assert_null(c->eab_hmac_key);
	conf_free(c);
}

static void
conf_load__leaves_unset_keys_at_their_defaults(void **state)
{
	struct fixture *f = *state;
	struct conf *c = load_text(f, GOOD_CERT);
	const struct conf_cert *cert = &c->certs[0];

	assert_null(c->directory);
	assert_null(c->ca_bundle);
	assert_null(c->state_dir);
	assert_null(c->contacts);
	assert_int_equal(c->ncontacts, 0);
	assert_false(c->agree_tos);
	assert_null(c->eab_kid);
	assert_null(c->eab_hmac_key);
	assert_int_equal(c->parallel, CONF_PARALLEL_DEFAULT);
	assert_null(c->post_hook);
	assert_null(c->failure_hook);
	assert_null(c->metrics_file);
	assert_int_equal(c->timeout, 0);
	assert_int_equal(c->sandbox, SANDBOX_AUTO);
	assert_false(cert->spec.key_type_given);
	assert_null(cert->spec.out_dir);
	assert_null(cert->spec.deploy_hook);
	assert_null(cert->profile);
	assert_int_equal(cert->renew_before.kind, RENEW_BEFORE_DEFAULT);
	assert_false(cert->spec.reuse_key);
	assert_false(cert->spec.next_key);
	conf_free(c);

	/* next-key = yes goes with reuse-key = no, said or not. */
	c = load_text(f, GOOD_CERT "next-key = yes\nreuse-key = no\n");
	assert_true(c->certs[0].spec.next_key);
	assert_false(c->certs[0].spec.reuse_key);
	conf_free(c);

	/* A file of [acmec] only, or of nothing, is no error. */
	conf_free(load_text(f, "[acmec]\nagree-tos = no\n"));
	c = load_text(f, "");
	assert_int_equal(c->ncerts, 0);
	conf_free(c);
}

static void
conf_load__reads_conf_d_in_name_order(void **state)
{
	struct fixture *f = *state;
	struct conf *c;
	char *b, *ten;

	put_confd(f, "b.conf", "[b.example]\nnames = b.example\n"
	    "webroot = /var/www/b\n");
	put_confd(f, "a.conf", "[a.example]\nnames = a.example\n"
	    "webroot = /var/www/a\n");
	put_confd(f, "10-first.conf", "\n[first.example]\n"
	    "names = first.example\nmemcached = 10.0.0.2:11211\n");
	/* Not read: hidden, another suffix, or only the suffix. */
	put_confd(f, ".hidden.conf", "broken\n");
	put_confd(f, "notes.txt", "broken\n");
	put_confd(f, "b.conf.orig", "broken\n");
	put_confd(f, ".conf", "broken\n");
	c = load_text(f, "[acmec]\nparallel = 2\n" GOOD_CERT);
	assert_int_equal(c->parallel, 2);
	assert_int_equal(c->ncerts, 4);
	assert_string_equal(c->certs[0].section, "example.com");
	assert_string_equal(c->certs[1].section, "first.example");
	assert_string_equal(c->certs[2].section, "a.example");
	assert_string_equal(c->certs[3].section, "b.example");
	ten = path_in(f->confd, "10-first.conf");
	b = path_in(f->confd, "b.conf");
	assert_string_equal(c->certs[1].file, ten);
	assert_int_equal(c->certs[1].line, 2);
	assert_string_equal(c->certs[3].file, b);
	assert_int_equal(c->certs[3].line, 1);
	conf_free(c);

	/* A mistake in conf.d names that file. */
	put_confd(f, "c.conf", "[c.example]\nnames = c.example\n"
	    "webroot = www\n");
	assert_refused_now(f, "%s/c.conf:3: [c.example] webroot: www is not "
	    "an absolute path: give one that starts with / (a relative one "
	    "depends on where acmec runs)", f->confd);
	free(ten);
	free(b);
}

static void
conf_load__takes_comments_blank_lines_crlf_and_a_bom(void **state)
{
	struct fixture *f = *state;
	struct conf *c;

	c = load_text(f, "\xef\xbb\xbf[acmec]\r\n"
	    "; a comment\r\n"
	    "# another\r\n"
	    "\r\n"
	    "   agree-tos   =   yes   ; inline\r\n"
	    "[example.com]  ; the site\r\n"
	    "\tnames = example.com\r\n"
	    "webroot = /var/www ;comment\r\n"
	    "deploy-hook = /bin/hook a;b\r\n");
	assert_true(c->agree_tos);
	assert_string_equal(c->certs[0].spec.webroot, "/var/www");
	assert_int_equal(c->certs[0].line, 6);
	/* libinih needs blank space before an inline ';'. */
	assert_string_equal(c->certs[0].spec.deploy_hook, "/bin/hook a;b");
	conf_free(c);
}

static void
conf_load__refuses_a_missing_file_naming_it(void **state)
{
	struct fixture *f = *state;
	char *dir;

	assert_refused_now(f, "cannot open %s: No such file or directory",
	    f->conf);
	/* A conf.d file that is not a regular file. */
	write_text(f->conf, GOOD_CERT);
	put_confd(f, "a.conf", "");
	dir = path_in(f->confd, "dir.conf");
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_refused_now(f, "%s: not a regular file", dir);
	free(dir);
}

static void
conf_load__refuses_files_others_may_write(void **state)
{
	struct fixture *f = *state;
	char *a;

	write_text(f->conf, GOOD_CERT);
	assert_int_equal(chmod(f->conf, 0646), 0);
	assert_refused_now(f, "%s can be written by other users (mode 0646), "
	    "who could make acmec run any command through a hook; chmod "
	    "go-w %s", f->conf, f->conf);
	assert_int_equal(chmod(f->conf, 0664), 0);
	assert_refused_now(f, "%s can be written by other users (mode 0664), "
	    "who could make acmec run any command through a hook; chmod "
	    "go-w %s", f->conf, f->conf);
	assert_int_equal(chmod(f->conf, 0644), 0);

	/* Whoever may write to conf.d may add a file with a hook. */
	put_confd(f, "a.conf", "");
	assert_int_equal(chmod(f->confd, 01777), 0);
	assert_refused_now(f, "%s can be written by other users (mode 1777), "
	    "who could make acmec run any command through a hook; chmod "
	    "go-w %s", f->confd, f->confd);
	assert_int_equal(chmod(f->confd, 0755), 0);
	a = path_in(f->confd, "a.conf");
	assert_int_equal(chmod(a, 0666), 0);
	assert_refused_now(f, "%s can be written by other users (mode 0666), "
	    "who could make acmec run any command through a hook; chmod "
	    "go-w %s", a, a);
	free(a);
}

static void
conf_load__refuses_unknown_keys_naming_the_known_ones(void **state)
{
	struct fixture *f = *state;

	assert_refused(f, GOOD_CERT "colour = blue\n",
	    "%s:4: [example.com] colour: unknown key (a certificate section "
	    "takes names, webroot, key-type, csr, out, deploy-hook, profile, "
	    "renew-before, memcached, chain-trust, preferred-chain, reuse-key, "
	    "next-key)",
	    f->conf);
	assert_refused(f, "[acmec]\nstaging = yes\n",
	    "%s:2: [acmec] staging: unknown key ([acmec] takes directory, "
	    "ca-bundle, state-dir, contact, agree-tos, eab-kid, eab-hmac-key, "
	    "eab-hmac-key-file, parallel, post-hook, failure-hook, "
	    "metrics-file, timeout, sandbox)", f->conf);
	/* Keys are matched exactly. */
	assert_refused(f, "[acmec]\nAgree-TOS = yes\n",
	    "%s:2: [acmec] Agree-TOS: unknown key ([acmec] takes directory, "
	    "ca-bundle, state-dir, contact, agree-tos, eab-kid, eab-hmac-key, "
	    "eab-hmac-key-file, parallel, post-hook, failure-hook, "
	    "metrics-file, timeout, sandbox)", f->conf);
}

static void
conf_load__refuses_keys_in_the_wrong_section(void **state)
{
	struct fixture *f = *state;

	assert_refused(f, GOOD_CERT "agree-tos = yes\n",
	    "%s:4: [example.com] agree-tos: belongs in [acmec], not in a "
	    "certificate section", f->conf);
	assert_refused(f, GOOD_CERT "contact = mailto:a@example.com\n",
	    "%s:4: [example.com] contact: belongs in [acmec], not in a "
	    "certificate section", f->conf);
	assert_refused(f, GOOD_CERT "eab-kid = kid\n",
	    "%s:4: [example.com] eab-kid: belongs in [acmec], not in a "
	    "certificate section", f->conf);
	assert_refused(f, GOOD_CERT "directory = https://ca.example/dir\n",
	    "%s:4: [example.com] directory: belongs in [acmec], not in a "
	    "certificate section", f->conf);
	assert_refused(f, "[acmec]\nwebroot = /var/www\n",
	    "%s:2: [acmec] webroot: belongs in a certificate section, not in "
	    "[acmec]", f->conf);
	assert_refused(f, "[acmec]\nrenew-before = 1/3\n",
	    "%s:2: [acmec] renew-before: belongs in a certificate section, "
	    "not in [acmec]", f->conf);
}

static void
conf_load__refuses_keys_before_any_section(void **state)
{
	struct fixture *f = *state;

	assert_refused(f, "# comment\nagree-tos = yes\n[acmec]\n",
	    "%s:2: agree-tos: before any [section]: put it under [acmec] or a "
	    "certificate's [section]", f->conf);
	/* Each conf.d file starts outside any section. */
	write_text(f->conf, "[acmec]\n");
	put_confd(f, "a.conf", "names = a.example\n");
	assert_refused_now(f, "%s/a.conf:1: names: before any [section]: put "
	    "it under [acmec] or a certificate's [section]", f->confd);
}

static void
conf_load__refuses_a_section_given_twice(void **state)
{
	struct fixture *f = *state;
	char *a;

	assert_refused(f, GOOD_CERT "[other]\nnames = other.example\n"
	    "webroot = /w\n" "[example.com]\nnames = example.com\n",
	    "%s:7: [example.com]: given twice (first at %s:1): merge the two, "
	    "or rename one", f->conf, f->conf);
	/* Even with nothing in between, and when empty. */
	assert_refused(f, "[acmec]\n[acmec]\n",
	    "%s:2: [acmec]: given twice (first at %s:1): merge the two",
	    f->conf, f->conf);
	/* Across files, naming both. */
	write_text(f->conf, "[acmec]\n" GOOD_CERT);
	put_confd(f, "a.conf", "; example\n\n" GOOD_CERT);
	a = path_in(f->confd, "a.conf");
	assert_refused_now(f, "%s:3: [example.com]: given twice (first at "
	    "%s:2): merge the two, or rename one", a, f->conf);
	put_confd(f, "a.conf", "[acmec]\n");
	assert_refused_now(f, "%s:1: [acmec]: given twice (first at %s:1): "
	    "merge the two", a, f->conf);
	free(a);
}

static void
conf_load__refuses_a_key_given_twice_but_contact(void **state)
{
	struct fixture *f = *state;

	assert_refused(f, GOOD_CERT "webroot = /srv/www\n",
	    "%s:4: [example.com] webroot: given twice (first on line 3): "
	    "give it once", f->conf);
	assert_refused(f, GOOD_CERT "names = www.example.com\n",
	    "%s:4: [example.com] names: given twice (first on line 2): give "
	    "it once", f->conf);
	assert_refused(f, "[acmec]\ntimeout = 10\n\ntimeout = 10\n",
	    "%s:4: [acmec] timeout: given twice (first on line 2): give it "
	    "once", f->conf);
	/* An indented line is a key of its own, not a continuation. */
	assert_refused(f, GOOD_CERT "  webroot = /srv/www\n",
	    "%s:4: [example.com] webroot: given twice (first on line 3): "
	    "give it once", f->conf);
}

static void
conf_load__refuses_a_section_without_names_or_webroot(void **state)
{
	struct fixture *f = *state;

	assert_refused(f, "[example.com]\nwebroot = /var/www\n",
	    "%s:1: [example.com]: no names: give names = NAME ... (or csr = "
	    "FILE)", f->conf);
	assert_refused(f, "[acmec]\n[example.com]\n[acmec2]\n",
	    "%s:2: [example.com]: no names: give names = NAME ... (or csr = "
	    "FILE)", f->conf);
	/* At the end of a file too. */
	assert_refused(f, "[acmec]\n\n[example.com]\n",
	    "%s:3: [example.com]: no names: give names = NAME ... (or csr = "
	    "FILE)", f->conf);
	assert_refused(f, "[example.com]\nnames = example.com\n",
	    "%s:1: [example.com]: no webroot: give webroot = DIR, the "
	    "directory the web server serves for the names (or memcached = "
	    "HOST:PORT)", f->conf);
	assert_refused(f, "[mail]\ncsr = /etc/mail.csr\n[acmec]\n",
	    "%s:1: [mail]: no webroot: give webroot = DIR, the directory the "
	    "web server serves for the names (or memcached = HOST:PORT)",
	    f->conf);
}

static void
conf_load__refuses_keys_that_exclude_each_other(void **state)
{
	struct fixture *f = *state;

	assert_refused(f, GOOD_CERT "csr = /etc/x.csr\n",
	    "%s:4: [example.com] csr: excludes names (line 2): the names "
	    "come from the CSR", f->conf);
	assert_refused(f, "[x]\ncsr = /etc/x.csr\nwebroot = /w\n"
	    "names = example.com\n",
	    "%s:4: [x] names: excludes csr (line 2): the names come from the "
	    "CSR", f->conf);
	assert_refused(f, "[x]\nkey-type = rsa-2048\ncsr = /etc/x.csr\n"
	    "webroot = /w\n",
	    "%s:3: [x] csr: excludes key-type (line 2): the CSR brings its "
	    "own key", f->conf);
	assert_refused(f, "[x]\ncsr = /etc/x.csr\nwebroot = /w\n"
	    "reuse-key = yes\n",
	    "%s:4: [x] reuse-key: excludes csr (line 2): the CSR brings its "
	    "own key", f->conf);
	assert_refused(f, "[x]\ncsr = /etc/x.csr\nwebroot = /w\n"
	    "next-key = yes\n",
	    "%s:4: [x] next-key: excludes csr (line 2): the CSR brings its "
	    "own key", f->conf);
	assert_refused(f, GOOD_CERT "reuse-key = yes\nnext-key = yes\n",
	    "%s:5: [example.com] next-key: excludes reuse-key (line 4): the "
	    "next key replaces the key in place, which reuse-key = yes "
	    "keeps; give one of them", f->conf);
	assert_refused(f, GOOD_CERT "next-key = yes\nreuse-key = yes\n",
	    "%s:5: [example.com] reuse-key: excludes next-key (line 4): the "
	    "next key replaces the key in place, which reuse-key = yes "
	    "keeps; give one of them", f->conf);
	assert_refused(f, GOOD_CERT "memcached = 127.0.0.1:11211\n",
	    "%s:4: [example.com] memcached: excludes webroot (line 3): give "
	    "one place for the challenge files", f->conf);
	unsetenv("ACMEC_EAB_HMAC_KEY");
	assert_refused(f, "[acmec]\neab-kid = kid\n" GOOD_CERT,
	    "%s:2: [acmec] eab-kid: needs eab-hmac-key-file (or eab-hmac-key, "
	    "or ACMEC_EAB_HMAC_KEY in the environment) too: external account "
	    "binding takes both", f->conf);
	assert_refused(f, "[acmec]\neab-hmac-key-file = /etc/acmec/eab\n",
	    "%s:2: [acmec] eab-hmac-key-file: needs eab-kid too: external "
	    "account binding takes both", f->conf);
	assert_refused(f, "[acmec]\neab-kid = kid\neab-hmac-key = c2VjcmV0\n"
	    "eab-hmac-key-file = /etc/acmec/eab\n",
	    "%s:4: [acmec] eab-hmac-key-file: excludes eab-hmac-key (line 3): "
	    "give the HMAC key once", f->conf);
	assert_refused(f, "[acmec]\neab-kid = kid\n"
	    "eab-hmac-key-file = etc/eab\n",
	    "%s:3: [acmec] eab-hmac-key-file: etc/eab is not an absolute path: "
	    "give one that starts with / (a relative one depends on where "
	    "acmec runs)", f->conf);
	assert_refused(f, "[acmec]\n\neab-hmac-key = c2VjcmV0\n",
	    "%s:3: [acmec] eab-hmac-key: needs eab-kid too: external account "
	    "binding takes both", f->conf);
}

/* One key of a section that is otherwise fine, and the message. */
struct bad_value {
	const char	*section;	/* text before the key, line 1.. */
	const char	*line;
	const char	*want;		/* after "FILE:LINE: " */
};

static const char cert_text[] = "[example.com]\nnames = example.com\n"
    "webroot = /var/www\n";
static const char acmec_text[] = "[acmec]\n";
static const struct bad_value bad_values[] = {
	{ cert_text, "key-type = ec-999", "[example.com] key-type: unknown key "
	  "type ec-999 (ec-256, ec-384, rsa-2048, rsa-3072, rsa-4096)" },
	{ "[x]\nwebroot = /w\n", "names = example.com *.example.com",
	  "[x] names: *.example.com is not a domain name http-01 can "
	  "prove (no wildcards; give international names in xn-- form)" },
	{ "[x]\nwebroot = /w\n", "names = a.example ../../etc",
	  "[x] names: ../../etc is not a domain name http-01 can prove (no "
	  "wildcards; give international names in xn-- form)" },
	{ cert_text, "webroot2 =", "[example.com] webroot2: unknown key (a "
	  "certificate section takes names, webroot, key-type, csr, out, "
	  "deploy-hook, profile, renew-before, memcached, chain-trust, "
	  "preferred-chain, reuse-key, next-key)" },
	{ "[example.com]\nnames = example.com\nwebroot = /var/www\n"
	  "chain-trust = /etc/ssl/roots.pem\n",
	  "preferred-chain = ISRG Root X1", "[example.com] preferred-chain: "
	  "excludes chain-trust (line 4): the chain that verifies is the one "
	  "to install" },
	{ cert_text, "out =", "[example.com] out: no value: give the absolute "
	  "path of a directory" },
	{ cert_text, "out = live/x", "[example.com] out: live/x is not an "
	  "absolute path: give one that starts with / (a relative one "
	  "depends on where acmec runs)" },
	{ "[x]\nnames = x.example\n", "csr = x.csr", "[x] csr: x.csr is "
	  "not an absolute path: give one that starts with / (a relative "
	  "one depends on where acmec runs)" },
	{ cert_text, "deploy-hook =", "[example.com] deploy-hook: no value: "
	  "give a command" },
	{ cert_text, "profile = tls server", "[example.com] profile: "
	  "tls server is not a profile name: give 1 to 64 letters, "
	  "digits, '.', '_' or '-', such as tlsserver" },
	{ cert_text, "profile = "
	  "p2345678901234567890123456789012345678901234567890123456789012345",
	  "[example.com] profile: p234567890123456789012345678901234567890"
	  "123456789012345678901234... is not a profile name: give 1 to "
	  "64 letters, digits, '.', '_' or '-', such as tlsserver" },
	{ cert_text, "renew-before = 3/1", "[example.com] renew-before: 3/1: "
	  "give N/M with 0 < N < M <= 1000, e.g. 1/3 (renew when a third "
	  "of the lifetime is left)" },
	{ cert_text, "renew-before = soon", "[example.com] renew-before: soon: "
	  "give a share of the lifetime (1/3, 0.25) or a time (30d, 12h)" },
	{ "[x]\nnames = x.example\n", "memcached = 127.0.0.1",
	  "[x] memcached: 127.0.0.1 is not HOST:PORT: give e.g. "
	  "127.0.0.1:11211 or [::1]:11211" },
	{ "[x]\nnames = x.example\n", "memcached = a:1 ::1:11211",
	  "[x] memcached: ::1:11211 is not HOST:PORT: give e.g. "
	  "127.0.0.1:11211 or [::1]:11211" },
	{ "[x]\nnames = x.example\n", "memcached = [::g]:11211",
	  "[x] memcached: [::g]:11211 is not HOST:PORT: give e.g. "
	  "127.0.0.1:11211 or [::1]:11211" },
	{ "[x]\nnames = x.example\n", "memcached = cache:0",
	  "[x] memcached: cache:0 is not HOST:PORT: give e.g. "
	  "127.0.0.1:11211 or [::1]:11211" },
	{ "[x]\nnames = x.example\n", "memcached = cache:65536",
	  "[x] memcached: cache:65536 is not HOST:PORT: give e.g. "
	  "127.0.0.1:11211 or [::1]:11211" },
	{ cert_text, "reuse-key = always", "[example.com] reuse-key: give yes "
	  "or no, not always" },
	{ cert_text, "next-key = 1", "[example.com] next-key: give yes or no, "
	  "not 1" },
	{ acmec_text, "agree-tos = true", "[acmec] agree-tos: give yes or no, "
	  "not true" },
	{ acmec_text, "parallel = 0", "[acmec] parallel: 0: give a whole "
	  "number from 1 to 64" },
	{ acmec_text, "parallel = 65", "[acmec] parallel: 65: give a whole "
	  "number from 1 to 64" },
	{ acmec_text, "parallel = -1", "[acmec] parallel: -1: give a whole "
	  "number from 1 to 64" },
	{ acmec_text, "parallel = 8 cores", "[acmec] parallel: 8 cores: give a "
	  "whole number from 1 to 64" },
	{ acmec_text, "timeout = 0", "[acmec] timeout: 0: give a whole number "
	  "from 1 to 3600" },
	{ acmec_text, "timeout = 3601", "[acmec] timeout: 3601: give a whole "
	  "number from 1 to 3600" },
	{ acmec_text, "timeout = 99999999999999999999", "[acmec] timeout: "
	  "99999999999999999999: give a whole number from 1 to 3600" },
	{ acmec_text, "sandbox = on", "[acmec] sandbox: unknown mode 'on'; "
	  "give auto, require or off" },
	{ acmec_text, "sandbox = Off", "[acmec] sandbox: unknown mode 'Off'; "
	  "give auto, require or off" },
	{ acmec_text, "sandbox =", "[acmec] sandbox: no value: give auto, "
	  "require or off" },
	{ acmec_text, "directory = http://ca.example/dir", "[acmec] directory: "
	  "http://ca.example/dir is not an https URL: give the URL of the "
	  "CA's ACME directory, e.g. "
	  "https://acme-v02.api.letsencrypt.org/directory" },
	{ acmec_text, "ca-bundle = ca.pem", "[acmec] ca-bundle: ca.pem is not "
	  "an absolute path: give one that starts with / (a relative one "
	  "depends on where acmec runs)" },
	{ acmec_text, "state-dir =", "[acmec] state-dir: no value: give the "
	  "absolute path of a directory" },
	{ acmec_text, "metrics-file = m.prom", "[acmec] metrics-file: "
	  "m.prom is not an absolute path: give one that starts with / "
	  "(a relative one depends on where acmec runs)" },
	{ acmec_text, "contact = admin@example.com", "[acmec] contact: "
	  "admin@example.com: a contact is a mailto: URL, e.g. "
	  "mailto:admin@example.com" },
	{ acmec_text, "contact = mailto:a@x.example mailto:",
	  "[acmec] contact: mailto:: not an e-mail address; give "
	  "mailto:NAME@DOMAIN" },
	{ acmec_text, "eab-kid = my kid", "[acmec] eab-kid: a key identifier "
	  "has no spaces: give the one the CA gave you" },
	/* The HMAC key is a secret: the message does not show it. */
	{ acmec_text, "eab-hmac-key = c2VjcmV0+/=", "[acmec] eab-hmac-key: not "
	  "base64url (letters, digits, - and _, no padding): give the HMAC "
	  "key the CA gave you" },
};

static void
conf_load__refuses_bad_values(void **state)
{
	struct fixture *f = *state;
	char *text;
	int line;

	for (size_t i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]);
	    i++) {
		const struct bad_value *bad = &bad_values[i];

		line = 1;
		for (const char *s = bad->section; *s != '\0'; s++)
			line += *s == '\n';
		if (asprintf(&text, "%s%s\n", bad->section, bad->line) < 0)
			fail_msg("asprintf");
		assert_refused(f, text, "%s:%d: %s", f->conf, line, bad->want);
		free(text);
	}
}

static void
conf_load__refuses_more_than_16_contacts(void **state)
{
	struct fixture *f = *state;
	char text[2048] = "[acmec]\ncontact =";

	for (int i = 0; i < 16; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
		    " mailto:a%d@example.com", i);
	strcat(text, "\ncontact = mailto:b@example.com\n");
	assert_refused(f, text, "%s:3: [acmec] contact: more than 16 "
	    "contacts", f->conf);
}

static void
conf_load__refuses_section_names_unusable_as_directories(void **state)
{
	struct fixture *f = *state;
	static const char *bad[] = {
		"[a/b]", "[.]", "[..]", "[]", "[ example.com ]", "[my site]",
		"[caf\xc3\xa9]",
	};
	/* 49 bytes fit; libinih cuts a 50th. */
	char ok[80], long_name[96], text[200];
	struct conf *c;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "\n%s\nnames = x.example\n",
		    bad[i]);
		assert_refused(f, text, "%s:2: %s: not usable as a directory "
		    "name: give 1 to 49 visible ASCII characters without '/', "
		    "other than . and .. (the default output directory is "
		    "STATE_DIR/live/SECTION)", f->conf, bad[i]);
	}
	memset(ok, 'a', 49);
	ok[49] = '\0';
	snprintf(text, sizeof(text), "[%s]\nnames = x.example\nwebroot = /w\n",
	    ok);
	c = load_text(f, text);
	assert_string_equal(c->certs[0].section, ok);
	conf_free(c);
	snprintf(long_name, sizeof(long_name), "%sb", ok);
	snprintf(text, sizeof(text), "[%s]\nnames = x.example\n", long_name);
	assert_refused(f, text, "%s:1: [%s...]: not usable as a directory "
	    "name: give 1 to 49 visible ASCII characters without '/', other "
	    "than . and .. (the default output directory is "
	    "STATE_DIR/live/SECTION)", f->conf, ok);
}

static void
conf_load__refuses_lines_libinih_would_misread(void **state)
{
	static const char nul[] = "[acmec]\nagree-tos = yes\0no\n";
	struct fixture *f = *state;
	char *text;
	size_t len = CONF_LINE_MAX + 100;

	assert_refused(f, GOOD_CERT "key-type\n", "%s:4: not a [section] "
	    "header, KEY = VALUE or a comment", f->conf);
	assert_refused(f, "[acmec]\n[example.com\n", "%s:2: not a [section] "
	    "header, KEY = VALUE or a comment", f->conf);
	assert_refused(f, "[acmec]\npost-hook = a\033[2Jb\n", "%s:2: control "
	    "character 0x1b in column 14: remove it", f->conf);
	write_file(f->conf, nul, sizeof(nul) - 1);
	assert_refused_now(f, "%s:2: control character 0x00 in column 16: "
	    "remove it", f->conf);
	/* A long line is refused, not split into two. */
	if ((text = malloc(len + 1)) == NULL)
		fail_msg("malloc");
	memset(text, 'a', len);
	memcpy(text, "[x]\nnames = ", 12);
	text[len - 1] = '\n';
	text[len] = '\0';
	assert_refused(f, text, "%s:2: longer than %d bytes", f->conf,
	    CONF_LINE_MAX);
	free(text);
}

struct rb_case {
	const char		*value;
	enum renew_before_kind	 kind;
	double			 fraction;
	long			 seconds;
};

static void
conf_parse_renew_before__reads_fractions_and_times(void **state)
{
	static const struct rb_case good[] = {
		{ "1/3", RENEW_BEFORE_FRACTION, 1.0 / 3, 0 },
		{ "1/2", RENEW_BEFORE_FRACTION, 0.5, 0 },
		{ "999/1000", RENEW_BEFORE_FRACTION, 0.999, 0 },
		{ "0.25", RENEW_BEFORE_FRACTION, 0.25, 0 },
		{ ".5", RENEW_BEFORE_FRACTION, 0.5, 0 },
		{ "0.000000001", RENEW_BEFORE_FRACTION, 1e-9, 0 },
		{ "30d", RENEW_BEFORE_SECONDS, 0, 30 * 86400L },
		{ "1d", RENEW_BEFORE_SECONDS, 0, 86400 },
		{ "3650d", RENEW_BEFORE_SECONDS, 0, 3650 * 86400L },
		{ "12h", RENEW_BEFORE_SECONDS, 0, 12 * 3600 },
		{ "87600h", RENEW_BEFORE_SECONDS, 0, 87600 * 3600L },
	};
	struct renew_before rb;
	struct err e = { "" };

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(&rb, 0xff, sizeof(rb));
		if (conf_parse_renew_before(good[i].value, &rb, &e) == -1)
			fail_msg("%s: %s", good[i].value, e.msg);
		assert_int_equal(rb.kind, good[i].kind);
		assert_true(rb.fraction > good[i].fraction - 1e-12 &&
		    rb.fraction < good[i].fraction + 1e-12);
		assert_int_equal(rb.seconds, good[i].seconds);
	}
}

static const char *const bad_renew_before[][2] = {
	{ "1/1", "1/1: give N/M with 0 < N < M <= 1000, e.g. 1/3 "
	  "(renew when a third of the lifetime is left)" },
	{ "0/3", "0/3: give N/M with 0 < N < M <= 1000, e.g. 1/3 "
	  "(renew when a third of the lifetime is left)" },
	{ "1/1001", "1/1001: give N/M with 0 < N < M <= 1000, e.g. 1/3 "
	  "(renew when a third of the lifetime is left)" },
	{ "1/3/4", "1/3/4: give N/M with 0 < N < M <= 1000, e.g. 1/3 "
	  "(renew when a third of the lifetime is left)" },
	{ "/3", "/3: give N/M with 0 < N < M <= 1000, e.g. 1/3 (renew "
	  "when a third of the lifetime is left)" },
	{ "-1/3", "-1/3: give N/M with 0 < N < M <= 1000, e.g. 1/3 "
	  "(renew when a third of the lifetime is left)" },
	{ "1.5", "1.5: give a decimal between 0 and 1, e.g. 0.25 (renew "
	  "when a quarter of the lifetime is left)" },
	{ "0.0", "0.0: give a decimal between 0 and 1, e.g. 0.25 (renew "
	  "when a quarter of the lifetime is left)" },
	{ "0.", "0.: give a decimal between 0 and 1, e.g. 0.25 (renew "
	  "when a quarter of the lifetime is left)" },
	{ "1.0", "1.0: give a decimal between 0 and 1, e.g. 0.25 (renew "
	  "when a quarter of the lifetime is left)" },
	{ "0.2.5", "0.2.5: give a decimal between 0 and 1, e.g. 0.25 "
	  "(renew when a quarter of the lifetime is left)" },
	{ "0.1234567891", "0.1234567891: give a decimal between 0 and 1, "
	  "e.g. 0.25 (renew when a quarter of the lifetime is left)" },
	{ "1e-1", "1e-1: give a share of the lifetime (1/3, 0.25) or a "
	  "time (30d, 12h)" },
	{ "0d", "0d: give a number of days or hours from 1 to 3650, e.g. "
	  "30d or 12h" },
	{ "3651d", "3651d: give a number of days or hours from 1 to 3650, "
	  "e.g. 30d or 12h" },
	{ "87601h", "87601h: give a number of days or hours from 1 to "
	  "87600, e.g. 30d or 12h" },
	{ "-5d", "-5d: give a number of days or hours from 1 to 3650, "
	  "e.g. 30d or 12h" },
	{ "d", "d: give a share of the lifetime (1/3, 0.25) or a time "
	  "(30d, 12h)" },
	{ "30", "30: give a share of the lifetime (1/3, 0.25) or a time "
	  "(30d, 12h)" },
	{ "30m", "30m: give a share of the lifetime (1/3, 0.25) or a "
	  "time (30d, 12h)" },
	{ "", ": give a share of the lifetime (1/3, 0.25) or a time "
	  "(30d, 12h)" },
	{ "11111111111111111111111111111111111111111111111111111111111"
	  "11111111d", "1111111111111111111111111111111111111111111111111"
	  "111111111111111...: give a share of the lifetime (1/3, 0.25) "
	  "or a time (30d, 12h)" },
};

static void
conf_parse_renew_before__refuses_the_rest(void **state)
{
	struct renew_before rb = { RENEW_BEFORE_DEFAULT, 0, 0 };
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_renew_before) /
	    sizeof(bad_renew_before[0]); i++) {
		const char *const *bad = bad_renew_before[i];

		memset(&e, 0, sizeof(e));
		assert_int_equal(conf_parse_renew_before(bad[0], &rb, &e), -1);
		assert_string_equal(e.msg, bad[1]);
		/* A refused value changes nothing. */
		assert_int_equal(rb.kind, RENEW_BEFORE_DEFAULT);
	}
}

static void
conf_free__takes_null(void **state)
{
	(void)state;
	conf_free(NULL);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
#define U(name) cmocka_unit_test(name)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(conf_load__reads_every_key),
		T(conf_load__keeps_the_path_of_eab_hmac_key_file),
		T(conf_load__leaves_unset_keys_at_their_defaults),
		T(conf_load__reads_conf_d_in_name_order),
		T(conf_load__takes_comments_blank_lines_crlf_and_a_bom),
		T(conf_load__refuses_a_missing_file_naming_it),
		T(conf_load__refuses_files_others_may_write),
		T(conf_load__refuses_unknown_keys_naming_the_known_ones),
		T(conf_load__refuses_keys_in_the_wrong_section),
		T(conf_load__refuses_keys_before_any_section),
		T(conf_load__refuses_a_section_given_twice),
		T(conf_load__refuses_a_key_given_twice_but_contact),
		T(conf_load__refuses_a_section_without_names_or_webroot),
		T(conf_load__refuses_keys_that_exclude_each_other),
		T(conf_load__refuses_bad_values),
		T(conf_load__refuses_more_than_16_contacts),
		T(conf_load__refuses_section_names_unusable_as_directories),
		T(conf_load__refuses_lines_libinih_would_misread),
		U(conf_parse_renew_before__reads_fractions_and_times),
		U(conf_parse_renew_before__refuses_the_rest),
		U(conf_free__takes_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
