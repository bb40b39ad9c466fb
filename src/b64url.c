/*
 * b64url.c - base64url (RFC 4648 section 5) on top of OpenSSL's base64.
 *
 * OpenSSL encodes the standard alphabet with padding; we translate the two
 * differing characters and drop or restore the padding.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "b64url.h"

char *
b64url_encode(const void *data, size_t len)
{
	size_t cap = 4 * ((len + 2) / 3) + 1;
	char *out;
	int n;

	if ((out = malloc(cap)) == NULL)
		return NULL;
	n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (char *p = out; *p != '\0'; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	}
	return out;
}

static int
is_b64url_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool
b64url_is_valid(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!is_b64url_char(*s))
			return false;
	return true;
}

unsigned char *
b64url_decode(const char *text, size_t *len)
{
	size_t n = strlen(text), padded, pad;
	unsigned char *out = NULL;
	char *std;
	int got;

	if (n % 4 == 1 || (n > 0 && !b64url_is_valid(text)))
		return NULL;
	pad = (4 - n % 4) % 4;
	padded = n + pad;
	if ((std = malloc(padded + 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		std[i] = text[i] == '-' ? '+' : text[i] == '_' ? '/' : text[i];
	memset(std + n, '=', pad);
	std[padded] = '\0';
	/* One spare byte so an empty input still yields a valid pointer. */
	if ((out = malloc(padded / 4 * 3 + 1)) == NULL)
		goto out;
	got = EVP_DecodeBlock(out, (unsigned char *)std, (int)padded);
	if (got < 0) {
		free(out);
		out = NULL;
		goto out;
	}
	/* EVP_DecodeBlock counts the bytes the padding stood for. */
	*len = (size_t)got - pad;
out:
	free(std);
	return out;
}
