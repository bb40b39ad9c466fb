/*
 * cmd_account.c - "acmec account show|new|update|rollover|deactivate".
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "contact.h"
#include "eab.h"
#include "key.h"
#include "keyproc.h"
#include "log.h"
#include "session.h"
#include "usage.h"

/*
 * The options of account, as bits: each is getopt_long's value for the
 * option (above any character) and its bit in the masks below.
 */
enum {
	OPT_CONTACT	= 1 << 8,
	OPT_AGREE	= 1 << 9,
	OPT_YES		= 1 << 10,
	OPT_EABKID	= 1 << 11,
	OPT_EABKEY	= 1 << 12,
	OPT_NEWKEY	= 1 << 13,
	OPT_KEYTYPE	= 1 << 14,
	OPT_EABFILE	= 1 << 15,
};

static const struct option longopts[] = {
	{ "contact",	  required_argument, NULL, OPT_CONTACT },
	{ "agree-tos",	  no_argument,	     NULL, OPT_AGREE },
	{ "yes",	  no_argument,	     NULL, OPT_YES },
	{ "eab-kid",	  required_argument, NULL, OPT_EABKID },
	{ "eab-hmac-key", required_argument, NULL, OPT_EABKEY },
	{ "eab-hmac-key-file", required_argument, NULL, OPT_EABFILE },
	{ "new-key",	  required_argument, NULL, OPT_NEWKEY },
	{ "key-type",	  required_argument, NULL, OPT_KEYTYPE },
	{ "help",	  no_argument,	     NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

struct account_args {
	unsigned	 given;		/* OPT_ bits */
	bool		 help;
	const char	*contacts[ACCOUNT_MAX_CONTACTS];
	size_t		 ncontacts;
	const char	*eab_kid;
	const char	*eab_hmac_key;
	const char	*eab_key_file;
	const char	*new_key_path;
	const char	*key_type;
};

/* Lock the state, reach the CA, and open the account (creating it if asked). */
static int
open_account_session(struct session *s, const struct config *cfg,
    const struct account_args *a, bool create, unsigned sign_policy,
    struct err *e)
{
	struct account_options opts = {
		.create = create,
		.sign_policy = sign_policy,
		.request = { a->contacts, a->ncontacts,
		    (a->given & OPT_AGREE) != 0, a->eab_kid,
		    a->eab_hmac_key },
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
	char *mismatch;

	if (acme_account_update(s->acme, &who, a->contacts, a->ncontacts, &obj,
	    &out, e) == -1)
		return -1;
	if (log_get_level() >= LOG_NORMAL)
		print_account(s->account, obj);
	/*
	 * The CA may keep contacts it does not let an account change; the
	 * update still succeeded, but the user should not believe otherwise.
	 */
	mismatch = contact_answer_mismatch(a->contacts, a->ncontacts,
	    json_object_get(obj, "contact"));
	if (mismatch != NULL)
		log_error("warning: %s", mismatch);
	free(mismatch);
	json_decref(obj);
	return 0;
}

static int
account_key_rollover(struct session *s, const struct account_args *a,
    struct err *e)
{
	enum key_type type = KEY_EC256;
	int rc;

	/* check_rules() has already refused an unknown type. */
	if (a->key_type != NULL)
		(void)key_type_parse(a->key_type, &type);
	/* The new key's own process loads or makes it, never this one. */
	rc = account_rollover(s->account, s->acme, a->new_key_path, type, e);
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
	unsigned	 signs;		/* KEYPROC_ALLOW_* beyond ordering */
	unsigned	 options;	/* the OPT_ bits that apply */
	int		(*run)(struct session *, const struct account_args *,
			    struct err *);
} account_commands[] = {
	{ "show",	false,	0,	0,		account_show },
	{ "new",	true,	KEYPROC_ALLOW_UPDATE, OPT_AGREE | OPT_CONTACT |
			    OPT_EABKID | OPT_EABKEY | OPT_EABFILE, account_new },
	{ "update",	false,	KEYPROC_ALLOW_UPDATE, OPT_CONTACT,
					account_update },
	{ "rollover",	false,	KEYPROC_ALLOW_KEY_CHANGE,
			    OPT_KEYTYPE | OPT_NEWKEY, account_key_rollover },
	{ "deactivate",	false,	KEYPROC_ALLOW_DEACTIVATE, OPT_YES,
					account_deactivate },
};
#define NCOMMANDS (sizeof(account_commands) / sizeof(account_commands[0]))

void
cmd_account_usage(FILE *out)
{
	fprintf(out,
	    "usage: acmec [global options] account show\n"
	    "       acmec [global options] account new --agree-tos\n"
	    "             [--contact mailto:ADDR ...] "
	    "[--eab-kid ID\n"
	    "             [--eab-hmac-key-file FILE | --eab-hmac-key KEY]]\n"
	    "       acmec [global options] account update "
	    "[--contact mailto:ADDR ...]\n"
	    "       acmec [global options] account rollover\n"
	    "             [--key-type TYPE | --new-key FILE]\n"
	    "       acmec [global options] account deactivate --yes\n"
	    "TYPE: ec-256 (the default), ec-384, rsa-2048, rsa-3072, "
	    "rsa-4096\n");
	usage_options(out, "commands", (const struct usage_option[]){
	    { "show", "print the account's URL, status, contacts, key" },
	    { "new", "create the account (and its key if there is none)" },
	    { "update", "replace the contacts (none given: remove them)" },
	    { "rollover", "replace the account key: a new one, or FILE's" },
	    { "deactivate", "deactivate the account; cannot be undone" },
	    { NULL, NULL } });
	usage_options(out, "options", (const struct usage_option[]){
	    { "--agree-tos", "agree to the CA's terms of service" },
	    { "--contact mailto:ADDR", "a contact (repeat for more)" },
	    { "--eab-kid ID", "external account binding key identifier" },
	    { "--eab-hmac-key-file FILE", "read its HMAC key from FILE" },
	    { "--eab-hmac-key KEY", "the HMAC key (visible in ps: prefer "
		"the file)" },
	    { "--key-type TYPE", "the type of the new account key" },
	    { "--new-key FILE", "the new account key (PEM)" },
	    { "--yes", "confirm a deactivation" },
	    { "-h, --help", "print this and exit" },
	    { NULL, NULL } });
}

/* Remember the value of option c.  0, or a usage error (printed). */
static int
take_option(const char *context, int c, const char *value,
    struct account_args *a)
{
	const char **slot = NULL, *name = NULL;

	for (size_t i = 0; longopts[i].name != NULL; i++)
		if (longopts[i].val == c)
			name = longopts[i].name;
	if (c == OPT_CONTACT) {
		if (a->ncontacts == ACCOUNT_MAX_CONTACTS)
			return usage_error("account", "%s: at most %d "
			    "--contact options", context,
			    ACCOUNT_MAX_CONTACTS);
		a->contacts[a->ncontacts++] = value;
	} else if (c == OPT_EABKID)
		slot = &a->eab_kid;
	else if (c == OPT_EABKEY)
		slot = &a->eab_hmac_key;
	else if (c == OPT_EABFILE)
		slot = &a->eab_key_file;
	else if (c == OPT_NEWKEY)
		slot = &a->new_key_path;
	else if (c == OPT_KEYTYPE)
		slot = &a->key_type;
	if (slot != NULL && *slot != NULL)
		return usage_error("account", "%s: --%s given twice; give it "
		    "once", context, name);
	if (slot != NULL)
		*slot = value;
	a->given |= (unsigned)c;
	return 0;
}

/* "account new and account update": the commands where opt applies. */
static void
applies_to(unsigned opt, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < NCOMMANDS && used < size; i++)
		if (account_commands[i].options & opt)
			used += (size_t)snprintf(buf + used, size - used,
			    "%saccount %s", used ? " and " : "",
			    account_commands[i].name);
}

/* Options given that do not apply to cmd are refused, not ignored. */
static int
check_applies(const struct account_command *cmd, const struct account_args *a)
{
	unsigned extra = a->given & ~cmd->options;
	char where[64];

	for (size_t i = 0; extra != 0 && longopts[i].name != NULL; i++) {
		if (longopts[i].val < OPT_CONTACT ||
		    !(extra & (unsigned)longopts[i].val))
			continue;
		applies_to((unsigned)longopts[i].val, where, sizeof(where));
		return usage_error("account", "account %s: --%s applies to %s "
		    "only", cmd->name, longopts[i].name, where);
	}
	return 0;
}

/* What each command needs, beyond the options that apply to it. */
static int
check_rules(const struct account_command *cmd, const struct account_args *a)
{
	enum key_type type;
	struct err e = { "" };

	/* Before anything is written or sent. */
	for (size_t i = 0; i < a->ncontacts; i++)
		if (contact_check(a->contacts[i], &e) == -1)
			return usage_error("account", "%s", e.msg);
	if (cmd->options & OPT_AGREE && !(a->given & OPT_AGREE))
		return usage_error("account", "account %s needs --agree-tos "
		    "(read the CA's terms of service first)", cmd->name);
	if (cmd->options & OPT_YES && !(a->given & OPT_YES))
		return usage_error("account", "account %s cannot be undone; "
		    "add --yes to confirm", cmd->name);
	if (a->eab_hmac_key != NULL && a->eab_key_file != NULL)
		return usage_error("account", "account %s: --eab-hmac-key and "
		    "--eab-hmac-key-file exclude each other", cmd->name);
	if (a->eab_kid == NULL && (a->eab_hmac_key != NULL ||
	    a->eab_key_file != NULL))
		return usage_error("account", "account %s: --eab-kid and "
		    "--eab-hmac-key go together; give both", cmd->name);
	if (a->eab_kid != NULL && a->eab_hmac_key == NULL &&
	    a->eab_key_file == NULL && getenv(EAB_KEY_ENV) == NULL)
		return usage_error("account", "account %s: --eab-kid needs the "
		    "HMAC key: --eab-hmac-key-file FILE, " EAB_KEY_ENV " in the "
		    "environment, or --eab-hmac-key KEY", cmd->name);
	if (a->key_type != NULL && a->new_key_path != NULL)
		return usage_error("account", "account %s: --key-type and "
		    "--new-key exclude each other", cmd->name);
	if (a->key_type != NULL && key_type_parse(a->key_type, &type) == -1)
		return usage_error("account", "account %s: unknown --key-type "
		    "%s (ec-256, ec-384, rsa-2048, rsa-3072 or rsa-4096)",
		    cmd->name, a->key_type);
	return 0;
}

/* argv[0] is cmd's name.  0, or a usage error (printed). */
static int
parse_account_args(const struct account_command *cmd, int argc, char **argv,
    struct account_args *a)
{
	char context[32];
	int c, rc;

	snprintf(context, sizeof(context), "account %s", cmd->name);
	opterr = 0;	/* our messages, not getopt's */
	optind = 0;	/* glibc: also reset its permutation state */
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c == '?' || c == ':')
			return usage_bad_option("account", context, c, argv);
		if (optarg != NULL && optarg[0] == '\0')
			return usage_empty_value("account", context, argv);
		if (c == 'h') {
			a->help = true;
			return 0;
		}
		if ((rc = take_option(context, c, optarg, a)) != 0)
			return rc;
	}
	if (optind != argc)
		return usage_error("account", "%s: unexpected argument %s",
		    context, argv[optind]);
	if ((rc = check_applies(cmd, a)) != 0)
		return rc;
	return check_rules(cmd, a);
}

static const struct account_command *
find_account_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(name, account_commands[i].name) == 0)
			return &account_commands[i];
	return NULL;
}

int
cmd_account(const struct config *cfg, int argc, char **argv)
{
	const struct account_command *cmd;
	struct account_args a = { 0 };
	struct session s;
	struct err e = { "" };
	char *eab_key = NULL;
	int rc;

	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && (strcmp(argv[1], "-h") == 0 ||
		    strcmp(argv[1], "--help") == 0)) {
			cmd_account_usage(stdout);
			return EXIT_OK;
		}
		return usage_error("account", "account needs a command first: "
		    "show, new, update, rollover or deactivate");
	}
	if ((cmd = find_account_command(argv[1])) == NULL)
		return usage_error("account", "unknown account command %s "
		    "(show, new, update, rollover or deactivate)", argv[1]);
	if ((rc = parse_account_args(cmd, argc - 1, argv + 1, &a)) != 0)
		return rc;
	if (a.help) {
		cmd_account_usage(stdout);
		return EXIT_OK;
	}
	if (a.eab_kid != NULL && eab_key_get(a.eab_hmac_key, a.eab_key_file,
	    &eab_key, &e) == -1) {
		log_error("account %s: %s", cmd->name, e.msg);
		return EXIT_FAIL;
	}
	if (eab_key != NULL)
		a.eab_hmac_key = eab_key;
	session_init(&s);
	rc = open_account_session(&s, cfg, &a, cmd->create, cmd->signs, &e);
	if (rc == 0)
		rc = cmd->run(&s, &a, &e);
	if (rc == -1)
		log_error("account %s: %s", cmd->name, e.msg);
	session_close(&s);
	eab_key_free(eab_key);
	return rc == 0 ? EXIT_OK : EXIT_FAIL;
}
