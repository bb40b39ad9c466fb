/*
 * netproc.h - the network process: libcurl, OpenSSL's TLS and nghttp2,
 * which parse what the network sends, in a process of their own that
 * holds no key, may open no file for writing and starts no program.
 *
 * main() forks it before acmec reads any key or secret, so its memory
 * never held one.  It waits until session_connect configures it (the
 * options are known only once the config file is read), then makes its
 * libcurl handle, enters the sandbox's network profile and runs the
 * requests the parent sends it, over one connection to the CA.  To the
 * rest of acmec it is a transport (http.h) like any other.
 */
#ifndef ACMEC_NETPROC_H
#define ACMEC_NETPROC_H

#include "err.h"
#include "http.h"
#include "sandbox.h"

struct netproc;

/* Fork the network process, idle until configured; new, or NULL. */
struct netproc *netproc_start(struct err *e);

/*
 * Have it make its transport with opts (opts->interrupted is the
 * parent's) and enter its sandbox as mode says; once: later calls return
 * at once.  -1 with its reason (a --ca-bundle it cannot read, a layer
 * SANDBOX_REQUIRE misses).  -v prints what it gave up ("network
 * process: ...").
 */
int netproc_configure(struct netproc *np, const struct http_options *opts,
    enum sandbox_mode mode, struct err *e);

/* np as a transport, once configured; np stays the caller's. */
struct transport netproc_transport(struct netproc *np);

/*
 * For tests and the fuzzer, which play the network process: the parent's
 * side over fd (taken, closed by netproc_free), configured already.
 */
struct netproc *netproc_adopt(int fd, struct err *e);

/* End the process (requests in flight are dropped) and free np. */
void netproc_free(struct netproc *np);

#endif
