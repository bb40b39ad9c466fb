/*
 * mcsink.h - the memcached challenge sink: http-01 responses kept in one
 * or more memcached servers, for names served by many web servers that
 * answer /.well-known/acme-challenge/ from memcached (nginx's
 * memcached_pass; contrib/nginx/acme-challenge-memcached.conf).  The only
 * module that talks to memcached.
 *
 * Optional: built with libmemcached (configure --with-memcached, the
 * default when pkg-config finds it).  Without it, mcsink_new() fails and
 * says so; the other functions work in every build.
 */
#ifndef ACMEC_MCSINK_H
#define ACMEC_MCSINK_H

#include <stdbool.h>
#include <stddef.h>

#include "challenge.h"
#include "err.h"

/* The request URI of a response: nginx looks it up with $uri as key. */
#define MCSINK_KEY_PREFIX	"/.well-known/acme-challenge/"
/* memcached's longest key (text protocol), and so the longest token. */
#define MCSINK_KEY_MAX		250
#define MCSINK_TOKEN_MAX	(MCSINK_KEY_MAX - \
				    (int)(sizeof(MCSINK_KEY_PREFIX) - 1))

/* Seconds an entry lives in memcached; see mcsink.c for why. */
#define MCSINK_TTL		(9 * 60 * 60)

/* What a build without libmemcached says when asked for the sink. */
#define MCSINK_UNAVAILABLE	"acmec was built without memcached support " \
				    "(configure --with-memcached)"

/* Was acmec built with libmemcached? */
bool mcsink_available(void);

/*
 * Is server "HOST:PORT" ("[ADDR]:PORT" for an IPv6 address; PORT 1 to
 * 65535)?  Looks only at the text, connects nowhere.  On -1 the message
 * starts with server ("localhost: no port; ...") so that callers can put
 * the option or config key in front.
 */
int mcsink_server_check(const char *server, struct err *e);

/*
 * Write the memcached key of token, MCSINK_KEY_PREFIX TOKEN, to key (len
 * bytes, at least MCSINK_KEY_MAX + 1).  -1 if token is not base64url of
 * at most MCSINK_TOKEN_MAX characters: it comes from the CA and becomes
 * part of a memcached command line.
 */
int mcsink_key(const char *token, char *key, size_t len, struct err *e);

/*
 * A sink of kind "memcached" (see challenge.h) for servers, a
 * NULL-terminated list of at least one "HOST:PORT" (copied).  Every
 * response is stored on EVERY server, one connection each: the web
 * servers' memcached_pass does not hash keys the way client libraries do,
 * so each web server finds the responses in whichever server it asks.
 *
 * Nothing is connected yet: challenge_sink_check() stores, reads back and
 * deletes a probe key on every server, and names every server that does
 * not answer ("memcached 127.0.0.1:11211: connection refused ...;
 * nothing was ordered").  put stores the key authorization under
 * mcsink_key(token) for MCSINK_TTL seconds on every server; if one
 * fails, the others are deleted again.  remove deletes it everywhere
 * (best effort).  Every request waits at most 5 seconds.
 *
 * New sink, or NULL: a server that is not HOST:PORT, an empty list, out
 * of memory, or a build without libmemcached (MCSINK_UNAVAILABLE); e
 * says which.
 */
struct challenge_sink *mcsink_new(const char *const *servers, struct err *e);

#endif
