/* TEMPORARY */
#ifndef ACMEC_WEBROOT_H
#define ACMEC_WEBROOT_H
#include "challenge.h"
struct challenge_sink *webroot_sink_new(const char *webroot, struct err *e);
#endif
