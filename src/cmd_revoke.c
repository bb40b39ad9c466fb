/*
 * cmd_revoke.c - "acmec revoke CERT": by the account key, or by the
 * certificate's own key (a leaked key: no account or state needed).  A
 * certificate of the config (SECTION or OUTDIR) goes to
 * cmd_revoke_leak.c.
 */
#include <sys/stat.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "cert.h"
#include "commands.h"
#include "conffile.h"
#include "key.h"
#include "keyproc.h"
#include "log.h"
#include "retired.h"
#include "session.h"
#include "store.h"
#include "str.h"
#include "usage.h"

/* RFC 5280 section 5.3.1 CRLReason codes that ACME CAs accept. */
#define REVOKE_KEY_COMPROMISE	1
static const struct {
	const char	*name;
	int		 code;
} reasons[] = {
	{ "unspecified",		0 },
	{ "keyCompromise",		1 },
	{ "affiliationChanged",		3 },
	{ "superseded",			4 },
	{ "cessationOfOperation",	5 },
};

int
revoke_reason_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (strcmp(reasons[i].name, name) == 0)
			return reasons[i].code;
	return -1;
}

struct revoke_args {
	const char	*cert_path;	/* or a section or output directory */
	const char	*key_path;
	int		 reason;	/* -1: not sent */
	bool		 help;
	const char	*conf_path;	/* -c: for a section */
	bool		 no_replace;
};

void
cmd_revoke_usage(FILE *out)
{
	fprintf(out, "usage: acmec [global options] revoke CERT "
	    "[--key CERTKEY] [--reason REASON]\n"
	    "       acmec [global options] revoke [-c FILE] SECTION|OUTDIR "
	    "[--reason REASON]\n"
	    "             [--no-replace]\n"
	    "REASON: unspecified, keyCompromise, affiliationChanged, "
	    "superseded,\n"
	    "        cessationOfOperation\n");
	usage_options(out, "options", (const struct usage_option[]){
	    { "CERT", "the certificate (PEM) to revoke" },
	    { "SECTION|OUTDIR", "a certificate of the config; with "
		"keyCompromise, it" },
	    { "", "is revoked with its own key and replaced, with a" },
	    { "", "new key; every copy of the old key is removed" },
	    { "-c, --config FILE", "the config (default: " CONF_DEFAULT_PATH
		")" },
	    { "--key CERTKEY", "sign with the certificate's key, not "
		"the account's" },
	    { "--reason REASON", "the reason sent to the CA (default: none)" },
	    { "--no-replace", "with SECTION|OUTDIR: only revoke" },
	    { "-h, --help", "print this and exit" },
	    { NULL, NULL } });
}

/* Options, then CERT.  0, or a usage error (printed). */
static int
parse_revoke_args(int argc, char **argv, struct revoke_args *r)
{
	enum { OPT_KEY = 256, OPT_REASON, OPT_NO_REPLACE };
	static const struct option longopts[] = {
		{ "key",    required_argument, NULL, OPT_KEY },
		{ "reason", required_argument, NULL, OPT_REASON },
		{ "config", required_argument, NULL, 'c' },
		{ "no-replace", no_argument,   NULL, OPT_NO_REPLACE },
		{ "help",   no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	opterr = 0;	/* our messages, not getopt's */
	optind = 0;	/* glibc: also reset its permutation state */
	while ((c = getopt_long(argc, argv, ":c:h", longopts, NULL)) != -1) {
		if (c == '?' || c == ':')
			return usage_bad_option("revoke", "revoke", c, argv);
		if (optarg != NULL && optarg[0] == '\0')
			return usage_empty_value("revoke", "revoke", argv);
		if (c == 'h') {
			r->help = true;
			return 0;
		}
		if (c == 'c' && r->conf_path != NULL)
			return usage_error("revoke", "revoke: -c given twice; "
			    "give it once");
		if (c == 'c' || c == OPT_NO_REPLACE) {
			if (c == 'c')
				r->conf_path = optarg;
			else
				r->no_replace = true;
			continue;
		}
		if ((c == OPT_KEY && r->key_path != NULL) ||
		    (c == OPT_REASON && r->reason != -1))
			return usage_error("revoke", "revoke: --%s given "
			    "twice; give it once", c == OPT_KEY ? "key" :
			    "reason");
		if (c == OPT_KEY)
			r->key_path = optarg;
		else if ((r->reason = revoke_reason_parse(optarg)) == -1)
			return usage_error("revoke", "revoke: unknown --reason "
			    "%s (unspecified, keyCompromise, "
			    "affiliationChanged, superseded or "
			    "cessationOfOperation)", optarg);
	}
	if (optind == argc)
		return usage_error("revoke", "revoke needs the certificate "
		    "file");
	if (optind != argc - 1)
		return usage_error("revoke", "revoke: one certificate file, "
		    "not %s and %s", argv[optind], argv[optind + 1]);
	r->cert_path = argv[optind];
	return 0;
}

/* A certificate file (the first form), or a section or directory. */
static bool
names_a_file(const char *path)
{
	struct stat st;

	return path != NULL && stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
}

/* What each form takes. */
static int
check_form(const struct revoke_args *r, bool file)
{
	if (file && (r->conf_path != NULL || r->no_replace))
		return usage_error("revoke", "revoke: %s applies to a SECTION "
		    "or OUTDIR, not to a certificate file (%s)", r->conf_path ?
		    "-c" : "--no-replace", r->cert_path);
	if (!file && r->key_path != NULL)
		return usage_error("revoke", "revoke: --key goes with a "
		    "certificate file; for a SECTION or OUTDIR (%s) acmec "
		    "uses its privkey.pem", r->cert_path);
	return 0;
}

int
revoke_record(const struct config *cfg, const char *serial,
    const char *cert_path, int reason, struct err *e)
{
	char *dir = NULL, *path = NULL, *text = NULL;
	json_t *rec;
	int rc = -1;

	rec = json_pack("{s:s, s:s, s:i, s:I, s:s}", "serial", serial,
	    "certificate", cert_path, "reason", reason < 0 ? 0 : reason,
	    "revoked_at", (json_int_t)time(NULL), "directory",
	    cfg->directory_url);
	/* Every step that fails says so: none may skip the warning. */
	if (rec == NULL ||
	    (text = json_dumps(rec, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL) {
		err_set(e, "cannot make the record: out of memory, or %s "
		    "is not a UTF-8 file name", cert_path);
		goto out;
	}
	if ((dir = store_path(cfg->state_dir, "revoked")) == NULL ||
	    (path = store_path(dir, serial)) == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	if (store_mkdirs(dir, 0700, e) == -1 ||
	    store_write_atomic(path, text, strlen(text), 0600, e) == -1)
		goto out;
	rc = 0;
out:
	json_decref(rec);
	free(text);
	free(path);
	free(dir);
	return rc;
}

/*
 * Sign with the certificate's key, held by a key process that signs
 * revocations only; refuse a key that does not match.  A certificate key
 * may be readable by a group such as ssl-cert (STORE_GROUP_READ).
 */
static struct signer *
certificate_signer(const struct config *cfg, const struct revoke_args *r,
    X509 *cert, struct err *e)
{
	const struct keyproc_key key = { .path = r->key_path,
	    .access = STORE_GROUP_READ };
	char want[KEY_ID_LEN + 1];
	struct signer *s;

	if (key_spki_sha256(X509_get0_pubkey(cert), want, e) == -1) {
		err_prefix(e, "%s", r->cert_path);
		return NULL;
	}
	if ((s = keyproc_start_key(&key, cfg->directory_url,
	    KEYPROC_POLICY_REVOKE, cfg->sandbox, e)) == NULL)
		return NULL;
	/* The same SubjectPublicKeyInfo: the same key pair. */
	if (strcmp(signer_key_id(s), want) != 0) {
		err_set(e, "%s is not the key of this certificate: give the "
		    "private key %s was issued for", r->key_path, r->cert_path);
		signer_free(s);
		return NULL;
	}
	return s;
}

/* Turn the CA's refusals an operator will meet into advice. */
static int
explain_failure(const struct acme_outcome *out, const struct revoke_args *r,
    struct err *e)
{
	if (acme_refused_with(out, "alreadyRevoked")) {
		log_info("%s was already revoked", r->cert_path);
		return 0;
	}
	if (acme_refused_with(out, "unauthorized"))
		err_prefix(e, "the CA refused: %s cannot revoke this "
		    "certificate" "%s",
		    r->key_path ? "this key" : "this account",
		    r->key_path ? "" : " (use --key with the certificate's "
		    "private key)");
	return -1;
}

/*
 * A key revoked for keyCompromise is retired: acmec never uses it again
 * (retired.h).  The revocation has happened; a failure here says so.
 */
static int
retire_compromised(const struct config *cfg, const struct revoke_args *r,
    X509 *cert, const char *serial, struct err *e)
{
	char id[KEY_ID_LEN + 1], *why;
	int rc = -1;

	if (r->reason != REVOKE_KEY_COMPROMISE)
		return 0;
	why = str_fmt("keyCompromise: revoked %s (serial %s)", r->cert_path,
	    serial);
	if (why == NULL)
		err_set(e, "out of memory");
	else if (key_spki_sha256(X509_get0_pubkey(cert), id, e) == 0 &&
	    retired_add(cfg->state_dir, id, why, e) == 0)
		rc = 0;
	free(why);
	if (rc == -1) {
		err_prefix(e, "revoked, but");
		err_append(e, "; until it is, acmec could use the key again: "
		    "fix that and run this command again");
		return -1;
	}
	log_info("the key of %s is retired (%s/%s): acmec never uses it "
	    "again, and its next renewal gets a new key", r->cert_path,
	    cfg->state_dir, RETIRED_FILE);
	if (r->key_path == NULL)
		log_info("signed with the account key: a CA such as Let's "
		    "Encrypt blocks the key only when the certificate's own "
		    "key signs the revocation (--key)");
	return 0;
}

static int
revoke(const struct config *cfg, const struct revoke_args *r, struct err *e)
{
	struct account_options opts = { .sign_policy = KEYPROC_POLICY_REVOKE };
	struct signer *cert_key = NULL;
	struct acme_outcome out;
	struct acme_who who;
	struct session s;
	char *serial = NULL;
	X509 *cert;
	int rc = -1;

	session_init(&s);
	if ((cert = cert_load(r->cert_path, e)) == NULL)
		goto out;
	if ((serial = cert_serial_hex(cert)) == NULL) {
		err_set(e, "%s: cannot read the serial number", r->cert_path);
		goto out;
	}
	if (r->key_path != NULL &&
	    (cert_key = certificate_signer(cfg, r, cert, e)) == NULL)
		goto out;
	/*
	 * With the certificate's key no account and no state are involved:
	 * it must work from an empty or unwritable state directory.
	 */
	if (session_connect(&s, cfg, cert_key == NULL ? &opts : NULL, e) ==
	    -1)
		goto out;
	who = cert_key != NULL ? (struct acme_who){ cert_key, NULL } :
	    account_who(s.account);
	if (acme_certificate_revoke(s.acme, &who, cert, r->reason, &out,
	    e) == -1) {
		if (explain_failure(&out, r, e) == -1)
			goto out;
	} else
		log_info("revoked %s (serial %s)", r->cert_path, serial);
	/*
	 * Already revoked (a first answer lost, say) is recorded too, or
	 * renew would go on serving it.  Best effort: the revocation itself
	 * has happened.
	 */
	if (revoke_record(cfg, serial, r->cert_path, r->reason, e) == -1)
		log_error("warning: revoked, but not recorded: %s", e->msg);
	rc = retire_compromised(cfg, r, cert, serial, e);
out:
	session_close(&s);
	signer_free(cert_key);
	X509_free(cert);
	free(serial);
	return rc;
}

int
revoke_certificate(const struct config *cfg, const char *cert_path,
    const char *key_path, int reason, struct err *e)
{
	struct revoke_args r = { cert_path, key_path, reason, false, NULL,
	    false };

	return revoke(cfg, &r, e);
}

int
cmd_revoke(const struct config *cfg, int argc, char **argv)
{
	struct revoke_args r = { NULL, NULL, -1, false, NULL, false };
	struct err e = { "" };
	bool file;
	int rc;

	if ((rc = parse_revoke_args(argc, argv, &r)) != 0)
		return rc;
	if (r.help) {
		cmd_revoke_usage(stdout);
		return EXIT_OK;
	}
	file = names_a_file(r.cert_path);
	if ((rc = check_form(&r, file)) != 0)
		return rc;
	if (!file)
		return revoke_managed(cfg, r.conf_path, r.cert_path, r.reason,
		    r.no_replace);
	if (revoke(cfg, &r, &e) == -1) {
		log_error("revoke: %s", e.msg);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
