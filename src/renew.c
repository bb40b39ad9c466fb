/*
 * renew.c - whether each certificate of the config is due, and why.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "ari.h"
#include "cert.h"
#include "due.h"
#include "key.h"
#include "log.h"
#include "output.h"
#include "renew.h"
#include "store.h"
#include "str.h"

void
renew_items_free(struct renew_item *items, size_t n)
{
	for (size_t i = 0; items != NULL && i < n; i++) {
		free(items[i].out_dir);
		free(items[i].record_path);
		renewal_clear(&items[i].st);
		X509_free(items[i].cert);
		free(items[i].cert_id);
	}
	free(items);
}

/* The config file's global settings, where the command line gave none. */
void
renew_apply_conf(const struct conf *c, struct config *cfg,
    struct account_options *acct)
{
	if (c->directory != NULL && !(cfg->given & CONFIG_GIVEN_DIRECTORY))
		cfg->directory_url = c->directory;
	if (c->ca_bundle != NULL && !(cfg->given & CONFIG_GIVEN_CA_BUNDLE))
		cfg->ca_bundle = c->ca_bundle;
	if (c->state_dir != NULL && !(cfg->given & CONFIG_GIVEN_STATE_DIR))
		cfg->state_dir = c->state_dir;
	if (c->timeout > 0 && !(cfg->given & CONFIG_GIVEN_TIMEOUT))
		cfg->timeout = c->timeout;
	if (!(cfg->given & CONFIG_GIVEN_SANDBOX))
		cfg->sandbox = c->sandbox;
	acct->create = acct->request.agree_tos = c->agree_tos;
	acct->request.contacts = (const char *const *)c->contacts;
	acct->request.ncontacts = c->ncontacts;
	acct->request.eab_kid = c->eab_kid;
	acct->request.eab_hmac_key = c->eab_hmac_key;
}

static const struct conf_cert *
find_section(const struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->ncerts; i++)
		if (strcmp(c->certs[i].section, name) == 0)
			return &c->certs[i];
	return NULL;
}

static int
item_init(struct renew_item *it, const struct conf_cert *cc,
    const struct config *cfg, struct err *e)
{
	it->cc = cc;
	it->spec = cc->spec;
	it->spec.profile = cc->profile;
	it->spec.label = cc->section;
	it->spec.memcached = (const char *const *)cc->memcached;
	it->out_dir = cc->spec.out_dir ? strdup(cc->spec.out_dir) :
	    config_live_dir(cfg, cc->section);
	it->record_path = str_fmt("%s/renewal/%s.json", cfg->state_dir,
	    cc->section);
	if (it->out_dir == NULL || it->record_path == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	it->spec.out_dir = it->out_dir;
	return renewal_load(it->record_path, &it->st, e);
}

/*
 * Two sections that write to one directory (as resolved, the way its lock
 * is named) would share its lock and order record: refused, naming both.
 */
static int
check_distinct_dirs(const struct conf *c, const struct config *cfg,
    struct err *e)
{
	char **locks = calloc(c->ncerts + 1, sizeof(*locks));
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < c->ncerts; i++) {
		const struct conf_cert *cc = &c->certs[i];
		char *dir = cc->spec.out_dir ? strdup(cc->spec.out_dir) :
		    config_live_dir(cfg, cc->section);

		if (locks == NULL || dir == NULL ||
		    (locks[i] = config_output_lock(cfg, dir)) == NULL) {
			err_set(e, "out of memory");
			rc = -1;
		}
		for (size_t k = 0; rc == 0 && k < i; k++)
			if (strcmp(locks[k], locks[i]) == 0) {
				err_set(e, "[%s] and [%s] both write to %s: "
				    "give each section an out of its own",
				    c->certs[k].section, cc->section, dir);
				rc = -1;
			}
		free(dir);
	}
	for (size_t i = 0; locks != NULL && i < c->ncerts; i++)
		free(locks[i]);
	free(locks);
	return rc;
}

/* renew a a: the same certificate twice in one run. */
static int
check_distinct_sections(char *const *sections, size_t n, struct err *e)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < i; k++)
			if (strcmp(sections[k], sections[i]) == 0) {
				err_set(e, "section [%s] is named twice",
				    sections[i]);
				return -1;
			}
	return 0;
}

int
renew_items_new(const struct conf *c, const struct config *cfg,
    char *const *sections, size_t nsections, struct renew_item **items,
    size_t *n, struct err *e)
{
	size_t count = nsections > 0 ? nsections : c->ncerts;
	const struct conf_cert *cc;

	*n = 0;
	*items = NULL;
	if (check_distinct_sections(sections, nsections, e) == -1 ||
	    check_distinct_dirs(c, cfg, e) == -1)
		return -1;
	if ((*items = calloc(count + 1, sizeof(**items))) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		cc = nsections > 0 ? find_section(c, sections[i]) :
		    &c->certs[i];
		if (cc == NULL) {
			err_set(e, "no certificate section [%s] in the "
			    "config", sections[i]);
			return -1;
		}
		(*n)++;
		if (item_init(&(*items)[i], cc, cfg, e) == -1)
			return -1;
	}
	return 0;
}

static void set_due(struct renew_item *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
set_due(struct renew_item *it, const char *fmt, ...)
{
	va_list ap;

	it->due = true;
	va_start(ap, fmt);
	vsnprintf(it->why, sizeof(it->why), fmt, ap);
	va_end(ap);
}

static void
format_time(time_t t, char *buf, size_t size)
{
	strftime(buf, size, "%Y-%m-%d %H:%M UTC", gmtime(&t));
}

/* The certificate's names and the config's, as "added: ...; dropped: ...". */
static bool
names_changed(const struct renew_item *it, char *buf, size_t size)
{
	struct names have = { NULL, 0 };
	char change[550];
	struct err ignored;

	if (it->spec.csr_path != NULL ||
	    cert_names(it->cert, &have, &ignored) == -1 ||
	    names_equal(&have, &it->spec.names)) {
		names_clear(&have);
		return false;
	}
	names_describe_change(&have, &it->spec.names, change, sizeof(change));
	snprintf(buf, size, "names changed (%s)", change);
	names_clear(&have);
	return true;
}

/* acmec revoke left STATE/revoked/SERIAL for it. */
static bool
was_revoked(X509 *cert, const struct config *cfg)
{
	char *serial = cert_serial_hex(cert), *path = NULL;
	bool revoked;

	if (serial != NULL)
		path = str_fmt("%s/revoked/%s", cfg->state_dir, serial);
	revoked = path != NULL && store_exists(path);
	free(path);
	free(serial);
	return revoked;
}

/*
 * What the config changed since the certificate was issued: every change
 * at once (names, key type and profile), so that one order takes them
 * all and the next run finds nothing left to renew for.
 */
static bool
config_changed(struct renew_item *it)
{
	const char *want = it->spec.profile ? it->spec.profile : "";
	const char *have = it->st.profile ? it->st.profile : "";
	EVP_PKEY *pub = X509_get0_pubkey(it->cert);
	char part[600], why[sizeof(it->why)] = "";

	if (names_changed(it, part, sizeof(part)))
		str_append(why, sizeof(why), part);
	if (it->spec.key_type_given && pub != NULL && it->spec.csr_path ==
	    NULL && strcmp(key_describe(pub),
	    key_type_name(it->spec.key_type)) != 0) {
		snprintf(part, sizeof(part), "key type changed to %s",
		    key_type_name(it->spec.key_type));
		str_append(why, sizeof(why), part);
		it->spec.new_key = true;
	}
	/* A certificate from before the record (issue) keeps its profile. */
	if (it->st.last_success != 0 && strcmp(want, have) != 0) {
		snprintf(part, sizeof(part), "profile changed to %s",
		    want[0] ? want : "the CA's default");
		str_append(why, sizeof(why), part);
	}
	if (why[0] == '\0')
		return false;
	set_due(it, "%s", why);
	return true;
}

void
renew_assess_local(struct renew_item *it, const struct config *cfg,
    time_t now, bool force)
{
	struct err e;
	char when[40];
	int rc;

	renewal_clamp(&it->st, now);
	if (it->st.failures > 0 && it->st.next_attempt > now && !force) {
		it->backed_off = true;
		format_time(it->st.next_attempt, when, sizeof(when));
		snprintf(it->why, sizeof(it->why), "failed %d time(s) in a "
		    "row, last: %s; next attempt after %s (--force to try "
		    "now)", it->st.failures, it->st.last_error ?
		    it->st.last_error : "?", when);
		return;
	}
	/*
	 * As found now: the engine skips it if another run changes it.  Read
	 * as the output module reads the set, so that a link or a FIFO put
	 * in place of cert.pem is neither followed nor waited on here.
	 */
	it->spec.skip_if_changed = true;
	rc = output_read_cert(it->out_dir, &it->cert, &it->spec.cert_mtime,
	    &e);
	/* Forced or not, the order takes whatever the config changed. */
	if (it->cert != NULL && config_changed(it))
		return;
	if (force)
		set_due(it, "renewal forced");
	else if (rc == -1)
		set_due(it, "no readable certificate: %s", e.msg);
	else if (it->cert == NULL)
		set_due(it, "no readable certificate in %s", it->out_dir);
	else if (was_revoked(it->cert, cfg))
		set_due(it, "revoked with acmec revoke");
}

/* Keep the CA's new window; a window moved earlier is news. */
static void
take_window(struct renew_item *it, const struct ari_window *w, long recheck,
    time_t now)
{
	struct renewal_state *st = &it->st;
	bool same_cert = st->ari_cert_id != NULL &&
	    strcmp(st->ari_cert_id, it->cert_id) == 0;
	char from[40], to[40];
	uint64_t r = 0;

	format_time(w->start, from, sizeof(from));
	format_time(w->end, to, sizeof(to));
	if (same_cert && st->ari_start != 0 && w->start < st->ari_start)
		log_error("%s: the CA moved the renewal window earlier, to "
		    "%s .. %s%s%s", it->cc->section, from, to,
		    w->explanation_url ? "; see " : "",
		    w->explanation_url ? w->explanation_url : "");
	if (!same_cert || w->start != st->ari_start || w->end != st->ari_end) {
		(void)RAND_bytes((unsigned char *)&r, sizeof(r));
		renewal_forget_ari(st);
		st->ari_cert_id = strdup(it->cert_id);
		st->ari_start = w->start;
		st->ari_end = w->end;
		st->ari_chosen = ari_pick_time(w->start, w->end, r);
		st->ari_explanation = w->explanation_url ?
		    strdup(w->explanation_url) : NULL;
	}
	st->ari_next_check = now + recheck;
	it->st_changed = true;
}

/* GET the window; false if the CA gave none (the lifetime decides). */
static bool
fetch_window(struct renew_item *it, struct acme *acme, time_t now)
{
	struct ari_window w = { 0, 0, NULL };
	struct acme_outcome out;
	struct err e = { "" };
	char *body = NULL;
	size_t len = 0;
	bool ok;

	ok = acme_renewal_info(acme, it->cert_id, &body, &len, &out,
	    &e) == 0 && ari_parse(body, len, &w, &e) == 0;
	if (ok)
		take_window(it, &w, ari_recheck_after(out.retry_after), now);
	else
		log_verbose("%s: no renewal window from the CA: %s",
		    it->cc->section, e.msg);
	ari_window_clear(&w);
	free(body);
	return ok;
}

/*
 * When the certificate is due by its lifetime, and its notAfter: 0, or
 * -1 if its validity cannot be read.
 */
static int
lifetime_due(const struct renew_item *it, time_t *due, time_t *not_after)
{
	struct err ignored;
	struct tm tm;

	if (!ASN1_TIME_to_tm(X509_get0_notBefore(it->cert), &tm) ||
	    cert_not_after(it->cert, not_after, &ignored) == -1)
		return -1;
	*due = due_time(timegm(&tm), *not_after, &it->cc->renew_before);
	return 0;
}

/* "90 days", "36 hours": a span as people write it. */
static void
format_span(long seconds, char *buf, size_t size)
{
	if (seconds >= 2 * 86400L)
		snprintf(buf, size, "%ld days", seconds / 86400L);
	else
		snprintf(buf, size, "%ld hours", seconds / 3600L);
}

bool
renew_before_ignored(const struct renew_item *it, char *buf, size_t size)
{
	const struct renew_before *rb = &it->cc->renew_before;
	char setting[32], lifetime[32];
	time_t not_after, span;
	struct err ignored;
	struct tm tm;

	if (it->cert == NULL || rb->kind != RENEW_BEFORE_SECONDS ||
	    !ASN1_TIME_to_tm(X509_get0_notBefore(it->cert), &tm) ||
	    cert_not_after(it->cert, &not_after, &ignored) == -1)
		return false;
	span = not_after - timegm(&tm);
	if (span <= 0 || rb->seconds < span)
		return false;
	format_span(rb->seconds, setting, sizeof(setting));
	format_span(span, lifetime, sizeof(lifetime));
	snprintf(buf, size, "renew-before (%s) is not shorter than the "
	    "certificate's lifetime (%s), so the default applies (renewal "
	    "with a third of the lifetime left, half under 10 days): set a "
	    "shorter time, or a share such as 1/4", setting, lifetime);
	return true;
}

/*
 * RFC 9773 section 4.2: due at the time chosen in the CA's window; but
 * a window that ends after the certificate does is not followed past
 * the lifetime rule.
 */
static void
decide_by_ari(struct renew_item *it, time_t now)
{
	time_t lifetime, not_after;
	char when[40];
	bool capped;

	it->ari_decided = true;
	it->due_at = it->st.ari_chosen;
	if (lifetime_due(it, &lifetime, &not_after) == 0)
		it->due_at = due_ari_time(it->st.ari_chosen, it->st.ari_end,
		    not_after, lifetime);
	capped = it->due_at != it->st.ari_chosen;
	format_time(it->due_at, when, sizeof(when));
	if (capped && it->due_at <= now)
		set_due(it, "due since %s (share of the lifetime left; the "
		    "CA's renewal window ends after the certificate)", when);
	else if (capped)
		snprintf(it->why, sizeof(it->why), "not due until %s (share "
		    "of the lifetime left; the CA's renewal window ends after "
		    "the certificate)", when);
	else if (due_by_ari(it->due_at, now, RENEW_RUN_INTERVAL))
		set_due(it, "in the CA's renewal window (chosen time %s)",
		    when);
	else
		snprintf(it->why, sizeof(it->why), "not due: the CA's renewal "
		    "window starts later (chosen time %s)", when);
}

void
renew_assess_ari(struct renew_item *it, struct acme *acme, time_t now)
{
	struct err ignored;

	if (it->due || it->backed_off || it->cert == NULL ||
	    (acme != NULL && !acme_has_renewal_info(acme)) ||
	    (it->cert_id = ari_cert_id(it->cert, &ignored)) == NULL)
		return;
	if (acme != NULL)
		it->spec.replaces = it->cert_id;
	/* RFC 9773 section 4.3: not again before Retry-After. */
	if (acme != NULL && (it->st.ari_cert_id == NULL ||
	    strcmp(it->st.ari_cert_id, it->cert_id) != 0 ||
	    now >= it->st.ari_next_check) && !fetch_window(it, acme, now))
		return;
	if (it->st.ari_cert_id != NULL &&
	    strcmp(it->st.ari_cert_id, it->cert_id) == 0)
		decide_by_ari(it, now);
}

void
renew_assess_lifetime(struct renew_item *it, time_t now)
{
	time_t not_after;
	char when[40];

	if (it->due || it->backed_off || it->ari_decided || it->cert == NULL)
		return;
	if (lifetime_due(it, &it->due_at, &not_after) == -1) {
		set_due(it, "the certificate's validity cannot be read");
		return;
	}
	format_time(it->due_at, when, sizeof(when));
	if (it->due_at <= now)
		set_due(it, "due since %s (share of the lifetime left)", when);
	else
		snprintf(it->why, sizeof(it->why), "not due until %s", when);
}
