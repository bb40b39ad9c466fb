/*
 * webroot.h - the webroot challenge sink: http-01 responses as files
 * under WEBROOT/.well-known/acme-challenge/, which the web server serves.
 * The only module that writes there.
 */
#ifndef ACMEC_WEBROOT_H
#define ACMEC_WEBROOT_H

#include "challenge.h"
#include "err.h"

/*
 * A sink of kind "webroot" (see challenge.h).  Nothing is looked at yet:
 * challenge_sink_check() makes sure webroot is a directory we may write
 * to, and creates .well-known/acme-challenge (0755) if missing.  Files
 * are 0644 and directories 0755 whatever the umask, written atomically,
 * and never through a symbolic link below webroot (acmec may run as
 * root in a directory others own).  New sink, or NULL (out of memory).
 */
struct challenge_sink *webroot_sink_new(const char *webroot, struct err *e);

#endif
