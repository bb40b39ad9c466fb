/*
 * config.h - global options and where things live in the state directory.
 *
 *   STATE_DIR/accounts/CA/                the account of one CA (account.h)
 *   STATE_DIR/live/NAME/                  default --out of issue
 *   STATE_DIR/locks/NAME-HASH.lock        one per output directory
 *   STATE_DIR/orders/NAME-HASH.json       its order in flight (resume.h)
 *   STATE_DIR/leaks/NAME-HASH.json        its leaked key being replaced
 *
 * acmec before 0.2 kept one STATE_DIR/account-key.pem for every CA and
 * STATE_DIR/accounts/HOST_PATH.json records; account_open() takes them
 * over.
 */
#ifndef ACMEC_CONFIG_H
#define ACMEC_CONFIG_H

#include "err.h"
#include "hookproc.h"
#include "http.h"
#include "log.h"
#include "netproc.h"
#include "sandbox.h"

#define CONFIG_LE_PRODUCTION "https://acme-v02.api.letsencrypt.org/directory"
#define CONFIG_LE_STAGING \
    "https://acme-staging-v02.api.letsencrypt.org/directory"
#define CONFIG_STATE_DIR "/etc/acmec"
#define CONFIG_TIMEOUT 30		/* seconds per request */

/* Which options the command line gave: they win over the config file. */
#define CONFIG_GIVEN_DIRECTORY	0x1
#define CONFIG_GIVEN_CA_BUNDLE	0x2
#define CONFIG_GIVEN_STATE_DIR	0x4
#define CONFIG_GIVEN_TIMEOUT	0x8
#define CONFIG_GIVEN_SANDBOX	0x10

struct config {
	const char	*directory_url;
	const char	*ca_bundle;
	const char	*state_dir;
	long		 timeout;
	/* How hard the key and network processes insist (--sandbox). */
	enum sandbox_mode sandbox;
	unsigned	 given;		/* CONFIG_GIVEN_* */
	/* Talk to the CA through this (tests); NULL: HTTPS (http.h). */
	const struct transport *transport;
	/* HTTPS through the network process (main starts it); NULL: here. */
	struct netproc	*network;
	/*
	 * The main process's confinement once it talks to the CA
	 * (confine.h): directories besides the state directory where it may
	 * change files, NULL-terminated (or NULL); the hook runner (NULL:
	 * hooks run in this process).
	 */
	const char *const *write_dirs;
	struct hookproc	*hooks;
};

void config_defaults(struct config *cfg);

/* New strings, NULL on ENOMEM. */
char *config_account_dir(const struct config *cfg);
/* The lock of the output directory out_dir (made absolute). */
char *config_output_lock(const struct config *cfg, const char *out_dir);
/* The record of its order in flight: the lock's name, under orders/. */
char *config_order_record(const struct config *cfg, const char *out_dir);
/* The key announced for its next renewal (nextkey.h), under next-keys/. */
char *config_next_key(const struct config *cfg, const char *out_dir);
/* The record of a leaked key's replacement (revoke): under leaks/. */
char *config_leak_record(const struct config *cfg, const char *out_dir);
char *config_legacy_account_key_path(const struct config *cfg);
char *config_legacy_account_record_path(const struct config *cfg);
char *config_live_dir(const struct config *cfg, const char *name);

#endif
