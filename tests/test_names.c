/*
 * test_names.c - the list of domain names, DNS name syntax, and the
 * check that keeps names http-01 cannot prove (or paths) out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "names.h"

static void
names_add__copies_and_lower_cases(void **state)
{
	struct names l = { 0 };
	char buf[] = "WWW.Example.COM";

	(void)state;
	assert_int_equal(names_add(&l, buf), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0], "www.example.com");
	/* A copy: changing the caller's buffer changes nothing. */
	buf[0] = 'x';
	assert_string_equal(l.v[0], "www.example.com");
	names_clear(&l);
}

static void
names_add__ignores_duplicates_in_any_case(void **state)
{
	struct names l = { 0 };

	(void)state;
	assert_int_equal(names_add(&l, "a.example.com"), 0);
	assert_int_equal(names_add(&l, "b.example.com"), 0);
	assert_int_equal(names_add(&l, "a.example.com"), 0);
	assert_int_equal(names_add(&l, "A.EXAMPLE.COM"), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0], "a.example.com");
	assert_string_equal(l.v[1], "b.example.com");
	names_clear(&l);
}

static void
names_contains__finds_members_only(void **state)
{
	struct names l = { 0 };

	(void)state;
	assert_false(names_contains(&l, "a.example.com"));
	assert_int_equal(names_add(&l, "a.example.com"), 0);
	assert_true(names_contains(&l, "a.example.com"));
	assert_true(names_contains(&l, "A.Example.Com"));
	assert_false(names_contains(&l, "example.com"));
	assert_false(names_contains(&l, "a.example.co"));
	names_clear(&l);
}

static void
names_equal__ignores_order(void **state)
{
	struct names a = { 0 }, b = { 0 };

	(void)state;
	assert_true(names_equal(&a, &b));
	names_add(&a, "a.example.com");
	names_add(&a, "b.example.com");
	names_add(&a, "c.example.com");
	names_add(&b, "c.example.com");
	names_add(&b, "A.example.com");
	names_add(&b, "b.example.com");
	assert_true(names_equal(&a, &b));
	assert_true(names_equal(&b, &a));
	names_clear(&a);
	names_clear(&b);
}

static void
names_equal__refuses_different_sets(void **state)
{
	struct names a = { 0 }, b = { 0 }, c = { 0 };

	(void)state;
	names_add(&a, "a.example.com");
	names_add(&a, "b.example.com");
	names_add(&b, "a.example.com");
	/* A subset is not equal, in either direction. */
	assert_false(names_equal(&a, &b));
	assert_false(names_equal(&b, &a));
	names_add(&c, "a.example.com");
	names_add(&c, "c.example.com");
	/* Same size, different member. */
	assert_false(names_equal(&a, &c));
	assert_false(names_equal(&c, &a));
	names_clear(&a);
	names_clear(&b);
	names_clear(&c);
}

static void
names_clear__empties_the_list_for_reuse(void **state)
{
	struct names l = { 0 };

	(void)state;
	names_add(&l, "a.example.com");
	names_add(&l, "b.example.com");
	names_clear(&l);
	assert_int_equal(l.n, 0);
	assert_false(names_contains(&l, "a.example.com"));
	assert_int_equal(names_add(&l, "c.example.com"), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0], "c.example.com");
	names_clear(&l);
	/* Clearing an empty list is harmless. */
	names_clear(&l);
}

static void
names_is_valid_dns__accepts_hostnames_wildcards_and_idna(void **state)
{
	static const char *const good[] = {
		"a.example.com",
		"*.example.com",
		"xn--bcher-kva.example",
		"example.com",
		"localhost",
		"a-b.example.com",
		"0.example.com",
		"A.EXAMPLE.COM",
	};
	/* Longest allowed label: 63 octets (RFC 1035 section 2.3.4). */
	char label63[80];
	/* Longest allowed name: 253 characters in text form. */
	char name253[300];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!names_is_valid_dns(good[i]))
			fail_msg("valid name \"%s\" refused", good[i]);

	memset(label63, 'a', 63);
	strcpy(label63 + 63, ".com");
	assert_true(names_is_valid_dns(label63));

	/* 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 */
	memset(name253, 'b', 253);
	name253[63] = name253[127] = name253[191] = '.';
	name253[253] = '\0';
	assert_int_equal(strlen(name253), 253);
	assert_true(names_is_valid_dns(name253));
}

static void
names_is_valid_dns__refuses_malformed_names(void **state)
{
	static const char *const bad[] = {
		"",
		"a..b",
		".example.com",
		"-a.com",
		"a-.com",
		"a b.com",
		"a/b",
		"a_b.example.com",
		"a.example.com/",
		"exa\nmple.com",
		"a.*.example.com",	/* wildcard only as the leftmost label */
		"*a.example.com",
		"*",
		"b\xc3\xbc" "cher.example",	/* U-labels must be xn-- */
	};
	char label64[80];
	char name254[300];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (names_is_valid_dns(bad[i]))
			fail_msg("invalid name \"%s\" accepted", bad[i]);

	memset(label64, 'a', 64);
	strcpy(label64 + 64, ".com");
	assert_false(names_is_valid_dns(label64));

	/* 63 + 1 + 63 + 1 + 63 + 1 + 62 = 254 */
	memset(name254, 'b', 254);
	name254[63] = name254[127] = name254[191] = '.';
	name254[254] = '\0';
	assert_false(names_is_valid_dns(name254));
}

#define NOT_PROVABLE	" is not a domain name http-01 can prove (no " \
	"wildcards; give international names in xn-- form)"

/* names_check_dns on a list of the one name given (added as is). */
static int
check_one(const char *name, struct err *e)
{
	struct names l = { 0 };
	int rc;

	if ((l.v = malloc(sizeof(*l.v))) == NULL ||
	    (l.v[0] = strdup(name)) == NULL)
		fail_msg("out of memory");
	l.n = 1;
	rc = names_check_dns(&l, e);
	names_clear(&l);
	return rc;
}

static void
names_check_dns__accepts_domain_names(void **state)
{
	struct names l = { 0 };
	struct err e = { "" };

	(void)state;
	assert_int_equal(check_one("x.test", &e), 0);
	assert_int_equal(names_add(&l, "example.com"), 0);
	assert_int_equal(names_add(&l, "www.example.com"), 0);
	assert_int_equal(names_add(&l, "xn--bcher-kva.example"), 0);
	assert_int_equal(names_check_dns(&l, &e), 0);
	names_clear(&l);
	/* Nothing to refuse. */
	assert_int_equal(names_check_dns(&l, &e), 0);
}

static void
names_check_dns__refuses_paths_wildcards_and_empty_names(void **state)
{
	static const struct {
		const char	*name;
		const char	*shown;
	} bad[] = {
		{ "../../x",	"../../x" },
		{ "a/b",	"a/b" },
		{ "",		"\"\"" },
		{ "*.x.test",	"*.x.test" },
		{ ".",		"." },
		{ "x.test.",	"x.test." },
		{ "b\xc3\xbc" "cher.example", "b??cher.example" },
	};
	struct err e = { "" };
	char want[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.msg[0] = '\0';
		if (check_one(bad[i].name, &e) != -1)
			fail_msg("name \"%s\" accepted", bad[i].name);
		snprintf(want, sizeof(want), "%s" NOT_PROVABLE, bad[i].shown);
		assert_string_equal(e.msg, want);
	}
}

static void
names_check_dns__refuses_a_bad_name_among_good_ones(void **state)
{
	struct names l = { 0 };
	struct err e = { "" };

	(void)state;
	assert_int_equal(names_add(&l, "example.com"), 0);
	assert_int_equal(names_add(&l, "../../etc"), 0);
	assert_int_equal(names_add(&l, "www.example.com"), 0);
	assert_int_equal(names_check_dns(&l, &e), -1);
	assert_string_equal(e.msg, "../../etc" NOT_PROVABLE);
	names_clear(&l);
}

static void
names_check_dns__shows_control_bytes_as_question_marks(void **state)
{
	struct err e = { "" };
	char huge[1000];

	(void)state;
	/* An escape sequence in a CSR must not reach the terminal. */
	assert_int_equal(check_one("evil\x1b[2J\n.example", &e), -1);
	assert_string_equal(e.msg, "evil?[2J?.example" NOT_PROVABLE);
	assert_null(strchr(e.msg, '\x1b'));
	/* A long name is cut, and the advice after it still fits. */
	memset(huge, 'a', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	assert_int_equal(check_one(huge, &e), -1);
	assert_non_null(strstr(e.msg, "a..." NOT_PROVABLE));
}

/* ---------------------------------------------- IP addresses (RFC 8738) */

static void
names_ip_normalize__compresses_and_lower_cases(void **state)
{
	static const char *const cases[][2] = {
		{ "192.0.2.10", "192.0.2.10" },
		{ "2001:DB8:0:0:0:0:0:10", "2001:db8::10" },
		{ "2001:0db8::0010", "2001:db8::10" },
		{ "::1", "::1" },
		{ "0:0:0:0:0:0:0:1", "::1" },
		{ "::FFFF:192.0.2.1", "::ffff:192.0.2.1" },
	};
	char out[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_true(names_ip_normalize(cases[i][0], out, sizeof(out)));
		assert_string_equal(out, cases[i][1]);
	}
}

static void
names_is_ip__refuses_names_and_near_addresses(void **state)
{
	static const char *const no[] = { "example.com", "1.2.3", "1.2.3.4.5",
	    "256.1.1.1", "01.2.3.4", "1.2.3.4 ", "[::1]", "::1%lo", "2001:db8::g",
	    "", "1.2.3.4/32" };

	(void)state;
	assert_true(names_is_ip("127.0.0.1"));
	assert_true(names_is_ip("2001:db8::10"));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (names_is_ip(no[i]))
			fail_msg("%s taken for an address", no[i]);
}

static void
names_add__normalizes_addresses_before_comparing(void **state)
{
	struct names l = { 0 };

	(void)state;
	assert_int_equal(names_add(&l, "2001:DB8:0::10"), 0);
	assert_int_equal(names_add(&l, "2001:db8::10"), 0);
	assert_int_equal(names_add(&l, "192.0.2.10"), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0], "2001:db8::10");
	assert_true(names_contains(&l, "2001:0db8:0:0:0:0:0:0010"));
	names_clear(&l);
}

static void
names_check_dns__accepts_addresses_mixed_with_names(void **state)
{
	struct names l = { 0 };
	struct err e = { "" };

	(void)state;
	assert_int_equal(names_add(&l, "www.example.com"), 0);
	assert_int_equal(names_add(&l, "192.0.2.10"), 0);
	assert_int_equal(names_add(&l, "2001:db8::10"), 0);
	assert_int_equal(names_check_dns(&l, &e), 0);
	names_clear(&l);
}

static void
names_add_general__reads_ip_sans_and_refuses_odd_lengths(void **state)
{
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	GENERAL_NAME *g;
	struct names got = { 0 };
	struct err e = { "" };
	static const unsigned char v6[16] = { 0x20, 0x01, 0x0d, 0xb8,
	    [15] = 0x10 };
	static const unsigned char odd[5] = { 1, 2, 3, 4, 5 };

	(void)state;
	assert_non_null(gens);
	assert_non_null(g = a2i_GENERAL_NAME(NULL, NULL, NULL, GEN_IPADD,
	    "192.0.2.10", 0));
	sk_GENERAL_NAME_push(gens, g);
	g = GENERAL_NAME_new();
	g->type = GEN_IPADD;
	g->d.iPAddress = ASN1_OCTET_STRING_new();
	ASN1_OCTET_STRING_set(g->d.iPAddress, v6, sizeof(v6));
	sk_GENERAL_NAME_push(gens, g);
	assert_int_equal(names_add_general(gens, &got, &e), 0);
	assert_int_equal(got.n, 2);
	assert_string_equal(got.v[0], "192.0.2.10");
	assert_string_equal(got.v[1], "2001:db8::10");
	names_clear(&got);
	g = GENERAL_NAME_new();
	g->type = GEN_IPADD;
	g->d.iPAddress = ASN1_OCTET_STRING_new();
	ASN1_OCTET_STRING_set(g->d.iPAddress, odd, sizeof(odd));
	sk_GENERAL_NAME_push(gens, g);
	assert_int_equal(names_add_general(gens, &got, &e), -1);
	assert_non_null(strstr(e.msg, "malformed IP address"));
	names_clear(&got);
	GENERAL_NAMES_free(gens);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_add__copies_and_lower_cases),
		cmocka_unit_test(names_add__ignores_duplicates_in_any_case),
		cmocka_unit_test(names_contains__finds_members_only),
		cmocka_unit_test(names_equal__ignores_order),
		cmocka_unit_test(names_equal__refuses_different_sets),
		cmocka_unit_test(names_clear__empties_the_list_for_reuse),
		cmocka_unit_test(names_is_valid_dns__accepts_hostnames_wildcards_and_idna),
		cmocka_unit_test(names_is_valid_dns__refuses_malformed_names),
		cmocka_unit_test(names_check_dns__accepts_domain_names),
		cmocka_unit_test(
		    names_check_dns__refuses_paths_wildcards_and_empty_names),
		cmocka_unit_test(names_check_dns__refuses_a_bad_name_among_good_ones),
		cmocka_unit_test(names_check_dns__shows_control_bytes_as_question_marks),
		cmocka_unit_test(names_ip_normalize__compresses_and_lower_cases),
		cmocka_unit_test(names_is_ip__refuses_names_and_near_addresses),
		cmocka_unit_test(names_add__normalizes_addresses_before_comparing),
		cmocka_unit_test(names_check_dns__accepts_addresses_mixed_with_names),
		cmocka_unit_test(
		    names_add_general__reads_ip_sans_and_refuses_odd_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
