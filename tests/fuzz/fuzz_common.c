/*
 * fuzz_common.c - helpers of the fuzz harnesses (fuzz.h): temporary
 * files, a key made once, and a CA behind the transport seam that answers
 * with the fuzz input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "http.h"
#include "key.h"

char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		return NULL;
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static char fuzz_dir[64];
static char fuzz_path[96];

static void
fuzz_cleanup(void)
{
	if (fuzz_path[0] != '\0')
		unlink(fuzz_path);
	if (fuzz_dir[0] != '\0')
		rmdir(fuzz_dir);
}

const char *
fuzz_write_file(const uint8_t *data, size_t size)
{
	FILE *f;

	if (fuzz_dir[0] == '\0') {
		const char *tmp = getenv("TMPDIR");

		snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/acmec-fuzz.XXXXXX",
		    tmp != NULL && strlen(tmp) < 32 ? tmp : "/tmp");
		if (mkdtemp(fuzz_dir) == NULL) {
			perror("mkdtemp");
			abort();
		}
		snprintf(fuzz_path, sizeof(fuzz_path), "%s/input", fuzz_dir);
		atexit(fuzz_cleanup);
	}
	if ((f = fopen(fuzz_path, "w")) == NULL ||
	    (size > 0 && fwrite(data, 1, size, f) != size) ||
	    fclose(f) != 0) {
		perror(fuzz_path);
		abort();
	}
	return fuzz_path;
}

EVP_PKEY *
fuzz_key(void)
{
	static EVP_PKEY *key;
	struct err e;

	if (key == NULL && (key = key_generate(KEY_EC256, &e)) == NULL) {
		fprintf(stderr, "fuzz: %s\n", e.msg);
		abort();
	}
	return key;
}

const struct signer *
fuzz_signer(void)
{
	static struct signer *s;
	struct err e;

	if (s == NULL && (s = signer_new(fuzz_key(), &e)) == NULL) {
		fprintf(stderr, "fuzz: %s\n", e.msg);
		abort();
	}
	return s;
}

/* ---------------------------------------------------- the scripted CA */

static const char directory[] =
    "{\"newNonce\":\"" FUZZ_CA "/new-nonce\","
    "\"newAccount\":\"" FUZZ_CA "/new-account\","
    "\"newOrder\":\"" FUZZ_CA "/new-order\","
    "\"revokeCert\":\"" FUZZ_CA "/revoke-cert\","
    "\"keyChange\":\"" FUZZ_CA "/key-change\","
    "\"renewalInfo\":\"" FUZZ_CA "/renewal-info\","
    "\"meta\":{\"termsOfService\":\"" FUZZ_CA "/terms\"}}";

static char *
dup_or_die(const char *s, size_t len)
{
	char *copy = fuzz_strndup((const uint8_t *)s, len);

	if (copy == NULL)
		abort();
	return copy;
}

static int
fuzz_send(void *ctx, const struct http_request *req,
    struct http_response **resp, struct err *e)
{
	struct fuzz_ca *ca = ctx;
	struct http_response *r;

	(void)e;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		abort();
	r->replay_nonce = dup_or_die("bm9uY2U", 7);
	if (strcmp(req->method, "POST") == 0) {
		r->status = ca->post_status;
		r->body = dup_or_die(ca->body, ca->len);
		r->body_len = ca->len;
		r->content_type = dup_or_die("application/json", 16);
		r->location = dup_or_die(FUZZ_CA "/order/1",
		    strlen(FUZZ_CA "/order/1"));
		if (ca->retry_after != NULL)
			r->retry_after = dup_or_die(ca->retry_after,
			    strlen(ca->retry_after));
	} else if (strcmp(req->method, "GET") == 0) {
		r->status = 200;
		if (ca->directory_body &&
		    strcmp(req->url, FUZZ_CA "/directory") == 0) {
			r->body = dup_or_die(ca->body, ca->len);
			r->body_len = ca->len;
		} else {
			r->body = dup_or_die(directory, strlen(directory));
			r->body_len = strlen(directory);
		}
	} else {
		r->status = 200;
	}
	*resp = r;
	return 0;
}

static int
fuzz_start(void *ctx, const struct http_request *req, transport_done_fn done,
    void *arg, struct err *e)
{
	struct fuzz_ca *ca = ctx;
	struct http_response *resp;

	(void)fuzz_send(ca, req, &resp, e);
	answer_queue_push(&ca->answers, resp, e, done, arg, 0);
	return 0;
}

static int
fuzz_wait(void *ctx, long timeout_ms)
{
	return answer_queue_deliver(&((struct fuzz_ca *)ctx)->answers,
	    timeout_ms);
}

struct acme *
fuzz_acme_new(struct fuzz_ca *ca)
{
	const struct transport t = { fuzz_start, fuzz_wait, ca };
	struct err e;

	return acme_new(&t, FUZZ_CA "/directory", &e);
}

struct acme_who
fuzz_who(void)
{
	const struct acme_who who = { fuzz_signer(), FUZZ_CA "/account/1" };

	return who;
}
