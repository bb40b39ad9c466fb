/*
 * config.h - global options and where things live in the state directory.
 *
 *   STATE_DIR/account-key.pem             the account key (0600)
 *   STATE_DIR/accounts/HOST_PATH.json     the account URL per CA directory
 *   STATE_DIR/live/NAME/                  default --out of issue
 *   STATE_DIR/lock                        serializes overlapping runs
 */
#ifndef ACMEC_CONFIG_H
#define ACMEC_CONFIG_H

#include "err.h"
#include "log.h"

#define CONFIG_LE_PRODUCTION "https://acme-v02.api.letsencrypt.org/directory"
#define CONFIG_LE_STAGING \
    "https://acme-staging-v02.api.letsencrypt.org/directory"
#define CONFIG_STATE_DIR "/etc/acmec"
#define CONFIG_TIMEOUT 30		/* seconds per request */

struct config {
	const char	*directory_url;
	const char	*ca_bundle;
	const char	*state_dir;
	long		 timeout;
};

void config_defaults(struct config *cfg);

/* New strings, NULL on ENOMEM. */
char *config_account_key_path(const struct config *cfg);
char *config_account_record_path(const struct config *cfg);
char *config_live_dir(const struct config *cfg, const char *name);

#endif
