/*
 * conffile.c - the configuration file (acmec.conf(5)), read with libinih.
 *
 * libinih calls us once for each KEY = VALUE line and never for a
 * [section] header, so an empty or a repeated section would go unseen.
 * Our line reader (the fgets of ini_parse_stream) therefore follows each
 * header line with a marker line whose key, MARKER_KEY, no file can
 * contain, since the reader refuses control characters: libinih parses
 * the header as usual and hands us the marker with the section's name.
 * The reader also counts lines (libinih does not pass them to us),
 * refuses over-long lines instead of splitting them, and drops a BOM.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>
#include <openssl/crypto.h>

#include "account.h"
#include "b64url.h"
#include "conffile.h"
#include "contact.h"
#include "eab.h"
#include "store.h"
#include "str.h"

#define MARKER_KEY	"\001"
#define MARKER_LINE	MARKER_KEY " ="
#define UTF8_BOM	"\xef\xbb\xbf"
#define SHOW_MAX	64		/* bytes of a value a message quotes */
#define SHOW_BUF	(SHOW_MAX + 4)	/* with "..." and the NUL */
#define RB_LEN_MAX	16		/* longer than any renew-before */
#define RATIO_MAX	1000		/* largest M of a renew-before N/M */
#define DAYS_MAX	3650		/* longest renew-before */

enum key_id {
	K_DIRECTORY, K_CA_BUNDLE, K_STATE_DIR, K_CONTACT, K_AGREE_TOS,
	K_EAB_KID, K_EAB_HMAC_KEY, K_EAB_HMAC_KEY_FILE, K_PARALLEL,
	K_POST_HOOK, K_FAILURE_HOOK, K_METRICS_FILE, K_TIMEOUT, K_SANDBOX,
	K_NAMES, K_WEBROOT, K_KEY_TYPE, K_CSR, K_OUT, K_DEPLOY_HOOK,
	K_PROFILE, K_RENEW_BEFORE, K_MEMCACHED, K_CHAIN_TRUST,
	K_PREFERRED_CHAIN, K_REUSE_KEY, K_NEXT_KEY,
	K_COUNT
};

enum section_kind { SEC_NONE, SEC_ACMEC, SEC_CERT };

struct parse {
	struct conf	*conf;		/* being built */
	struct err	*e;		/* the first error; then all stops */
	bool		 failed;
	/* The file being read. */
	const char	*file;
	FILE		*fp;
	char		*buf;		/* its last line, from getline */
	size_t		 bufsize;
	int		 line;		/* lines read so far */
	size_t		 header_at;	/* where '[' is in buf */
	bool		 marker_due;	/* buf is a header: marker next */
	/* The section being read. */
	enum section_kind kind;
	const char	*section;
	int		 section_line;
	int		 key_line[K_COUNT];	/* 0: not given in it */
	/* Where [acmec] was, to name both places of a second one. */
	char		*acmec_file;
	int		 acmec_line;
};

typedef int key_setter(struct parse *, const char *, struct err *);

struct key_def {
	const char		*name;
	enum section_kind	 where;
	key_setter		*set;
	const char		*hint;	/* what to give */
};

static void fail(struct parse *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
fail(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->e->msg, sizeof(p->e->msg), fmt, ap);
	va_end(ap);
	p->failed = true;
}

static int
nomem(struct err *e)
{
	err_set(e, "out of memory");
	return -1;
}

/* s for a message: at most SHOW_MAX bytes, "..." after a cut. */
static const char *
show(const char *s, char buf[SHOW_BUF])
{
	if (strlen(s) <= SHOW_MAX)
		return s;
	snprintf(buf, SHOW_BUF, "%.*s...", SHOW_MAX, s);
	return buf;
}

static struct conf_cert *
cur(struct parse *p)
{
	return &p->conf->certs[p->conf->ncerts - 1];
}

/* Append a copy of s to the NULL-terminated list *v of *n strings. */
static int
list_add(char ***v, size_t *n, const char *s)
{
	char **grown, *copy;

	if ((copy = strdup(s)) == NULL)
		return -1;
	if ((grown = reallocarray(*v, *n + 2, sizeof(*grown))) == NULL) {
		free(copy);
		return -1;
	}
	grown[(*n)++] = copy;
	grown[*n] = NULL;
	*v = grown;
	return 0;
}

static void
list_free(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

typedef int word_fn(struct parse *, const char *, struct err *);

/* Call fn on each word of value, as separated by spaces or tabs. */
static int
each_word(struct parse *p, const char *value, word_fn *fn, struct err *e)
{
	char *copy, *word, *last;
	int rc = 0;

	if ((copy = strdup(value)) == NULL)
		return nomem(e);
	for (word = strtok_r(copy, " \t", &last); word != NULL && rc == 0;
	    word = strtok_r(NULL, " \t", &last))
		rc = fn(p, word, e);
	free(copy);
	return rc;
}

/* The digits s[0..n), at most max; -1 unless that is what s is. */
static long
number(const char *s, size_t n, long max)
{
	long v = 0;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
		if (v > max)
			return -1;
	}
	return v;
}

/* A copy of value; NULL (and *e) when out of memory. */
static char *
dup_value(const char *value, struct err *e)
{
	char *s;

	if ((s = strdup(value)) == NULL)
		(void)nomem(e);
	return s;
}

/*
 * A copy of an absolute path.  A relative one would depend on the
 * directory acmec happens to run in, which is not the same from cron.
 */
static char *
dup_path(const char *value, struct err *e)
{
	char buf[SHOW_BUF];

	if (value[0] != '/') {
		err_set(e, "%s is not an absolute path: give one that starts "
		    "with / (a relative one depends on where acmec runs)",
		    show(value, buf));
		return NULL;
	}
	return dup_value(value, e);
}

static int
long_value(const char *value, long min, long max, long *out, struct err *e)
{
	char buf[SHOW_BUF];
	long v = number(value, strlen(value), max);

	if (v < min) {
		err_set(e, "%s: give a whole number from %ld to %ld",
		    show(value, buf), min, max);
		return -1;
	}
	*out = v;
	return 0;
}

/* 1 to SHOW_MAX of [A-Za-z0-9._-]. */
static bool
is_token(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");

	return n > 0 && n <= SHOW_MAX && s[n] == '\0';
}

/* --- [acmec] ---------------------------------------------------------- */

static int
set_directory(struct parse *p, const char *value, struct err *e)
{
	char buf[SHOW_BUF];

	if (strncmp(value, "https://", 8) != 0 || value[8] == '\0' ||
	    strpbrk(value, " \t") != NULL) {
		err_set(e, "%s is not an https URL: give the URL of the CA's "
		    "ACME directory, e.g. %s", show(value, buf),
		    CONFIG_LE_PRODUCTION);
		return -1;
	}
	return (p->conf->directory = dup_value(value, e)) ? 0 : -1;
}

static int
set_ca_bundle(struct parse *p, const char *value, struct err *e)
{
	return (p->conf->ca_bundle = dup_path(value, e)) ? 0 : -1;
}

static int
set_state_dir(struct parse *p, const char *value, struct err *e)
{
	return (p->conf->state_dir = dup_path(value, e)) ? 0 : -1;
}

/*
 * The message of a check shared with the command line starts with the
 * option, as "--contact " or "--sandbox: ": drop it, the key is named
 * in front.
 */
static void
drop_option_name(struct err *e, const char *opt)
{
	size_t n = strlen(opt);

	if (strncmp(e->msg, opt, n) == 0)
		memmove(e->msg, e->msg + n, strlen(e->msg) - n + 1);
}

static int
add_contact(struct parse *p, const char *contact, struct err *e)
{
	struct conf *c = p->conf;

	if (contact_check(contact, e) == -1) {
		drop_option_name(e, "--contact ");
		return -1;
	}
	if (c->ncontacts == ACCOUNT_MAX_CONTACTS) {
		err_set(e, "more than %d contacts", ACCOUNT_MAX_CONTACTS);
		return -1;
	}
	return list_add(&c->contacts, &c->ncontacts, contact) ?
	    nomem(e) : 0;
}

static int
set_contact(struct parse *p, const char *value, struct err *e)
{
	return each_word(p, value, add_contact, e);
}

static int
yes_no(const char *value, bool *out, struct err *e)
{
	char buf[SHOW_BUF];

	if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0) {
		err_set(e, "give yes or no, not %s",
		    show(value, buf));
		return -1;
	}
	*out = strcmp(value, "yes") == 0;
	return 0;
}

static int
set_agree_tos(struct parse *p, const char *value, struct err *e)
{
	return yes_no(value, &p->conf->agree_tos, e);
}

static int
set_eab_kid(struct parse *p, const char *value, struct err *e)
{
	if (strpbrk(value, " \t") != NULL) {
		err_set(e, "a key identifier has no spaces: give the one the "
		    "CA gave you");
		return -1;
	}
	return (p->conf->eab_kid = dup_value(value, e)) ? 0 : -1;
}

/* A secret: the message never shows it. */
static int
set_eab_hmac_key(struct parse *p, const char *value, struct err *e)
{
	unsigned char *key;
	size_t len;

	if ((key = b64url_decode(value, &len)) == NULL) {
		err_set(e, "not base64url (letters, digits, - and _, no "
		    "padding): give the HMAC key the CA gave you");
		return -1;
	}
	OPENSSL_cleanse(key, len);
	free(key);
	return (p->conf->eab_hmac_key = dup_value(value, e)) ? 0 : -1;
}

/* Read when the key is needed (renew), not by status: a path here. */
static int
set_eab_hmac_key_file(struct parse *p, const char *value, struct err *e)
{
	return (p->conf->eab_hmac_key_file = dup_path(value, e)) ? 0 : -1;
}

static int
set_parallel(struct parse *p, const char *value, struct err *e)
{
	long v;

	if (long_value(value, 1, 64, &v, e) == -1)
		return -1;
	p->conf->parallel = (int)v;
	return 0;
}

static int
set_post_hook(struct parse *p, const char *value, struct err *e)
{
	return (p->conf->post_hook = dup_value(value, e)) ? 0 : -1;
}

static int
set_failure_hook(struct parse *p, const char *value, struct err *e)
{
	return (p->conf->failure_hook = dup_value(value, e)) ? 0 : -1;
}

static int
set_metrics_file(struct parse *p, const char *value, struct err *e)
{
	return (p->conf->metrics_file = dup_path(value, e)) ? 0 : -1;
}

static int
set_timeout(struct parse *p, const char *value, struct err *e)
{
	return long_value(value, 1, 3600, &p->conf->timeout, e);
}

static int
set_sandbox(struct parse *p, const char *value, struct err *e)
{
	if (sandbox_mode_parse(value, &p->conf->sandbox, e) == -1) {
		drop_option_name(e, "--sandbox: ");
		return -1;
	}
	return 0;
}

/* --- certificate sections --------------------------------------------- */

static int
add_name(struct parse *p, const char *name, struct err *e)
{
	return names_add(&cur(p)->spec.names, name) ? nomem(e) : 0;
}

static int
set_names(struct parse *p, const char *value, struct err *e)
{
	if (each_word(p, value, add_name, e) == -1)
		return -1;
	return names_check_dns(&cur(p)->spec.names, e);
}

static int
set_webroot(struct parse *p, const char *value, struct err *e)
{
	return (cur(p)->spec.webroot = dup_path(value, e)) ? 0 : -1;
}

static int
set_key_type(struct parse *p, const char *value, struct err *e)
{
	char buf[SHOW_BUF];
	struct cert_spec *spec = &cur(p)->spec;

	if (key_type_parse(value, &spec->key_type) == -1) {
		err_set(e, "unknown key type %s (ec-256, ec-384, rsa-2048, "
		    "rsa-3072, rsa-4096)", show(value, buf));
		return -1;
	}
	spec->key_type_given = true;
	return 0;
}

static int
set_reuse_key(struct parse *p, const char *value, struct err *e)
{
	return yes_no(value, &cur(p)->spec.reuse_key, e);
}

static int
set_next_key(struct parse *p, const char *value, struct err *e)
{
	return yes_no(value, &cur(p)->spec.next_key, e);
}

static int
set_csr(struct parse *p, const char *value, struct err *e)
{
	return (cur(p)->spec.csr_path = dup_path(value, e)) ? 0 : -1;
}

static int
set_out(struct parse *p, const char *value, struct err *e)
{
	return (cur(p)->spec.out_dir = dup_path(value, e)) ? 0 : -1;
}

static int
set_deploy_hook(struct parse *p, const char *value, struct err *e)
{
	return (cur(p)->spec.deploy_hook = dup_value(value, e)) ? 0 : -1;
}

static int
set_profile(struct parse *p, const char *value, struct err *e)
{
	char buf[SHOW_BUF];

	if (!is_token(value)) {
		err_set(e, "%s is not a profile name: give 1 to %d letters, "
		    "digits, '.', '_' or '-', such as tlsserver",
		    show(value, buf), SHOW_MAX);
		return -1;
	}
	return (cur(p)->profile = dup_value(value, e)) ? 0 : -1;
}

static int
set_chain_trust(struct parse *p, const char *value, struct err *e)
{
	return (cur(p)->spec.chain_trust = dup_path(value, e)) ? 0 : -1;
}

static int
set_preferred_chain(struct parse *p, const char *value, struct err *e)
{
	return (cur(p)->spec.preferred_chain = dup_value(value, e)) ? 0 : -1;
}

static int
set_renew_before(struct parse *p, const char *value, struct err *e)
{
	return conf_parse_renew_before(value, &cur(p)->renew_before, e);
}

/* HOST:PORT, HOST a DNS name or IPv4 address, or [IPv6]:PORT. */
static bool
is_host_port(const char *s)
{
	char host[254];
	struct in6_addr a6;
	const char *end, *colon;
	size_t n;

	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL || end[1] != ':')
			return false;
		n = end - s - 1;
		colon = end + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return false;
		n = colon - s;
	}
	if (n == 0 || n >= sizeof(host))
		return false;
	memcpy(host, s[0] == '[' ? s + 1 : s, n);
	host[n] = '\0';
	if (s[0] == '[' ? inet_pton(AF_INET6, host, &a6) != 1 :
	    (!names_is_valid_dns(host) || host[0] == '*'))
		return false;
	return number(colon + 1, strlen(colon + 1), 65535) > 0;
}

static int
add_memcached(struct parse *p, const char *server, struct err *e)
{
	char buf[SHOW_BUF];
	struct conf_cert *c = cur(p);

	if (!is_host_port(server)) {
		err_set(e, "%s is not HOST:PORT: give e.g. 127.0.0.1:11211 or "
		    "[::1]:11211", show(server, buf));
		return -1;
	}
	return list_add(&c->memcached, &c->nmemcached, server) ? nomem(e) :
	    0;
}

static int
set_memcached(struct parse *p, const char *value, struct err *e)
{
	return each_word(p, value, add_memcached, e);
}

static const struct key_def keys[K_COUNT] = {
	[K_DIRECTORY] = { "directory", SEC_ACMEC, set_directory,
	    "the https URL of the CA's ACME directory" },
	[K_CA_BUNDLE] = { "ca-bundle", SEC_ACMEC, set_ca_bundle,
	    "the absolute path of a PEM file" },
	[K_STATE_DIR] = { "state-dir", SEC_ACMEC, set_state_dir,
	    "the absolute path of a directory" },
	[K_CONTACT] = { "contact", SEC_ACMEC, set_contact,
	    "mailto:ADDRESS ..." },
	[K_AGREE_TOS] = { "agree-tos", SEC_ACMEC, set_agree_tos,
	    "yes or no" },
	[K_EAB_KID] = { "eab-kid", SEC_ACMEC, set_eab_kid,
	    "the key identifier the CA gave you" },
	[K_EAB_HMAC_KEY] = { "eab-hmac-key", SEC_ACMEC, set_eab_hmac_key,
	    "the HMAC key the CA gave you" },
	[K_EAB_HMAC_KEY_FILE] = { "eab-hmac-key-file", SEC_ACMEC,
	    set_eab_hmac_key_file,
	    "the absolute path of a file holding the HMAC key" },
	[K_PARALLEL] = { "parallel", SEC_ACMEC, set_parallel,
	    "a whole number from 1 to 64" },
	[K_POST_HOOK] = { "post-hook", SEC_ACMEC, set_post_hook,
	    "a command" },
	[K_FAILURE_HOOK] = { "failure-hook", SEC_ACMEC, set_failure_hook,
	    "a command" },
	[K_METRICS_FILE] = { "metrics-file", SEC_ACMEC, set_metrics_file,
	    "the absolute path of a file" },
	[K_TIMEOUT] = { "timeout", SEC_ACMEC, set_timeout,
	    "seconds, from 1 to 3600" },
	[K_SANDBOX] = { "sandbox", SEC_ACMEC, set_sandbox,
	    "auto, require or off" },
	[K_NAMES] = { "names", SEC_CERT, set_names,
	    "domain names, separated by spaces" },
	[K_WEBROOT] = { "webroot", SEC_CERT, set_webroot,
	    "the absolute path of the directory the web server serves" },
	[K_KEY_TYPE] = { "key-type", SEC_CERT, set_key_type,
	    "ec-256, ec-384, rsa-2048, rsa-3072 or rsa-4096" },
	[K_CSR] = { "csr", SEC_CERT, set_csr,
	    "the absolute path of a PEM certificate signing request" },
	[K_OUT] = { "out", SEC_CERT, set_out,
	    "the absolute path of a directory" },
	[K_DEPLOY_HOOK] = { "deploy-hook", SEC_CERT, set_deploy_hook,
	    "a command" },
	[K_PROFILE] = { "profile", SEC_CERT, set_profile,
	    "a profile the CA offers, such as tlsserver" },
	[K_RENEW_BEFORE] = { "renew-before", SEC_CERT, set_renew_before,
	    "a share of the lifetime (1/3, 0.25) or a time (30d, 12h)" },
	[K_MEMCACHED] = { "memcached", SEC_CERT, set_memcached,
	    "HOST:PORT ..." },
	[K_CHAIN_TRUST] = { "chain-trust", SEC_CERT, set_chain_trust,
	    "the absolute path of a PEM file of trusted roots" },
	[K_PREFERRED_CHAIN] = { "preferred-chain", SEC_CERT,
	    set_preferred_chain, "the CN of the chain's top issuer" },
	[K_REUSE_KEY] = { "reuse-key", SEC_CERT, set_reuse_key,
	    "yes (keep the key across renewals) or no (a new key each time)" },
	[K_NEXT_KEY] = { "next-key", SEC_CERT, set_next_key,
	    "yes (announce the key of the next renewal) or no" },
};

/* --- renew-before ----------------------------------------------------- */

/* "N/M", 0 < N < M <= RATIO_MAX. */
static int
parse_ratio(const char *value, struct renew_before *rb, struct err *e)
{
	const char *slash = strchr(value, '/');
	long n, m;

	n = number(value, slash - value, RATIO_MAX);
	m = number(slash + 1, strlen(slash + 1), RATIO_MAX);
	if (n < 1 || m < 1 || n >= m) {
		err_set(e, "%s: give N/M with 0 < N < M <= %d, e.g. 1/3 "
		    "(renew when a third of the lifetime is left)", value,
		    RATIO_MAX);
		return -1;
	}
	rb->kind = RENEW_BEFORE_FRACTION;
	rb->fraction = (double)n / (double)m;
	rb->seconds = 0;
	return 0;
}

/*
 * "0.25" or ".25", 0 < x < 1.  Computed digit by digit, not by strtod(3),
 * whose decimal point depends on the locale.
 */
static int
parse_decimal(const char *value, struct renew_before *rb, struct err *e)
{
	const char *dot = strchr(value, '.');
	size_t lead = dot - value, ndig = strlen(dot + 1);
	double x = 0, scale = 1;

	if ((lead > 0 && number(value, lead, 0) != 0) || ndig > 9 ||
	    number(dot + 1, ndig, 999999999) < 1) {
		err_set(e, "%s: give a decimal between 0 and 1, e.g. 0.25 "
		    "(renew when a quarter of the lifetime is left)", value);
		return -1;
	}
	for (size_t i = 0; i < ndig; i++) {
		scale /= 10;
		x += (dot[1 + i] - '0') * scale;
	}
	rb->kind = RENEW_BEFORE_FRACTION;
	rb->fraction = x;
	rb->seconds = 0;
	return 0;
}

/* "Nd" or "Nh", N > 0, at most DAYS_MAX days. */
static int
parse_duration(const char *value, struct renew_before *rb, struct err *e)
{
	size_t len = strlen(value);
	bool days = value[len - 1] == 'd';
	long n, max = days ? DAYS_MAX : DAYS_MAX * 24;

	n = number(value, len - 1, max);
	if (n < 1) {
		err_set(e, "%s: give a number of days or hours from 1 to %ld, "
		    "e.g. 30d or 12h", value, max);
		return -1;
	}
	rb->kind = RENEW_BEFORE_SECONDS;
	rb->fraction = 0;
	rb->seconds = n * (days ? 86400 : 3600);
	return 0;
}

int
conf_parse_renew_before(const char *value, struct renew_before *rb,
    struct err *e)
{
	char buf[SHOW_BUF];
	size_t len = strlen(value);

	/* The parsers below quote the value whole: it must be short. */
	if (len <= RB_LEN_MAX) {
		if (strchr(value, '/') != NULL)
			return parse_ratio(value, rb, e);
		if (strchr(value, '.') != NULL)
			return parse_decimal(value, rb, e);
		if (len > 1 && (value[len - 1] == 'd' ||
		    value[len - 1] == 'h'))
			return parse_duration(value, rb, e);
	}
	err_set(e, "%s: give a share of the lifetime (1/3, 0.25) or a time "
	    "(30d, 12h)", show(value, buf));
	return -1;
}

/* --- sections --------------------------------------------------------- */

static void
key_fail(struct parse *p, enum key_id id, int line, const char *why)
{
	fail(p, "%s:%d: [%s] %s: %s", p->file, line, p->section,
	    keys[id].name, why);
}

/* Keys a and b exclude each other: name the later one and the earlier. */
static void
conflict(struct parse *p, enum key_id a, enum key_id b, const char *why)
{
	char msg[256];
	enum key_id later = p->key_line[a] > p->key_line[b] ? a : b;
	enum key_id earlier = later == a ? b : a;

	snprintf(msg, sizeof(msg), "excludes %s (line %d): %s",
	    keys[earlier].name, p->key_line[earlier], why);
	key_fail(p, later, p->key_line[later], msg);
}

static void
cert_end(struct parse *p)
{
	const int *at = p->key_line;

	if (!at[K_NAMES] && !at[K_CSR])
		fail(p, "%s:%d: [%s]: no names: give names = NAME ... (or "
		    "csr = FILE)", p->file, p->section_line, p->section);
	else if (at[K_NAMES] && at[K_CSR])
		conflict(p, K_NAMES, K_CSR, "the names come from the CSR");
	else if (at[K_KEY_TYPE] && at[K_CSR])
		conflict(p, K_KEY_TYPE, K_CSR, "the CSR brings its own key");
	else if (at[K_REUSE_KEY] && at[K_CSR])
		conflict(p, K_REUSE_KEY, K_CSR, "the CSR brings its own key");
	else if (at[K_NEXT_KEY] && at[K_CSR])
		conflict(p, K_NEXT_KEY, K_CSR, "the CSR brings its own key");
	else if (cur(p)->spec.next_key && cur(p)->spec.reuse_key)
		conflict(p, K_NEXT_KEY, K_REUSE_KEY, "the next key replaces "
		    "the key in place, which reuse-key = yes keeps; give one "
		    "of them");
	else if (!at[K_WEBROOT] && !at[K_MEMCACHED])
		fail(p, "%s:%d: [%s]: no webroot: give webroot = DIR, the "
		    "directory the web server serves for the names (or "
		    "memcached = HOST:PORT)", p->file, p->section_line,
		    p->section);
	else if (at[K_WEBROOT] && at[K_MEMCACHED])
		conflict(p, K_WEBROOT, K_MEMCACHED, "give one place for the "
		    "challenge files");
	else if (at[K_CHAIN_TRUST] && at[K_PREFERRED_CHAIN])
		conflict(p, K_CHAIN_TRUST, K_PREFERRED_CHAIN, "the chain that "
		    "verifies is the one to install");
}

static void
acmec_end(struct parse *p)
{
	const int *at = p->key_line;

	if (at[K_EAB_HMAC_KEY] && at[K_EAB_HMAC_KEY_FILE])
		conflict(p, K_EAB_HMAC_KEY, K_EAB_HMAC_KEY_FILE, "give the "
		    "HMAC key once");
	else if (at[K_EAB_KID] && !at[K_EAB_HMAC_KEY] &&
	    !at[K_EAB_HMAC_KEY_FILE] && getenv(EAB_KEY_ENV) == NULL)
		key_fail(p, K_EAB_KID, at[K_EAB_KID], "needs eab-hmac-key-file "
		    "(or eab-hmac-key, or " EAB_KEY_ENV " in the environment) "
		    "too: external account binding takes both");
	else if (at[K_EAB_HMAC_KEY] && !at[K_EAB_KID])
		key_fail(p, K_EAB_HMAC_KEY, at[K_EAB_HMAC_KEY], "needs eab-kid "
		    "too: external account binding takes both");
	else if (at[K_EAB_HMAC_KEY_FILE] && !at[K_EAB_KID])
		key_fail(p, K_EAB_HMAC_KEY_FILE, at[K_EAB_HMAC_KEY_FILE],
		    "needs eab-kid too: external account binding takes both");
}

static void
section_end(struct parse *p)
{
	if (p->kind == SEC_ACMEC)
		acmec_end(p);
	else if (p->kind == SEC_CERT)
		cert_end(p);
	p->kind = SEC_NONE;
}

/* STATE_DIR/live/NAME is the default output directory. */
static bool
is_dir_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CONF_SECTION_MAX || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return false;
	for (; *s != '\0'; s++)
		if (!isgraph((unsigned char)*s) || *s == '/')
			return false;
	return true;
}

static void
acmec_begin(struct parse *p)
{
	if (p->acmec_file != NULL) {
		fail(p, "%s:%d: [%s]: given twice (first at %s:%d): merge the "
		    "two", p->file, p->line, CONF_GLOBAL_SECTION,
		    p->acmec_file, p->acmec_line);
		return;
	}
	if ((p->acmec_file = strdup(p->file)) == NULL) {
		(void)nomem(p->e);
		p->failed = true;
		return;
	}
	p->acmec_line = p->line;
	p->kind = SEC_ACMEC;
	p->section = CONF_GLOBAL_SECTION;
}

static void
cert_begin(struct parse *p, const char *name)
{
	struct conf *c = p->conf;
	struct conf_cert *grown, *cert;

	for (size_t i = 0; i < c->ncerts; i++)
		if (strcmp(c->certs[i].section, name) == 0) {
			fail(p, "%s:%d: [%s]: given twice (first at %s:%d): "
			    "merge the two, or rename one", p->file, p->line,
			    name, c->certs[i].file, c->certs[i].line);
			return;
		}
	if ((grown = reallocarray(c->certs, c->ncerts + 1,
	    sizeof(*grown))) == NULL) {
		(void)nomem(p->e);
		p->failed = true;
		return;
	}
	c->certs = grown;
	cert = &c->certs[c->ncerts++];
	memset(cert, 0, sizeof(*cert));
	cert->line = p->line;
	if ((cert->section = strdup(name)) == NULL ||
	    (cert->file = strdup(p->file)) == NULL) {
		(void)nomem(p->e);
		p->failed = true;
		return;
	}
	p->kind = SEC_CERT;
	p->section = cert->section;
}

/*
 * A header line, as our reader saw it, ends right after the name libinih
 * gives us, unless libinih cut a name longer than CONF_SECTION_MAX.
 */
static bool
header_is_whole(const struct parse *p, const char *name)
{
	const char *h = p->buf + p->header_at + 1;
	size_t n = strlen(name);

	return strncmp(h, name, n) == 0 && h[n] == ']';
}

static void
section_begin(struct parse *p, const char *name)
{
	bool whole = header_is_whole(p, name);

	section_end(p);
	if (p->failed)
		return;
	memset(p->key_line, 0, sizeof(p->key_line));
	p->section_line = p->line;
	if (whole && strcmp(name, CONF_GLOBAL_SECTION) == 0)
		acmec_begin(p);
	else if (whole && is_dir_name(name))
		cert_begin(p, name);
	else
		fail(p, "%s:%d: [%s%s]: not usable as a directory name: give "
		    "1 to %d visible ASCII characters without '/', other "
		    "than . and .. (the default output directory is "
		    "STATE_DIR/live/SECTION)", p->file, p->line, name,
		    whole ? "" : "...", CONF_SECTION_MAX);
}

/* --- keys ------------------------------------------------------------- */

static int
key_find(const char *name)
{
	for (int i = 0; i < K_COUNT; i++)
		if (strcmp(keys[i].name, name) == 0)
			return i;
	return -1;
}

static void
key_unknown(struct parse *p, const char *name)
{
	char buf[SHOW_BUF], list[512] = "";

	for (int i = 0; i < K_COUNT; i++)
		if (keys[i].where == p->kind)
			str_append(list, sizeof(list), keys[i].name);
	fail(p, "%s:%d: [%s] %s: unknown key (%s takes %s)", p->file,
	    p->line, p->section, show(name, buf),
	    p->kind == SEC_ACMEC ? "[" CONF_GLOBAL_SECTION "]" :
	    "a certificate section", list);
}

static void
key_take(struct parse *p, const char *name, const char *value)
{
	struct err why = { "" };
	int id = key_find(name);

	if (id == -1)
		key_unknown(p, name);
	else if (keys[id].where != p->kind)
		key_fail(p, id, p->line, keys[id].where == SEC_ACMEC ?
		    "belongs in [" CONF_GLOBAL_SECTION "], not in a "
		    "certificate section" : "belongs in a certificate "
		    "section, not in [" CONF_GLOBAL_SECTION "]");
	else if (p->key_line[id] != 0 && id != K_CONTACT) {
		snprintf(why.msg, sizeof(why.msg), "given twice (first on "
		    "line %d): give it once", p->key_line[id]);
		key_fail(p, id, p->line, why.msg);
	} else if (value[0] == '\0') {
		snprintf(why.msg, sizeof(why.msg), "no value: give %s",
		    keys[id].hint);
		key_fail(p, id, p->line, why.msg);
	} else if (keys[id].set(p, value, &why) == -1)
		key_fail(p, id, p->line, why.msg);
	else if (p->key_line[id] == 0)
		p->key_line[id] = p->line;
}

/* libinih's handler: one KEY = VALUE, or our marker of a new section. */
static int
on_key(void *user, const char *section, const char *name,
    const char *value)
{
	struct parse *p = user;
	char buf[SHOW_BUF];

	if (p->failed)
		return 0;
	if (strcmp(name, MARKER_KEY) == 0)
		section_begin(p, section);
	else if (p->kind == SEC_NONE)
		fail(p, "%s:%d: %s: before any [section]: put it under [%s] "
		    "or a certificate's [section]", p->file, p->line,
		    show(name, buf), CONF_GLOBAL_SECTION);
	else
		key_take(p, name, value);
	return !p->failed;
}

/* --- reading files ---------------------------------------------------- */

/* Refuse what libinih would cut or pass on to a terminal. */
static bool
line_ok(struct parse *p, const char *line, size_t len, int num)
{
	if (len > CONF_LINE_MAX || len + 1 > (size_t)num) {
		fail(p, "%s:%d: longer than %d bytes", p->file, p->line,
		    CONF_LINE_MAX);
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = line[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			fail(p, "%s:%d: control character 0x%02x in column "
			    "%zu: remove it", p->file, p->line, c, i + 1);
			return false;
		}
	}
	return true;
}

/* libinih's fgets: the next line, or the marker after a header. */
static char *
read_line(char *str, int num, void *stream)
{
	struct parse *p = stream;
	char *line;
	ssize_t len;

	if (p->failed)
		return NULL;
	if (p->marker_due) {
		p->marker_due = false;
		snprintf(str, num, "%s", MARKER_LINE);
		return str;
	}
	if ((len = getline(&p->buf, &p->bufsize, p->fp)) == -1) {
		if (ferror(p->fp))
			fail(p, "cannot read %s: %s", p->file,
			    strerror(errno));
		return NULL;
	}
	line = p->buf;
	if (++p->line == 1 && strncmp(line, UTF8_BOM, 3) == 0) {
		line += 3;
		len -= 3;
	}
	if (len > 0 && line[len - 1] == '\n')
		line[--len] = '\0';
	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (!line_ok(p, line, len, num))
		return NULL;
	p->header_at = line + strspn(line, " \t") - p->buf;
	p->marker_due = p->buf[p->header_at] == '[';
	memcpy(str, line, len + 1);
	return str;
}

/*
 * libinih's options are process-wide variables (Debian's build): set
 * every one that shapes the grammar before each file.
 */
static void
inih_setup(void)
{
	static char comment_start[] = ";#", comment_inline[] = ";";

	ini_allow_multiline = false;	/* an indented line is a new key */
	ini_stop_on_first_error = true;	/* the last line read is the bad one */
	ini_use_stack = true;
	ini_max_line = CONF_LINE_MAX + 1;
	ini_allow_bom = false;		/* read_line drops it */
	ini_allow_no_value = false;
	ini_allow_inline_comments = true;
	ini_start_comment_prefixes = comment_start;
	ini_inline_comment_prefixes = comment_inline;
}

static int
parse_stream(struct parse *p)
{
	int rc;

	inih_setup();
	rc = ini_parse_stream(read_line, p, on_key, p);
	if (p->failed)
		return -1;
	if (rc == -2)
		fail(p, "%s: out of memory", p->file);
	else if (rc != 0)
		fail(p, "%s:%d: not a [section] header, KEY = VALUE or a "
		    "comment", p->file, p->line);
	else
		section_end(p);
	return p->failed ? -1 : 0;
}

static int
read_conf_file(struct parse *p, const char *path)
{
	struct stat st;
	int fd, rc;

	/* O_NONBLOCK: a FIFO must not hang us before fstat says what it is. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1) {
		err_errno(p->e, "cannot open %s", path);
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		err_errno(p->e, "cannot stat %s", path);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(p->e, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (store_check_trusted(path, &st, p->e) == -1) {
		close(fd);
		return -1;
	}
	if ((p->fp = fdopen(fd, "r")) == NULL) {
		err_errno(p->e, "cannot read %s", path);
		close(fd);
		return -1;
	}
	p->file = path;
	p->line = 0;
	p->marker_due = false;
	p->kind = SEC_NONE;
	rc = parse_stream(p);
	fclose(p->fp);
	p->fp = NULL;
	return rc;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add DIR/NAME if NAME is a conf.d file: NAME.conf, not hidden. */
static int
confd_add(const char *dir, const char *name, char ***v, size_t *n)
{
	size_t len = strlen(name);
	char *path;
	int rc;

	if (name[0] == '.' || len <= 5 || strcmp(name + len - 5, ".conf"))
		return 0;
	if ((path = str_fmt("%s/%s", dir, name)) == NULL)
		return -1;
	rc = list_add(v, n, path);
	free(path);
	return rc;
}

/* The conf.d files beside path, sorted; none if there is no conf.d. */
static int
confd_list(const char *path, char ***out, size_t *n, struct err *e)
{
	const char *slash = strrchr(path, '/');
	struct dirent *de;
	struct stat st;
	char *dir;
	DIR *d;
	int rc = -1;

	dir = slash ? str_fmt("%.*s/conf.d", (int)(slash - path), path) :
	    strdup("conf.d");
	if (dir == NULL)
		return nomem(e);
	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			rc = 0;
		else
			err_errno(e, "cannot read directory %s", dir);
		free(dir);
		return rc;
	}
	/* Whoever may add a file there may add a hook. */
	if (fstat(dirfd(d), &st) == -1) {
		err_errno(e, "cannot stat directory %s", dir);
		goto done;
	}
	if (store_check_trusted(dir, &st, e) == -1)
		goto done;
	while (errno = 0, (de = readdir(d)) != NULL)
		if (confd_add(dir, de->d_name, out, n) == -1)
			break;
	if (de != NULL)
		(void)nomem(e);
	else if (errno != 0)
		err_errno(e, "cannot read directory %s", dir);
	else
		rc = 0;
done:
	closedir(d);
	free(dir);
	if (rc == 0 && *n > 1)
		qsort(*out, *n, sizeof(**out), by_name);
	return rc;
}

int
conf_load(const char *path, struct conf **out, struct err *e)
{
	struct parse p;
	char **files = NULL;
	size_t nfiles = 0;
	int rc = -1;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	p.e = e;
	if ((p.conf = calloc(1, sizeof(*p.conf))) == NULL)
		return nomem(e);
	p.conf->parallel = CONF_PARALLEL_DEFAULT;
	if (read_conf_file(&p, path) == -1 ||
	    confd_list(path, &files, &nfiles, e) == -1)
		goto out;
	for (size_t i = 0; i < nfiles; i++)
		if (read_conf_file(&p, files[i]) == -1)
			goto out;
	*out = p.conf;
	p.conf = NULL;
	rc = 0;
out:
	list_free(files);
	free(p.acmec_file);
	/* The last line read may have held the EAB HMAC key. */
	if (p.buf != NULL)
		OPENSSL_cleanse(p.buf, p.bufsize);
	free(p.buf);
	conf_free(p.conf);
	return rc;
}

static void
cert_clear(struct conf_cert *c)
{
	free(c->section);
	free(c->file);
	names_clear(&c->spec.names);
	/* const in the spec for the engine, which borrows them; ours. */
	free((char *)c->spec.csr_path);
	free((char *)c->spec.out_dir);
	free((char *)c->spec.webroot);
	free((char *)c->spec.deploy_hook);
	free((char *)c->spec.chain_trust);
	free((char *)c->spec.preferred_chain);
	free(c->profile);
	list_free(c->memcached);
}

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	free(c->directory);
	free(c->ca_bundle);
	free(c->state_dir);
	list_free(c->contacts);
	free(c->eab_kid);
	if (c->eab_hmac_key != NULL)
		OPENSSL_cleanse(c->eab_hmac_key, strlen(c->eab_hmac_key));
	free(c->eab_hmac_key);
	free(c->eab_hmac_key_file);
	free(c->post_hook);
	free(c->failure_hook);
	free(c->metrics_file);
	for (size_t i = 0; i < c->ncerts; i++)
		cert_clear(&c->certs[i]);
	free(c->certs);
	free(c);
}
