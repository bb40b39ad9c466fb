/*
 * renewal.c - the renewal record of a certificate, as JSON.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ari.h"
#include "due.h"
#include "renewal.h"
#include "store.h"

#define RECORD_MAX	(64 * 1024)

void
renewal_forget_ari(struct renewal_state *st)
{
	free(st->ari_cert_id);
	free(st->ari_explanation);
	st->ari_cert_id = st->ari_explanation = NULL;
	st->ari_start = st->ari_end = st->ari_chosen = 0;
	st->ari_next_check = 0;
}

void
renewal_take_ari(struct renewal_state *to, struct renewal_state *from)
{
	renewal_forget_ari(to);
	to->ari_cert_id = from->ari_cert_id;
	to->ari_explanation = from->ari_explanation;
	to->ari_start = from->ari_start;
	to->ari_end = from->ari_end;
	to->ari_chosen = from->ari_chosen;
	to->ari_next_check = from->ari_next_check;
	from->ari_cert_id = from->ari_explanation = NULL;
	renewal_forget_ari(from);
}

void
renewal_clear(struct renewal_state *st)
{
	renewal_forget_ari(st);
	free(st->last_error);
	free(st->profile);
	free(st->chain_issuer);
	memset(st, 0, sizeof(*st));
}

static time_t
get_time(const json_t *rec, const char *name)
{
	const json_t *v = json_object_get(rec, name);

	return json_is_integer(v) && json_integer_value(v) > 0 ?
	    (time_t)json_integer_value(v) : 0;
}

static char *
get_str(const json_t *rec, const char *name)
{
	const char *v = json_string_value(json_object_get(rec, name));

	return v != NULL ? strdup(v) : NULL;
}

static void
take_record(struct renewal_state *st, const json_t *rec)
{
	const json_t *ari = json_object_get(rec, "ari");
	json_int_t failures;

	st->last_attempt = get_time(rec, "last_attempt");
	st->last_ok = json_is_true(json_object_get(rec, "last_ok"));
	st->last_error = get_str(rec, "last_error");
	st->last_success = get_time(rec, "last_success");
	failures = json_integer_value(json_object_get(rec, "failures"));
	st->failures = failures > 0 && failures < 100000 ? (int)failures : 0;
	st->next_attempt = get_time(rec, "next_attempt");
	st->profile = get_str(rec, "profile");
	st->chain_issuer = get_str(rec, "chain_issuer");
	if (!json_is_object(ari))
		return;
	st->ari_cert_id = get_str(ari, "cert_id");
	st->ari_start = get_time(ari, "start");
	st->ari_end = get_time(ari, "end");
	st->ari_chosen = get_time(ari, "chosen");
	st->ari_next_check = get_time(ari, "next_check");
	st->ari_explanation = get_str(ari, "explanation_url");
}

int
renewal_load(const char *path, struct renewal_state *st, struct err *e)
{
	json_t *rec;
	char *text;
	size_t len;

	memset(st, 0, sizeof(*st));
	if (!store_exists(path))
		return 0;
	if (store_read(path, RECORD_MAX, &text, &len, e) == -1)
		return -1;
	rec = json_loadb(text, len, 0, NULL);
	free(text);
	/* A damaged record only loses history: start afresh. */
	if (json_is_object(rec))
		take_record(st, rec);
	json_decref(rec);
	return 0;
}

static json_t *
ari_record(const struct renewal_state *st)
{
	if (st->ari_cert_id == NULL)
		return json_null();
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:s*}", "cert_id",
	    st->ari_cert_id, "start", (json_int_t)st->ari_start, "end",
	    (json_int_t)st->ari_end, "chosen", (json_int_t)st->ari_chosen,
	    "next_check", (json_int_t)st->ari_next_check, "explanation_url",
	    st->ari_explanation);
}

int
renewal_save(const char *path, const struct renewal_state *st,
    struct err *e)
{
	char *dir = strdup(path), *slash, *text = NULL;
	json_t *rec;
	int rc = -1;

	rec = json_pack("{s:I, s:b, s:s*, s:I, s:i, s:I, s:s*, s:s*, s:o}",
	    "last_attempt", (json_int_t)st->last_attempt, "last_ok",
	    st->last_ok, "last_error", st->last_error, "last_success",
	    (json_int_t)st->last_success, "failures", st->failures,
	    "next_attempt", (json_int_t)st->next_attempt, "profile",
	    st->profile, "chain_issuer", st->chain_issuer, "ari",
	    ari_record(st));
	if (rec != NULL)
		text = json_dumps(rec, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(rec);
	if (dir == NULL || text == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir)
		*slash = '\0';
	if (store_mkdirs(dir, 0700, e) == 0)
		rc = store_write_atomic(path, text, strlen(text), 0600, e);
out:
	free(dir);
	free(text);
	return rc;
}

void
renewal_clamp(struct renewal_state *st, time_t now)
{
	st->next_attempt = due_clamp(st->next_attempt, now,
	    (long)(due_backoff_next(st->failures, now) - now));
	st->ari_next_check = due_clamp(st->ari_next_check, now,
	    ARI_RECHECK_MAX);
}
