/*
 * config.c - defaults and the layout of the state directory.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "store.h"
#include "str.h"

void
config_defaults(struct config *cfg)
{
	cfg->directory_url = CONFIG_LE_PRODUCTION;
	cfg->ca_bundle = NULL;
	cfg->state_dir = CONFIG_STATE_DIR;
	cfg->timeout = CONFIG_TIMEOUT;
}

char *
config_account_key_path(const struct config *cfg)
{
	return store_path(cfg->state_dir, "account-key.pem");
}

/*
 * One record per CA directory, named after its URL with everything but
 * [A-Za-z0-9.-] turned into '_': readable, and distinct for the URLs in use.
 */
char *
config_account_record_path(const struct config *cfg)
{
	const char *url = cfg->directory_url;
	size_t len = strlen(cfg->state_dir) + strlen(url) + 32;
	char *path, *p;

	if (strncmp(url, "https://", 8) == 0)
		url += 8;
	if ((path = malloc(len)) == NULL)
		return NULL;
	snprintf(path, len, "%s/accounts/", cfg->state_dir);
	p = path + strlen(path);
	for (; *url != '\0'; url++)
		*p++ = isalnum((unsigned char)*url) || *url == '.' ||
		    *url == '-' ? *url : '_';
	strcpy(p, ".json");
	return path;
}

char *
config_live_dir(const struct config *cfg, const char *name)
{
	return str_fmt("%s/live/%s", cfg->state_dir, name);
}
