/*
 * test_config.c - defaults and where things live in the state directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static void
config_defaults__are_lets_encrypt_production_and_etc_acmec(void **state)
{
	struct config cfg;

	(void)state;
	config_defaults(&cfg);
	assert_string_equal(cfg.directory_url,
	    "https://acme-v02.api.letsencrypt.org/directory");
	assert_string_equal(cfg.state_dir, "/etc/acmec");
	assert_null(cfg.ca_bundle);
	assert_int_equal(cfg.timeout, 30);
	assert_null(cfg.transport);
}

static void
config_paths__live_under_the_state_dir(void **state)
{
	struct config cfg;
	char *p;

	(void)state;
	config_defaults(&cfg);
	cfg.state_dir = "/var/lib/acmec";
	p = config_legacy_account_key_path(&cfg);
	assert_string_equal(p, "/var/lib/acmec/account-key.pem");
	free(p);
	p = config_live_dir(&cfg, "example.com");
	assert_string_equal(p, "/var/lib/acmec/live/example.com");
	free(p);
}

static void
config_account_dir__is_named_after_the_url_and_its_hash(void **state)
{
	struct config cfg;
	char *a, *b;

	(void)state;
	config_defaults(&cfg);
	a = config_account_dir(&cfg);
	assert_non_null(a);
	assert_int_equal(strncmp(a, "/etc/acmec/accounts/"
	    "acme-v02.api.letsencrypt.org_directory-", 59), 0);
	assert_int_equal(strlen(a), 59 + 8);
	/* These two fold to the same slug; the hash keeps them apart. */
	cfg.directory_url = "https://ca.test/a?b";
	free(a);
	a = config_account_dir(&cfg);
	cfg.directory_url = "https://ca.test/a_b";
	b = config_account_dir(&cfg);
	assert_int_equal(strncmp(a, b, strlen(a) - 8), 0);
	assert_string_not_equal(a, b);
	/* A long URL: the slug is cut, the name stays one path component. */
	cfg.directory_url = "https://ca.test/../../" "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
	free(b);
	b = config_account_dir(&cfg);
	assert_null(strchr(b + strlen("/etc/acmec/accounts/"), '/'));
	free(a);
	free(b);
}

static void
config_legacy_account_record_path__is_named_after_the_directory_url(void **state)
{
	struct config cfg;
	char *p;

	(void)state;
	config_defaults(&cfg);
	p = config_legacy_account_record_path(&cfg);
	assert_string_equal(p, "/etc/acmec/accounts/"
	    "acme-v02.api.letsencrypt.org_directory.json");
	free(p);
	/* Ports, paths and anything odd become '_': never a path of its own. */
	cfg.directory_url = "https://localhost:14000/dir/../x?y";
	p = config_legacy_account_record_path(&cfg);
	assert_string_equal(p, "/etc/acmec/accounts/localhost_14000_dir_.._x_y.json");
	free(p);
}

/* out/, out/., a link to out, a missing out below a link: one lock. */
static void
config_output_lock__is_named_after_the_resolved_directory(void **state)
{
	char tmp[] = "/tmp/test_config.XXXXXX", *want, *got, *cmd;
	char real[4096], out[4200], link[4200], path[4300];
	const char *same[] = { "/", "/.", "//" };	/* after out */
	struct config cfg;

	(void)state;
	config_defaults(&cfg);
	cfg.state_dir = "/var/lib/acmec/";
	assert_non_null(mkdtemp(tmp));
	assert_non_null(realpath(tmp, real));
	snprintf(out, sizeof(out), "%s/out", real);
	snprintf(link, sizeof(link), "%s/link", real);
	assert_int_equal(symlink(real, link), 0);
	/* Missing yet: resolved as far as it exists. */
	want = config_output_lock(&cfg, out);
	snprintf(path, sizeof(path), "%s/out/", link);
	got = config_output_lock(&cfg, path);
	assert_string_equal(got, want);
	free(got);
	assert_int_equal(mkdir(out, 0700), 0);
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", out, same[i]);
		got = config_output_lock(&cfg, path);
		assert_string_equal(got, want);
		free(got);
	}
	snprintf(path, sizeof(path), "%s/out", link);
	got = config_output_lock(&cfg, path);
	assert_string_equal(got, want);
	free(got);
	got = config_order_record(&cfg, path);
	free(want);
	want = config_order_record(&cfg, out);
	assert_string_equal(got, want);
	free(got);
	free(want);
	assert_non_null(cmd = malloc(strlen(real) + 16));
	sprintf(cmd, "rm -rf '%s'", real);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config_defaults__are_lets_encrypt_production_and_etc_acmec),
		cmocka_unit_test(config_paths__live_under_the_state_dir),
		cmocka_unit_test(config_account_dir__is_named_after_the_url_and_its_hash),
		cmocka_unit_test(config_legacy_account_record_path__is_named_after_the_directory_url),
		cmocka_unit_test(config_output_lock__is_named_after_the_resolved_directory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
