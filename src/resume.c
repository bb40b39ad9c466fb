/*
 * resume.c - the record of an order in flight, in STATE_DIR/orders (see
 * resume.h).  Everything is done relative to a descriptor of that
 * directory, and no link is followed: the key file beside a record is a
 * private key.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "key.h"
#include "log.h"
#include "output.h"
#include "resume.h"
#include "store.h"
#include "str.h"

#define RECORD_MAX	(64 * 1024)	/* an rsa-4096 key takes 3.3 KiB */

struct resume {
	char		*path;		/* STATE_DIR/orders/NAME-HASH.json */
	char		*dir;		/* STATE_DIR/orders */
	const char	*name;		/* NAME-HASH.json, in path */
	char		*key_name;	/* NAME-HASH.key: the order's new key */
	char		*directory_url;	/* the CA of this run */
	char		*out_dir;	/* OUT */
	struct names	 names;		/* of this job */
	/* The record of this job, loaded or saved; NULL: none. */
	char		*order_url;
	char		*account_url;
	bool		 has_key;	/* key_name holds its new key */
	char		*key_id;	/* that key's SPKI SHA-256; NULL: unknown */
};

static void
forget(struct resume *r)
{
	free(r->order_url);
	free(r->account_url);
	free(r->key_id);
	r->order_url = r->account_url = r->key_id = NULL;
	r->has_key = false;
}

void
resume_free(struct resume *r)
{
	if (r == NULL)
		return;
	forget(r);
	free(r->path);
	free(r->key_name);
	free(r->dir);
	free(r->directory_url);
	free(r->out_dir);
	names_clear(&r->names);
	free(r);
}

const char *
resume_order_url(const struct resume *r)
{
	return r->order_url;
}

int
resume_open_key(const struct resume *r, int *fd, struct err *e)
{
	int dfd, rc;

	*fd = -1;
	if (!r->has_key)
		return 0;
	if ((dfd = store_open_dir(r->dir, e)) == -1)
		return -1;
	rc = store_open_at(dfd, r->dir, r->key_name, fd, e);
	close(dfd);
	if (rc == 1)
		err_set(e, "%s/%s, the key of the order %s, is missing", r->dir,
		    r->key_name, r->order_url);
	return rc == 0 ? 0 : -1;
}

bool
resume_key_is(const struct resume *r, EVP_PKEY *pub)
{
	char id[KEY_ID_LEN + 1];
	struct err ignored;

	return r->key_id == NULL || (key_spki_sha256(pub, id, &ignored) == 0 &&
	    strcmp(id, r->key_id) == 0);
}

const char *
resume_path(const struct resume *r)
{
	return r->path;
}

static const char *
str_member(const json_t *obj, const char *name)
{
	return json_string_value(json_object_get(obj, name));
}

/* https://, something, and printable ASCII only: it goes into messages. */
static bool
is_https_url(const char *s)
{
	if (s == NULL || strncmp(s, "https://", 8) != 0 || s[8] == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s > '~')
			return false;
	return true;
}

/* ------------------------------------------------------------- loading */

/* The SHA-256 of cert's DER in hex, into hex (65 bytes); -1 if none. */
static int
cert_digest(X509 *cert, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (cert == NULL || !X509_digest(cert, EVP_sha256(), md, &len) ||
	    len != 32)
		return -1;
	for (unsigned int i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

static bool
is_digest(const char *s)
{
	if (s == NULL || strlen(s) != 64)
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

/* The names of a record, into *names (empty on entry); -1 if malformed. */
static int
record_names(const json_t *list, struct names *names)
{
	const json_t *v;
	size_t i;

	if (!json_is_array(list) || json_array_size(list) == 0)
		return -1;
	json_array_foreach(list, i, v)
		if (!json_is_string(v) || names_add(names, json_string_value(v))
		    == -1)
			return -1;
	return 0;
}

/* 0 if rec is a record acmec wrote (its names into *names); else -1. */
static int
record_check(const json_t *rec, struct names *names)
{
	const json_t *key = json_object_get(rec, "key");
	struct err ignored;
	EVP_PKEY *pkey;

	if (!json_is_object(rec) || !is_https_url(str_member(rec, "order")) ||
	    !is_https_url(str_member(rec, "account")) ||
	    !is_https_url(str_member(rec, "directory")) ||
	    record_names(json_object_get(rec, "names"), names) == -1)
		return -1;
	if (json_object_get(rec, "certificate") != NULL &&
	    !is_digest(str_member(rec, "certificate")))
		return -1;
	if (json_object_get(rec, "key_id") != NULL &&
	    !is_digest(str_member(rec, "key_id")))
		return -1;
	/* An older acmec kept the key in the record itself. */
	if (key == NULL)
		return 0;
	if (!json_is_string(key) || (pkey = key_from_pem(json_string_value(key),
	    json_string_length(key), "the record", &ignored)) == NULL)
		return -1;
	EVP_PKEY_free(pkey);
	return 0;
}

/* A well-formed record is this job's if its CA and names are. */
static bool
record_matches(const struct resume *r, const json_t *rec,
    const struct names *names)
{
	if (strcmp(str_member(rec, "directory"), r->directory_url) != 0) {
		log_verbose("%s is an order at another CA (%s); left alone",
		    r->path, str_member(rec, "directory"));
		return false;
	}
	if (!names_equal(names, &r->names)) {
		log_verbose("%s is an order for other names; left alone",
		    r->path);
		return false;
	}
	return true;
}

/*
 * The key an older acmec kept in the record moves to the key file beside
 * it, as this one keeps it; the record keeps its copy until rewritten.
 */
static int
take_old_key(struct resume *r, int dfd, const json_t *rec, struct err *e)
{
	const char *key = str_member(rec, "key");

	if (key == NULL)
		return 0;
	if (store_write_at(dfd, r->dir, r->key_name, key, strlen(key), 0600,
	    e) == -1)
		return -1;
	r->has_key = true;
	return 0;
}

static int
record_take(struct resume *r, int dfd, const json_t *rec, struct err *e)
{
	const char *id = str_member(rec, "key_id");

	if ((r->order_url = strdup(str_member(rec, "order"))) == NULL ||
	    (r->account_url = strdup(str_member(rec, "account"))) == NULL ||
	    (id != NULL && (r->key_id = strdup(id)) == NULL)) {
		forget(r);
		err_set(e, "out of memory");
		return -1;
	}
	r->has_key = id != NULL;
	if (take_old_key(r, dfd, rec, e) == -1) {
		forget(r);
		return -1;
	}
	log_verbose("%s: the order %s an earlier run left", r->path,
	    r->order_url);
	return 0;
}

/*
 * The record names the certificate in place as its own (resume_written):
 * the run that wrote it was killed before it could remove the record, and
 * the order is over.  Decided by content, never by times, which a clock
 * step or a file server's clock can turn around.
 */
static bool
record_outdated(const struct resume *r, const json_t *rec)
{
	const char *mine = str_member(rec, "certificate");
	struct err ignored;
	X509 *cert = NULL;
	char hex[65];
	bool same;

	if (mine == NULL ||
	    output_read_cert(r->out_dir, &cert, NULL, &ignored) != 1)
		return false;
	same = cert_digest(cert, hex) == 0 && strcmp(hex, mine) == 0;
	X509_free(cert);
	return same;
}

/* A record acmec cannot trust or read is kept aside, never used. */
static void
set_aside(const struct resume *r, int dfd, const char *why)
{
	char *bad = str_fmt("%s.bad", r->name);

	if (bad != NULL && renameat(dfd, r->name, dfd, bad) == 0)
		log_error("warning: %s; not used, kept as %s.bad", why,
		    r->path);
	else
		log_error("warning: %s; not used (cannot move it aside: %s)",
		    why, strerror(errno));
	free(bad);
}

/*
 * Read the record under dfd: 0 and *rec, 1 if there is none, -1 if it
 * cannot be trusted or read (why says so).
 */
static int
record_read(const struct resume *r, int dfd, json_t **rec, struct err *why)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	*rec = NULL;
	if ((rc = store_read_at(dfd, r->dir, r->name, RECORD_MAX, &text,
	    &len, why)) != 0)
		return rc;
	*rec = json_loadb(text, len, 0, NULL);
	OPENSSL_cleanse(text, len);
	free(text);
	if (*rec != NULL)
		return 0;
	err_set(why, "%s is not JSON", r->path);
	return -1;
}

static int
load(struct resume *r, struct err *e)
{
	struct names names = { NULL, 0 };
	struct err why = { "" };
	json_t *rec;
	int dfd, rc, taken = 0;

	if ((dfd = store_open_dir(r->dir, e)) == -1)
		return -1;
	if ((rc = record_read(r, dfd, &rec, &why)) == 0 &&
	    record_check(rec, &names) == -1) {
		err_set(&why, "%s is not an order record acmec wrote", r->path);
		rc = -1;
	}
	if (rc == 1)
		/* A run killed between the key and its record left it. */
		(void)unlinkat(dfd, r->key_name, 0);
	if (rc == -1) {
		set_aside(r, dfd, why.msg);
	} else if (rc == 0 && record_matches(r, rec, &names)) {
		if (!record_outdated(r, rec))
			taken = record_take(r, dfd, rec, e);
		else if (unlinkat(dfd, r->name, 0) == 0)
			log_verbose("%s: its certificate is the one in place; "
			    "removed", r->path);
	}
	close(dfd);
	json_decref(rec);
	names_clear(&names);
	return taken;
}

static int
copy_names(const struct names *from, struct names *to)
{
	for (size_t i = 0; i < from->n; i++)
		if (names_add(to, from->v[i]) == -1)
			return -1;
	return 0;
}

struct resume *
resume_open(const struct config *cfg, const char *out_dir,
    const struct names *names, struct err *e)
{
	struct resume *r;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->path = config_order_record(cfg, out_dir)) == NULL ||
	    (r->dir = strdup(r->path)) == NULL ||
	    (r->directory_url = strdup(cfg->directory_url)) == NULL ||
	    (r->out_dir = strdup(out_dir)) == NULL ||
	    copy_names(names, &r->names) == -1) {
		err_set(e, "out of memory");
		resume_free(r);
		return NULL;
	}
	/* config_order_record gives DIR/NAME. */
	r->name = strrchr(r->path, '/') + 1;
	*strrchr(r->dir, '/') = '\0';
	if ((r->key_name = str_fmt("%.*s.key", (int)(strlen(r->name) - 5),
	    r->name)) == NULL) {
		err_set(e, "out of memory");
		resume_free(r);
		return NULL;
	}
	if (load(r, e) == -1) {
		resume_free(r);
		return NULL;
	}
	return r;
}

bool
resume_account_is(const struct resume *r, const char *account_url)
{
	if (r->account_url != NULL && account_url != NULL &&
	    strcmp(r->account_url, account_url) == 0)
		return true;
	log_verbose("%s: the order %s belongs to account %s, not to %s",
	    r->path, r->order_url ? r->order_url : "?",
	    r->account_url ? r->account_url : "?",
	    account_url ? account_url : "?");
	return false;
}

/* ------------------------------------------------------ saving, removal */

static json_t *
names_json(const struct names *names)
{
	json_t *list = json_array();

	for (size_t i = 0; list != NULL && i < names->n; i++)
		if (json_array_append_new(list, json_string(names->v[i])) ==
		    -1) {
			json_decref(list);
			return NULL;
		}
	return list;
}

/* The record text; new string. */
static char *
record_text(const struct resume *r, const char *order_url,
    const char *account_url, const char *key_id, const char *certificate)
{
	char *text = NULL;
	json_t *rec;

	rec = json_pack("{s:s, s:s, s:s, s:o, s:s*, s:s*}", "directory",
	    r->directory_url, "order", order_url, "account", account_url,
	    "names", names_json(&r->names), "key_id", key_id, "certificate",
	    certificate);
	if (rec != NULL)
		text = json_dumps(rec, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(rec);
	return text;
}

/*
 * A new key is written beside the record, by the certificate key process,
 * before the record that names it: a crash in between leaves a key with
 * no record (removed by the next run), or a record whose key_id is not
 * the key's (refused), never an order with another key.
 */
static int
save_key(struct resume *r, int dfd, const struct certkey *ck, char **id,
    struct err *e)
{
	*id = NULL;
	if (!certkey_is_new(ck))
		return 0;
	if ((*id = malloc(KEY_ID_LEN + 1)) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	if (key_spki_sha256(certkey_public(ck), *id, e) == 0 &&
	    store_fill_at(dfd, r->dir, r->key_name, 0600, certkey_write,
	    (void *)ck, e) == 0)
		return 0;
	free(*id);
	*id = NULL;
	return -1;
}

int
resume_save(struct resume *r, const char *order_url,
    const char *account_url, const struct certkey *ck, struct err *e)
{
	char *id = NULL, *text = NULL, *order = NULL, *account = NULL;
	int dfd, rc = -1;

	if ((order = strdup(order_url)) == NULL ||
	    (account = strdup(account_url)) == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	if ((dfd = store_open_dir(r->dir, e)) == -1)
		goto out;
	if (save_key(r, dfd, ck, &id, e) == 0) {
		if ((text = record_text(r, order_url, account_url, id, NULL)) ==
		    NULL)
			err_set(e, "out of memory");
		else
			rc = store_write_at(dfd, r->dir, r->name, text,
			    strlen(text), 0600, e);
	}
	close(dfd);
out:
	/* What is on disk now: this record, or (after a failure) the old. */
	if (rc == 0) {
		forget(r);
		r->order_url = order;
		r->account_url = account;
		r->has_key = id != NULL;
		r->key_id = id;
		order = account = id = NULL;
	} else {
		err_prefix(e, "cannot keep the order for the next run");
	}
	free(order);
	free(account);
	free(id);
	free(text);
	return rc;
}

int
resume_written(struct resume *r, X509 *leaf, struct err *e)
{
	char hex[65], *text;
	int dfd, rc = -1;

	if (r == NULL || r->order_url == NULL)
		return 0;
	if (cert_digest(leaf, hex) == -1 || (text = record_text(r,
	    r->order_url, r->account_url, r->key_id, hex)) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	if ((dfd = store_open_dir(r->dir, e)) != -1) {
		rc = store_write_at(dfd, r->dir, r->name, text, strlen(text),
		    0600, e);
		close(dfd);
	}
	free(text);
	return rc;
}

void
resume_remove(struct resume *r)
{
	struct err e = { "" };
	int dfd;

	if (r == NULL || r->order_url == NULL)
		return;
	if ((dfd = store_open_dir(r->dir, &e)) != -1 &&
	    unlinkat(dfd, r->name, 0) == -1 && errno != ENOENT)
		err_errno(&e, "cannot remove %s", r->path);
	else if (dfd != -1 && unlinkat(dfd, r->key_name, 0) == -1 &&
	    errno != ENOENT)
		err_errno(&e, "cannot remove %s/%s", r->dir, r->key_name);
	if (e.msg[0] != '\0')
		log_error("warning: %s; remove it by hand, or the next run "
		    "asks the CA about an order that is over", e.msg);
	if (dfd != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	forget(r);
}

void
resume_remove_if_refused(struct resume *r, const struct acme_outcome *out)
{
	/* A rate limit ends; the same order may still be fine then. */
	if (out->verdict == ACME_REFUSED &&
	    !acme_refused_with(out, "rateLimited"))
		resume_remove(r);
}

void
resume_explain(const struct resume *r, struct err *e)
{
	if (r == NULL || r->order_url == NULL)
		return;
	err_append(e, "; the order %s is kept in %s, and the next run for "
	    "this certificate picks it up", r->order_url, r->path);
}
