/*
 * names.c - an owned, duplicate-free list of lower-case domain names and
 * normalized IP addresses.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "names.h"
#include "str.h"

bool
names_ip_normalize(const char *text, char *out, size_t outlen)
{
	unsigned char addr[sizeof(struct in6_addr)];
	int af;

	if (inet_pton(AF_INET, text, addr) == 1)
		af = AF_INET;
	else if (inet_pton(AF_INET6, text, addr) == 1)
		af = AF_INET6;
	else
		return false;
	return inet_ntop(af, addr, out, (socklen_t)outlen) != NULL;
}

bool
names_is_ip(const char *name)
{
	char buf[INET6_ADDRSTRLEN];

	return names_ip_normalize(name, buf, sizeof(buf));
}

bool
names_contains(const struct names *list, const char *name)
{
	char ip[INET6_ADDRSTRLEN];

	if (names_ip_normalize(name, ip, sizeof(ip)))
		name = ip;
	for (size_t i = 0; i < list->n; i++)
		if (strcasecmp(list->v[i], name) == 0)
			return true;
	return false;
}

int
names_add(struct names *list, const char *name)
{
	char **grown, *copy, ip[INET6_ADDRSTRLEN];

	if (names_ip_normalize(name, ip, sizeof(ip)))
		name = ip;
	if (names_contains(list, name))
		return 0;
	if ((copy = strdup(name)) == NULL)
		return -1;
	for (char *p = copy; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	grown = realloc(list->v, (list->n + 1) * sizeof(*list->v));
	if (grown == NULL) {
		free(copy);
		return -1;
	}
	list->v = grown;
	list->v[list->n++] = copy;
	return 0;
}

bool
names_equal(const struct names *a, const struct names *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!names_contains(b, a->v[i]))
			return false;
	return true;
}

char *
names_join(const struct names *list, const char *prefix, const char *sep)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < list->n; i++)
		len += strlen(prefix) + strlen(list->v[i]) + strlen(sep);
	if ((s = calloc(1, len)) == NULL)
		return NULL;
	for (size_t i = 0; i < list->n; i++) {
		if (i > 0)
			strcat(s, sep);
		strcat(s, prefix);
		strcat(s, list->v[i]);
	}
	return s;
}

void
names_clear(struct names *list)
{
	for (size_t i = 0; i < list->n; i++)
		free(list->v[i]);
	free(list->v);
	list->v = NULL;
	list->n = 0;
}

/* RFC 1035 section 2.3.1 labels, as CAs accept them (LDH, 1-63 octets). */
static bool
label_is_valid(const char *label, size_t len)
{
	if (len == 0 || len > 63 || label[0] == '-' || label[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)label[i]) && label[i] != '-')
			return false;
	return true;
}

bool
names_is_valid_dns(const char *name)
{
	size_t len = strlen(name);
	const char *label, *dot;

	if (len == 0 || len > 253)
		return false;
	label = name;
	if (strncmp(name, "*.", 2) == 0)
		label = name + 2;
	for (;;) {
		dot = strchr(label, '.');
		if (!label_is_valid(label, dot ? (size_t)(dot - label) :
		    strlen(label)))
			return false;
		if (dot == NULL)
			return true;
		label = dot + 1;
	}
}

/*
 * Copy name into out for a message: at most NAME_SHOW_MAX bytes, and
 * non-printable ones as '?', so a hostile CSR cannot put escape sequences
 * on a terminal.
 */
#define NAME_SHOW_MAX	253

static void
sanitize(const char *name, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; name[i] != '\0' && i < NAME_SHOW_MAX && i < outlen - 4;
	    i++)
		out[i] = isprint((unsigned char)name[i]) ? name[i] : '?';
	if (name[i] != '\0') {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
}

int
names_check_dns(const struct names *names, struct err *e)
{
	char shown[NAME_SHOW_MAX + 4];

	for (size_t i = 0; i < names->n; i++) {
		const char *name = names->v[i];

		if ((names_is_valid_dns(name) && name[0] != '*') ||
		    names_is_ip(name))
			continue;
		sanitize(name, shown, sizeof(shown));
		err_set(e, "%s is not a domain name http-01 can prove (no "
		    "wildcards; give international names in xn-- form)",
		    name[0] == '\0' ? "\"\"" : shown);
		return -1;
	}
	return 0;
}

/* An iPAddress SAN: 4 or 16 bytes, network order. */
static int
add_ip(const ASN1_OCTET_STRING *ip, struct names *out, struct err *e)
{
	char text[INET6_ADDRSTRLEN];
	int len = ASN1_STRING_length(ip);

	if ((len != 4 && len != 16) || inet_ntop(len == 4 ? AF_INET :
	    AF_INET6, ASN1_STRING_get0_data(ip), text, sizeof(text)) == NULL) {
		err_set(e, "malformed IP address in subjectAltName");
		return -1;
	}
	if (names_add(out, text) == -1) {
		err_set(e, "out of memory");
		return -1;
	}
	return 0;
}

int
names_add_general(const STACK_OF(GENERAL_NAME) *gens, struct names *out,
    struct err *e)
{
	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const unsigned char *s;
		int len;

		if (g->type == GEN_IPADD) {
			if (add_ip(g->d.iPAddress, out, e) == -1)
				return -1;
			continue;
		}
		if (g->type != GEN_DNS)
			continue;
		s = ASN1_STRING_get0_data(g->d.dNSName);
		len = ASN1_STRING_length(g->d.dNSName);
		/* An embedded NUL would let a name hide behind another. */
		if (len <= 0 || memchr(s, '\0', (size_t)len) != NULL) {
			err_set(e, "malformed DNS name in subjectAltName");
			return -1;
		}
		char *name = strndup((const char *)s, (size_t)len);
		if (name == NULL || names_add(out, name) == -1) {
			free(name);
			err_set(e, "out of memory");
			return -1;
		}
		free(name);
	}
	return 0;
}

void
names_describe_change(const struct names *from, const struct names *to,
    char *buf, size_t size)
{
	char added[256] = "", dropped[256] = "";

	for (size_t i = 0; i < to->n; i++)
		if (!names_contains(from, to->v[i]))
			str_append(added, sizeof(added), to->v[i]);
	for (size_t i = 0; i < from->n; i++)
		if (!names_contains(to, from->v[i]))
			str_append(dropped, sizeof(dropped), from->v[i]);
	snprintf(buf, size, "added: %s; dropped: %s",
	    added[0] ? added : "none", dropped[0] ? dropped : "none");
}
