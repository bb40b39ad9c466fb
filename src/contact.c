/*
 * contact.c - checking --contact values and comparing them with the
 * contacts the CA kept.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "contact.h"
#include "str.h"

#define SHOW_MAX	60	/* bytes of a contact quoted in a message */

/*
 * Copy s for a message: bytes that are not printable ASCII become '?'
 * (they may be invalid UTF-8 or drive a terminal), and a long value is
 * cut.  buf must hold SHOW_MAX + 4 bytes.
 */
static const char *
show(const char *s, char *buf)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < SHOW_MAX; i++)
		buf[i] = s[i] >= ' ' && s[i] <= '~' ? s[i] : '?';
	strcpy(buf + i, s[i] != '\0' ? "..." : "");
	return buf;
}

/*
 * Decode the UTF-8 sequence at s into *cp; its length, or 0 if it is not
 * valid RFC 3629 UTF-8: overlong forms (C0 AF for '/'), surrogates and
 * code points past U+10FFFF are refused.
 */
static size_t
utf8_decode(const unsigned char *s, unsigned long *cp)
{
	unsigned long min;
	size_t len, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2, min = 0x80, *cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3, min = 0x800, *cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4, min = 0x10000, *cp = s[0] & 0x07;
	} else
		return 0;
	/* A NUL is not a continuation byte: the loop stops at the end. */
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return len;
}

/* What is wrong with the characters of contact; NULL if nothing. */
static const char *
bad_characters(const char *contact)
{
	const unsigned char *p = (const unsigned char *)contact;
	unsigned long cp;
	size_t n;

	for (; *p != '\0'; p += n) {
		if ((n = utf8_decode(p, &cp)) == 0)
			return "not valid UTF-8; give the address in UTF-8";
		/* C0, DEL and C1 controls. */
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return "contains a control character; remove it";
		if (cp == ' ')
			return "contains a space; give one address without "
			    "spaces";
	}
	return NULL;
}

/* What is wrong with the mailto: URL; NULL if nothing. */
static const char *
bad_address(const char *contact)
{
	const char *addr, *at;

	if (strncmp(contact, "mailto:", 7) != 0)
		return "a contact is a mailto: URL, e.g. "
		    "mailto:admin@example.com";
	addr = contact + 7;
	if (strchr(addr, ',') != NULL)
		return "one address per --contact; repeat --contact for more";
	/* Header fields (RFC 6068) could add recipients: "?cc=...". */
	if (strchr(addr, '?') != NULL)
		return "no ?header fields; give just mailto:NAME@DOMAIN";
	if ((at = strchr(addr, '@')) == NULL || at == addr ||
	    at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return "not an e-mail address; give mailto:NAME@DOMAIN";
	return NULL;
}

int
contact_check(const char *contact, struct err *e)
{
	char buf[SHOW_MAX + 4];
	const char *why;

	if (strlen(contact) > CONTACT_MAX_LEN) {
		err_set(e, "--contact %s: longer than %d bytes; give a "
		    "shorter address", show(contact, buf), CONTACT_MAX_LEN);
		return -1;
	}
	if ((why = bad_characters(contact)) == NULL &&
	    (why = bad_address(contact)) == NULL)
		return 0;
	err_set(e, "--contact %s: %s", show(contact, buf), why);
	return -1;
}

static bool
asked_for(const char *const *asked, size_t nasked, const char *contact)
{
	for (size_t i = 0; i < nasked; i++)
		if (strcmp(asked[i], contact) == 0)
			return true;
	return false;
}

/* Every contact of one list is in the other (duplicates do not count). */
static bool
same_contacts(const char *const *asked, size_t nasked, const json_t *answer)
{
	const json_t *c;
	size_t i;

	json_array_foreach(answer, i, c)
		if (!json_is_string(c) ||
		    !asked_for(asked, nasked, json_string_value(c)))
			return false;
	for (i = 0; i < nasked; i++) {
		size_t j;

		json_array_foreach(answer, j, c)
			if (strcmp(json_string_value(c), asked[i]) == 0)
				break;
		if (j == json_array_size(answer))
			return false;
	}
	return true;
}

/* list ", " item, item shown as in messages; frees list; new string. */
static char *
join(char *list, const char *item)
{
	char buf[SHOW_MAX + 4], *more;

	more = str_fmt("%s%s%s", list ? list : "", list ? ", " : "",
	    show(item, buf));
	free(list);
	return more;
}

/* "a, b" of the CA's contacts, or "" for none; new string. */
static char *
answer_list(const json_t *answer)
{
	const json_t *c;
	char *list = NULL;
	size_t i;

	json_array_foreach(answer, i, c)
		if ((list = join(list, json_is_string(c) ?
		    json_string_value(c) : "?")) == NULL)
			return NULL;
	return list != NULL ? list : strdup("");
}

/* "a, b" of the contacts asked for; new string. */
static char *
asked_list(const char *const *asked, size_t nasked)
{
	char *list = NULL;

	for (size_t i = 0; i < nasked; i++)
		if ((list = join(list, asked[i])) == NULL)
			return NULL;
	return list != NULL ? list : strdup("");
}

char *
contact_answer_mismatch(const char *const *asked, size_t nasked,
    const json_t *answer)
{
	char *kept, *want, *msg = NULL;

	if (!json_is_array(answer))
		answer = NULL;	/* absent: the account has no contacts */
	if (same_contacts(asked, nasked, answer))
		return NULL;
	kept = answer_list(answer);
	want = asked_list(asked, nasked);
	if (kept == NULL || want == NULL)
		goto out;
	if (nasked == 0)
		msg = str_fmt("the CA did not clear the contacts: it kept %s",
		    kept);
	else if (kept[0] == '\0')
		msg = str_fmt("the CA answered with no contacts (asked for "
		    "%s); it may not allow changing them", want);
	else
		msg = str_fmt("the CA answered with contacts %s (asked for "
		    "%s); it may not allow changing them", kept, want);
out:
	free(want);
	free(kept);
	return msg;
}
