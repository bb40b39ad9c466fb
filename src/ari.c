/*
 * ari.c - ACME Renewal Information (RFC 9773): the certificate
 * identifier, the CA's suggested window and the time picked in it.
 *
 * The answer comes unauthenticated (a plain GET, RFC 9773 section 4.1),
 * so it is treated as hostile: its size is capped before parsing, every
 * field is checked, and only printable ASCII reaches a message.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "ari.h"
#include "b64url.h"
#include "rfc3339.h"
#include "str.h"

#define SHOWN_MAX	64	/* bytes of server text quoted in a message */

#define RECHECK_MIN	60L		/* RFC 9773 section 4.3.2 */
#define RECHECK_DEFAULT	21600L		/* section 4.3.3: six hours */

/* Copy at most SHOWN_MAX bytes of s into buf, non-printables as '?'. */
static const char *
shown(const char *s, char buf[SHOWN_MAX + 1])
{
	size_t i;

	for (i = 0; s != NULL && s[i] != '\0' && i < SHOWN_MAX; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* ------------------------------------------------ certificate identifier */

/*
 * The content octets of cert's serial number as DER encodes them (X.690
 * section 8.3): OpenSSL re-encodes the INTEGER minimally, as the
 * certificate had to, so the sign octet 0x00 before a high bit is kept.
 */
static char *
serial_b64url(X509 *cert)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	long clen;
	int len, tag, xclass;
	char *out = NULL;

	if ((len = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &der)) <= 0)
		return NULL;
	p = der;
	if (!(ASN1_get_object(&p, &clen, &tag, &xclass, len) & 0x80) &&
	    tag == V_ASN1_INTEGER && clen > 0 && p + clen == der + len)
		out = b64url_encode(p, (size_t)clen);
	OPENSSL_free(der);
	return out;
}

char *
ari_cert_id(X509 *cert, struct err *e)
{
	const ASN1_OCTET_STRING *keyid;
	char *aki = NULL, *serial = NULL, *id = NULL;

	keyid = X509_get0_authority_key_id(cert);
	if (keyid == NULL || ASN1_STRING_length(keyid) <= 0) {
		/*
		 * A malformed extension leaves errors queued; this message
		 * says it all, and they must not reach a later err_ssl().
		 */
		ERR_clear_error();
		err_set(e, "the certificate has no Authority Key Identifier "
		    "keyIdentifier, which renewal information (RFC 9773 "
		    "section 4.1) needs");
		return NULL;
	}
	if ((aki = b64url_encode(ASN1_STRING_get0_data(keyid),
	    (size_t)ASN1_STRING_length(keyid))) == NULL ||
	    (serial = serial_b64url(cert)) == NULL ||
	    (id = str_fmt("%s.%s", aki, serial)) == NULL)
		err_ssl(e, "cannot encode the certificate identifier");
	free(aki);
	free(serial);
	return id;
}

/* ------------------------------------------------------ renewalInfo body */

/* The member name of win as a time; the message names it otherwise. */
static int
window_time(const json_t *win, const char *name, time_t *t, struct err *e)
{
	const json_t *v = json_object_get(win, name);
	const char *s = json_string_value(v);
	char buf[SHOWN_MAX + 1];

	if (s == NULL) {
		err_set(e, "the renewalInfo suggestedWindow has no %s string",
		    name);
		return -1;
	}
	/* JSON_ALLOW_NUL lets "\u0000" through: the C string must be all. */
	if (strlen(s) != json_string_length(v) || rfc3339_parse(s, t) == -1) {
		err_set(e, "the renewalInfo suggestedWindow %s \"%s\" is not "
		    "an RFC 3339 time", name, shown(s, buf));
		return -1;
	}
	return 0;
}

/* An explanationURL fit to show an operator: https, printable, short. */
static char *
explanation_url(const json_t *root)
{
	const json_t *v = json_object_get(root, "explanationURL");
	const char *url = json_string_value(v);
	size_t i, len;

	if (url == NULL || (len = json_string_length(v)) > ARI_URL_MAX ||
	    strlen(url) != len || strncmp(url, "https://", 8) != 0 ||
	    len == 8)
		return NULL;
	for (i = 0; i < len; i++)
		if ((unsigned char)url[i] <= 0x20 ||
		    (unsigned char)url[i] >= 0x7f)
			return NULL;
	return strdup(url);
}

int
ari_parse(const char *body, size_t len, struct ari_window *w,
    struct err *e)
{
	json_t *root = NULL;
	const json_t *win;
	json_error_t jerr;
	char buf[SHOWN_MAX + 1];
	time_t start, end;
	int rc = -1;

	memset(w, 0, sizeof(*w));
	if (body == NULL || len == 0) {
		err_set(e, "the renewalInfo answer is empty");
		return -1;
	}
	if (len > ARI_BODY_MAX) {
		err_set(e, "the renewalInfo answer is too large (%zu bytes, at "
		    "most %d)", len, ARI_BODY_MAX);
		return -1;
	}
	/* json_loadb reads exactly len bytes: body needs no NUL. */
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
	    &jerr);
	if (root == NULL) {
		err_set(e, "the renewalInfo answer is not JSON: %s",
		    shown(jerr.text, buf));
		return -1;
	}
	win = json_object_get(root, "suggestedWindow");
	if (!json_is_object(win)) {
		err_set(e, "the renewalInfo answer has no suggestedWindow "
		    "object");
		goto out;
	}
	if (window_time(win, "start", &start, e) == -1 ||
	    window_time(win, "end", &end, e) == -1)
		goto out;
	if (end <= start) {
		/* Section 4.2: treat as though no answer came. */
		err_set(e, "the renewalInfo suggestedWindow does not end after "
		    "it starts");
		goto out;
	}
	w->start = start;
	w->end = end;
	/* Only shown to the operator: out of memory just loses the link. */
	w->explanation_url = explanation_url(root);
	rc = 0;
out:
	json_decref(root);
	return rc;
}

void
ari_window_clear(struct ari_window *w)
{
	if (w == NULL)
		return;
	free(w->explanation_url);
	memset(w, 0, sizeof(*w));
}

/* --------------------------------------------------------- renewal time */

/* The high 64 bits of the 128-bit product a * b, in portable C. */
static uint64_t
mul_high(uint64_t a, uint64_t b)
{
	uint64_t a_lo = (uint32_t)a, a_hi = a >> 32;
	uint64_t b_lo = (uint32_t)b, b_hi = b >> 32;
	uint64_t lo_lo = a_lo * b_lo, hi_lo = a_hi * b_lo;
	uint64_t lo_hi = a_lo * b_hi, hi_hi = a_hi * b_hi;
	uint64_t cross = (lo_lo >> 32) + (uint32_t)hi_lo + lo_hi;

	return hi_hi + (hi_lo >> 32) + (cross >> 32);
}

/*
 * r * span / 2^64 maps the 2^64 values of r onto [0, span) in order, each
 * second getting 2^64 / span of them give or take one: uniform to within
 * span / 2^64, with no modulo bias toward the start of the window.
 */
time_t
ari_pick_time(time_t start, time_t end, uint64_t r)
{
	uint64_t span;

	if (end <= start)
		return start;
	/* Unsigned: exact even when end - start overflows time_t. */
	span = (uint64_t)end - (uint64_t)start;
	return (time_t)((uint64_t)start + mul_high(r, span));
}

long
ari_recheck_after(long retry_after)
{
	if (retry_after < 0)
		return RECHECK_DEFAULT;
	if (retry_after < RECHECK_MIN)
		return RECHECK_MIN;
	if (retry_after > ARI_RECHECK_MAX)
		return ARI_RECHECK_MAX;
	return retry_after;
}

char *
ari_url(const char *renewal_info_url, const char *cert_id)
{
	size_t n;

	if (renewal_info_url == NULL || *renewal_info_url == '\0' ||
	    cert_id == NULL || *cert_id == '\0')
		return NULL;
	n = strlen(renewal_info_url);
	/* "https://ca/renewal-info/" must not give ".../renewal-info//id". */
	if (renewal_info_url[n - 1] == '/')
		n--;
	return str_fmt("%.*s/%s", (int)n, renewal_info_url, cert_id);
}
