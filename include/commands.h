/*
 * commands.h - the sub-commands of acmec.  Each parses its own options
 * (argv[0] is the sub-command's name) and returns an exit status; each
 * prints its usage to out for "acmec help COMMAND" and "COMMAND --help".
 * A usage error is one line that says what is wrong (usage_error() in
 * usage.h), not the whole usage.
 */
#ifndef ACMEC_COMMANDS_H
#define ACMEC_COMMANDS_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "err.h"

#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2

int cmd_issue(const struct config *cfg, int argc, char **argv);
int cmd_account(const struct config *cfg, int argc, char **argv);
int cmd_revoke(const struct config *cfg, int argc, char **argv);
int cmd_renew(const struct config *cfg, int argc, char **argv);
int cmd_status(const struct config *cfg, int argc, char **argv);

void cmd_issue_usage(FILE *out);
void cmd_account_usage(FILE *out);
void cmd_revoke_usage(FILE *out);
void cmd_renew_usage(FILE *out);
void cmd_status_usage(FILE *out);

/*
 * RFC 5280 reason code of a --reason name ("keyCompromise" -> 1); -1 if
 * unknown.
 */
int revoke_reason_parse(const char *name);

/*
 * Note a revocation in STATE_DIR/revoked/SERIAL (JSON, 0600) so that
 * renewal treats the certificate as due.  reason -1: none was sent.
 * Exposed for tests.
 */
int revoke_record(const struct config *cfg, const char *serial,
    const char *cert_path, int reason, struct err *e);

/*
 * Revoke the certificate in cert_path, signed with the certificate key in
 * key_path or (NULL) the account key; an alreadyRevoked answer counts as
 * done.  With keyCompromise the key is recorded as retired (retired.h).
 */
int revoke_certificate(const struct config *cfg, const char *cert_path,
    const char *key_path, int reason, struct err *e);

/*
 * "acmec revoke SECTION|OUTDIR" (cmd_revoke_leak.c): a certificate of
 * the config at conf_path (NULL: the default).  An exit status.
 */
int revoke_managed(const struct config *cfg, const char *conf_path,
    const char *target, int reason, bool no_replace);

#endif
