/*
 * cmd_status.c - "acmec status": what acmec knows of each certificate of
 * the config, from the files and the renewal records alone (no CA asked).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cert.h"
#include "commands.h"
#include "key.h"
#include "log.h"
#include "names.h"
#include "certkeyproc.h"
#include "nextkey.h"
#include "renew.h"
#include "usage.h"

void
cmd_status_usage(FILE *out)
{
	fprintf(out, "usage: acmec [global options] status [-c FILE] "
	    "[--json]\n");
	usage_options(out, "options", (const struct usage_option[]){
	    { "-c, --config FILE", "read FILE (default: "
		"/etc/acmec/acmec.conf)" },
	    { "--json", "print a JSON array, one object per certificate" },
	    { "-h, --help", "print this and exit" },
	    { NULL, NULL } });
}

/* RFC 3339 in UTC, or null. */
static json_t *
json_time(time_t t)
{
	char buf[32];

	if (t == 0)
		return json_null();
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	return json_string(buf);
}

/* notAfter, and the share of the lifetime left (-1: no certificate). */
static void
validity(const struct renew_item *it, time_t now, time_t *not_after,
    double *left)
{
	struct err ignored;
	struct tm tm;
	time_t nb;

	*not_after = 0;
	*left = -1;
	if (it->cert == NULL ||
	    cert_not_after(it->cert, not_after, &ignored) == -1 ||
	    !ASN1_TIME_to_tm(X509_get0_notBefore(it->cert), &tm))
		return;
	nb = timegm(&tm);
	if (*not_after > nb)
		*left = (double)(*not_after - now) / (double)(*not_after - nb);
	if (*left < 0)
		*left = 0;
}

/* A key's TLSA 3 1 1 value, or null (no key). */
static json_t *
json_spki(EVP_PKEY *key)
{
	char hex[KEY_ID_LEN + 1];
	struct err ignored;

	if (key == NULL || key_spki_sha256(key, hex, &ignored) == -1)
		return json_null();
	return json_string(hex);
}

static bool
announces_next_key(const struct renew_item *it)
{
	return it->spec.next_key && it->spec.csr_path == NULL;
}

/*
 * The TLSA 3 1 1 value of the key announced for the next renewal, read
 * by the certificate key process keys (NULL: there is none).
 */
static json_t *
json_next_spki(const struct renew_item *it, const struct config *cfg,
    struct certkeyproc *keys)
{
	char hex[KEY_ID_LEN + 1], *path;
	struct err e = { "" };
	int rc = 1;

	if (!announces_next_key(it) || keys == NULL)
		return json_null();
	if ((path = config_next_key(cfg, it->out_dir)) != NULL &&
	    (rc = nextkey_spki_sha256(path, keys, hex, &e)) == -1)
		log_error("status: %s: %s", it->cc->section, e.msg);
	free(path);
	return rc == 0 ? json_string(hex) : json_null();
}

static json_t *
item_json(const struct renew_item *it, const struct config *cfg,
    struct certkeyproc *keys, time_t now)
{
	const struct renewal_state *st = &it->st;
	char *names = names_join(&it->spec.names, "", " ");
	time_t not_after;
	char warning[256];
	double left;
	json_t *obj;

	validity(it, now, &not_after, &left);
	obj = json_pack("{s:s, s:s?, s:s, s:o, s:o, s:b, s:b, s:s, s:o, s:b,"
	    " s:s?, s:i, s:o}",
	    "section", it->cc->section, "names", names, "out", it->out_dir,
	    "not_after", json_time(not_after), "lifetime_left", left < 0 ?
	    json_null() : json_real(left), "due", it->due, "backed_off",
	    it->backed_off, "why", it->why, "last_attempt",
	    json_time(st->last_attempt), "last_ok", st->last_ok,
	    "last_error", st->last_error, "failures", st->failures,
	    "next_attempt", json_time(st->next_attempt));
	if (obj != NULL && renew_before_ignored(it, warning, sizeof(warning)))
		json_object_set_new(obj, "warning", json_string(warning));
	/* The key in use is the certificate's, whatever privkey.pem holds. */
	if (obj != NULL)
		json_object_set_new(obj, "key_sha256", json_spki(it->cert ?
		    X509_get0_pubkey(it->cert) : NULL));
	if (obj != NULL)
		json_object_set_new(obj, "next_key_sha256",
		    json_next_spki(it, cfg, keys));
	if (obj != NULL && st->chain_issuer != NULL)
		json_object_set_new(obj, "chain_issuer",
		    json_string(st->chain_issuer));
	if (obj != NULL && st->ari_cert_id != NULL)
		json_object_set_new(obj, "ari", json_pack("{s:o, s:o, s:o,"
		    " s:o, s:s?}", "window_start", json_time(st->ari_start),
		    "window_end", json_time(st->ari_end), "chosen",
		    json_time(st->ari_chosen), "next_check",
		    json_time(st->ari_next_check), "explanation_url",
		    st->ari_explanation));
	free(names);
	return obj;
}

/*
 * The key line and the TLSA record that pins it, for the first name (the
 * record goes with every DNS name served on port 443; none for an IP).
 */
static void
print_key(const json_t *it, const char *label, const char *member)
{
	const char *hex = json_string_value(json_object_get(it, member));
	const char *names = json_string_value(json_object_get(it, "names"));
	char *first = names ? strndup(names, strcspn(names, " ")) : NULL;

	if (hex != NULL)
		printf("  %-13s sha256 %s\n", label, hex);
	if (hex != NULL && first != NULL && first[0] != '\0' &&
	    !names_is_ip(first))
		printf("  %-13s _443._tcp.%s. IN TLSA 3 1 1 %s\n", "TLSA:",
		    first, hex);
	free(first);
}

static void
print_text(const json_t *arr)
{
	const json_t *it;
	size_t i;

	json_array_foreach(arr, i, it) {
		const json_t *ari = json_object_get(it, "ari");
		const json_t *left = json_object_get(it, "lifetime_left");

		printf("%s\n  names:        %s\n  expires:      %s",
		    json_string_value(json_object_get(it, "section")),
		    json_string_value(json_object_get(it, "names")),
		    json_is_string(json_object_get(it, "not_after")) ?
		    json_string_value(json_object_get(it, "not_after")) :
		    "(no certificate)");
		if (json_is_real(left))
			printf(" (%.0f%% of the lifetime left)",
			    100 * json_real_value(left));
		printf("\n  state:        %s\n",
		    json_string_value(json_object_get(it, "why")));
		if (json_is_string(json_object_get(it, "warning")))
			printf("  warning:      %s\n", json_string_value(
			    json_object_get(it, "warning")));
		print_key(it, "key:", "key_sha256");
		print_key(it, "next key:", "next_key_sha256");
		if (json_is_string(json_object_get(it, "chain_issuer")))
			printf("  chain:        up to %s\n", json_string_value(
			    json_object_get(it, "chain_issuer")));
		if (ari != NULL)
			printf("  ARI window:   %s .. %s, chosen %s\n",
			    json_string_value(json_object_get(ari,
			    "window_start")), json_string_value(
			    json_object_get(ari, "window_end")),
			    json_string_value(json_object_get(ari, "chosen")));
		if (json_is_string(json_object_get(it, "last_attempt")))
			printf("  last attempt: %s, %s\n", json_string_value(
			    json_object_get(it, "last_attempt")),
			    json_is_true(json_object_get(it, "last_ok")) ?
			    "succeeded" : "failed");
		if (json_integer_value(json_object_get(it, "failures")) > 0)
			printf("  failures:     %lld in a row, next attempt "
			    "after %s\n", json_integer_value(json_object_get(it,
			    "failures")), json_string_value(json_object_get(it,
			    "next_attempt")));
	}
}

static int
status(const struct conf *c, struct config *cfg, bool as_json)
{
	struct account_options acct = { 0 };
	struct renew_item *items = NULL;
	struct certkeyproc *keys = NULL;
	struct err e = { "" };
	time_t now = time(NULL);
	json_t *arr = json_array();
	size_t n = 0;
	int rc = EXIT_OK;

	renew_apply_conf(c, cfg, &acct);
	/* A mistake of the config, as renew takes it: exit 2. */
	if (renew_items_new(c, cfg, NULL, 0, &items, &n, &e) == -1) {
		log_error("status: %s", e.msg);
		rc = EXIT_USAGE;
	}
	/* A next key is read by a key process, never here. */
	for (size_t i = 0; rc == EXIT_OK && keys == NULL && i < n; i++)
		if (announces_next_key(&items[i]) && (keys = certkeyproc_start(
		    NULL, 0, cfg->sandbox, &e)) == NULL) {
			log_error("status: %s", e.msg);
			rc = EXIT_FAIL;
		}
	for (size_t i = 0; rc == EXIT_OK && i < n; i++) {
		renew_assess_local(&items[i], cfg, now, false);
		renew_assess_ari(&items[i], NULL, now);
		renew_assess_lifetime(&items[i], now);
		json_array_append_new(arr, item_json(&items[i], cfg, keys,
		    now));
	}
	certkeyproc_free(keys);
	if (rc == EXIT_OK && as_json) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
	} else if (rc == EXIT_OK) {
		print_text(arr);
	}
	json_decref(arr);
	renew_items_free(items, n);
	return rc;
}

int
cmd_status(const struct config *cfg, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json",   no_argument,       NULL, 'j' },
		{ "help",   no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = NULL;
	struct config local = *cfg;
	struct conf *c = NULL;
	struct err e = { "" };
	bool as_json = false;
	int ch, rc;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:h", longopts, NULL)) != -1) {
		if (ch == 'h') {
			cmd_status_usage(stdout);
			return EXIT_OK;
		} else if (ch == 'c' && path != NULL) {
			return usage_error("status", "status: -c given twice; "
			    "give it once");
		} else if (ch == 'c') {
			path = optarg;
		} else if (ch == 'j') {
			as_json = true;
		} else {
			return usage_bad_option("status", "status", ch, argv);
		}
		if (optarg != NULL && optarg[0] == '\0')
			return usage_empty_value("status", "status", argv);
	}
	if (optind != argc)
		return usage_error("status", "status: unexpected argument %s",
		    argv[optind]);
	if (conf_load(path ? path : CONF_DEFAULT_PATH, &c, &e) == -1) {
		log_error("%s", e.msg);
		return EXIT_USAGE;
	}
	rc = status(c, &local, as_json);
	conf_free(c);
	return rc;
}
