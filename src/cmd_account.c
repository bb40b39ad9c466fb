/*
 * cmd_account.c - "acmec account show|new|update|rollover|deactivate".
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "key.h"
#include "log.h"
#include "session.h"


struct account_args {
	const char	*contacts[ACCOUNT_MAX_CONTACTS];
	size_t		 ncontacts;
	bool		 agree_tos;
	bool		 yes;
	const char	*eab_kid;
	const char	*eab_hmac_key;
	const char	*new_key_path;
	const char	*key_type;
};

static int
parse_account_args(int argc, char **argv, struct account_args *a)
{
	enum { OPT_CONTACT = 256, OPT_AGREE, OPT_YES, OPT_EABKID, OPT_EABKEY,
	    OPT_NEWKEY, OPT_KEYTYPE };
	static const struct option longopts[] = {
		{ "contact",	  required_argument, NULL, OPT_CONTACT },
		{ "agree-tos",	  no_argument,	     NULL, OPT_AGREE },
		{ "yes",	  no_argument,	     NULL, OPT_YES },
		{ "eab-kid",	  required_argument, NULL, OPT_EABKID },
		{ "eab-hmac-key", required_argument, NULL, OPT_EABKEY },
		{ "new-key",	  required_argument, NULL, OPT_NEWKEY },
		{ "key-type",	  required_argument, NULL, OPT_KEYTYPE },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	optind = 0;	/* glibc: also reset its permutation state */
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_CONTACT:
			if (a->ncontacts == ACCOUNT_MAX_CONTACTS) {
				fprintf(stderr, "acmec: at most %d "
				    "--contact options\n",
				    ACCOUNT_MAX_CONTACTS);
				return -1;
			}
			a->contacts[a->ncontacts++] = optarg;
			break;
		case OPT_AGREE:
			a->agree_tos = true;
			break;
		case OPT_YES:
			a->yes = true;
			break;
		case OPT_EABKID:
			a->eab_kid = optarg;
			break;
		case OPT_EABKEY:
			a->eab_hmac_key = optarg;
			break;
		case OPT_NEWKEY:
			a->new_key_path = optarg;
			break;
		case OPT_KEYTYPE:
			a->key_type = optarg;
			break;
		default:
			return -1;
		}
	}
	if (optind != argc || (a->eab_kid == NULL) != (a->eab_hmac_key == NULL))
		return -1;
	return 0;
}

/* Lock the state, reach the CA, and open the account (creating it if asked). */
static int
open_account_session(struct session *s, const struct config *cfg,
    const struct account_args *a, bool create, struct err *e)
{
	struct account_options opts = {
		.create = create,
		.request = { a->contacts, a->ncontacts, a->agree_tos,
		    a->eab_kid, a->eab_hmac_key },
	};

	return session_connect(s, cfg, &opts, e);
}

static void
print_account(const struct account *acct, const json_t *obj)
{
	const json_t *c;
	char *text;
	size_t i;

	printf("account:    %s\n", acct->url);
	text = acme_sanitize(json_string_value(json_object_get(obj, "status")));
	printf("status:     %s\n", text ? text : "");
	free(text);
	printf("contacts:  ");
	json_array_foreach(json_object_get(obj, "contact"), i, c) {
		text = acme_sanitize(json_string_value(c));
		printf("%s%s", i ? ", " : " ", text ? text : "");
		free(text);
	}
	printf("%s\n", json_array_size(json_object_get(obj, "contact")) ?
	    "" : " (none)");
	printf("key:        %s %s\n", signer_key_type(acct->signer),
	    acct->key_path);
	printf("thumbprint: %s\n", signer_thumbprint(acct->signer));
}

static int
account_show(struct session *s, const struct account_args *a,
    struct err *e)
{
	const struct acme_who who = account_who(s->account);
	struct acme_outcome out;
	json_t *obj;

	(void)a;
	if (acme_account_fetch(s->acme, &who, &obj, &out, e) == -1)
		return -1;
	print_account(s->account, obj);
	json_decref(obj);
	return 0;
}

static int
account_new(struct session *s, const struct account_args *a,
    struct err *e)
{
	(void)e, (void)a;
	/* Opening the session found or created it; say which URL it is. */
	printf("account: %s\n", s->account->url);
	return 0;
}

static int
account_update(struct session *s, const struct account_args *a,
    struct err *e)
{
	const struct acme_who who = account_who(s->account);
	struct acme_outcome out;
	json_t *obj;

	if (acme_account_update(s->acme, &who, a->contacts, a->ncontacts, &obj,
	    &out, e) == -1)
		return -1;
	if (log_get_level() >= LOG_NORMAL)
		print_account(s->account, obj);
	json_decref(obj);
	return 0;
}

static int
account_key_rollover(struct session *s, const struct account_args *a,
    struct err *e)
{
	enum key_type type = KEY_EC256;
	EVP_PKEY *key;
	int rc;

	/* args_fit() has already refused an unknown type. */
	if (a->key_type != NULL)
		(void)key_type_parse(a->key_type, &type);
	key = a->new_key_path != NULL ? key_load(a->new_key_path, e) :
	    key_generate(type, e);
	if (key == NULL)
		return -1;
	rc = account_rollover(s->account, s->acme, key, e);
	EVP_PKEY_free(key);
	if (rc == 0)
		log_info("account %s now uses the new key %s (thumbprint %s)",
		    s->account->url, s->account->key_path,
		    signer_thumbprint(s->account->signer));
	return rc;
}

static int
account_deactivate(struct session *s, const struct account_args *a,
    struct err *e)
{
	const struct acme_who who = account_who(s->account);
	struct acme_outcome out;

	(void)a;
	if (acme_account_deactivate(s->acme, &who, &out, e) == -1)
		return -1;
	free(s->account->status);
	s->account->status = strdup("deactivated");
	if (account_record_save(s->account, e) == -1)
		return -1;
	log_info("account %s deactivated", s->account->url);
	return 0;
}

static const struct account_command {
	const char	*name;
	bool		 create;
	int		(*run)(struct session *, const struct account_args *,
			    struct err *);
} account_commands[] = {
	{ "show",	false,	account_show },
	{ "new",	true,	account_new },
	{ "update",	false,	account_update },
	{ "rollover",	false,	account_key_rollover },
	{ "deactivate",	false,	account_deactivate },
};

static void
account_usage(void)
{
	fprintf(stderr,
	    "usage: acmec [global options] account show\n"
	    "       acmec [global options] account new --agree-tos "
	    "[--contact mailto:ADDR ...]\n"
	    "             [--eab-kid ID --eab-hmac-key KEY]\n"
	    "       acmec [global options] account update "
	    "[--contact mailto:ADDR ...]\n"
	    "       acmec [global options] account rollover "
	    "[--key-type TYPE | --new-key FILE]\n"
	    "       acmec [global options] account deactivate --yes\n");
}

/* Usage rules the option parser cannot express. */
static bool
args_fit(const char *name, const struct account_args *a)
{
	if (strcmp(name, "new") == 0)
		return a->agree_tos;
	if (strcmp(name, "deactivate") == 0)
		return a->yes;
	if (strcmp(name, "rollover") == 0)
		return a->key_type == NULL || (a->new_key_path == NULL &&
		    key_type_parse(a->key_type, &(enum key_type){ 0 }) == 0);
	return true;
}

int
cmd_account(const struct config *cfg, int argc, char **argv)
{
	const struct account_command *cmd = NULL;
	struct account_args a = { 0 };
	struct session s;
	struct err e = { "" };
	int rc;

	for (size_t i = 0; argc > 1 && i < sizeof(account_commands) /
	    sizeof(account_commands[0]); i++)
		if (strcmp(argv[1], account_commands[i].name) == 0)
			cmd = &account_commands[i];
	if (cmd == NULL || parse_account_args(argc - 1, argv + 1, &a) == -1 ||
	    !args_fit(cmd->name, &a)) {
		if (cmd != NULL && strcmp(cmd->name, "deactivate") == 0 &&
		    !a.yes)
			fprintf(stderr, "acmec: deactivation cannot be undone; "
			    "add --yes to confirm\n");
		account_usage();
		return EXIT_USAGE;
	}
	session_init(&s);
	rc = open_account_session(&s, cfg, &a, cmd->create, &e);
	if (rc == 0)
		rc = cmd->run(&s, &a, &e);
	if (rc == -1)
		log_error("account %s: %s", cmd->name, e.msg);
	session_close(&s);
	return rc == 0 ? EXIT_OK : EXIT_FAIL;
}
