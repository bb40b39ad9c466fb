/*
 * certkeyproc.h - the certificate keys of a run in a process of their own.
 *
 * The engine forks it once it knows the names of every job, so that the
 * child holds its own copy of them, taken before anything was asked of
 * the CA.  It generates or reads each job's key, makes the CSR for that
 * job's names only, writes a key into a file the caller opened for it,
 * and sends back nothing but public halves and CSRs.  It opens no file:
 * each file comes as a descriptor with the request (SCM_RIGHTS), so the
 * process that parses what the CA sends never holds a certificate key,
 * not even while it writes privkey.pem.
 */
#ifndef ACMEC_CERTKEYPROC_H
#define ACMEC_CERTKEYPROC_H

#include <stddef.h>

#include <openssl/evp.h>

#include "err.h"
#include "key.h"
#include "names.h"
#include "sandbox.h"

/* A request takes milliseconds, a new RSA key seconds (minutes under valgrind). */
#define CERTKEYPROC_TIMEOUT	300

struct certkeyproc;

/*
 * Fork the process for n jobs, names[i] the names job i may have a CSR
 * for (NULL: none, such as a user's CSR); it enters the sandbox's compute
 * profile as sandbox says.  NULL with *e on failure.
 */
struct certkeyproc *certkeyproc_start(const struct names *const *names,
    size_t n, enum sandbox_mode sandbox, struct err *e);

/*
 * For the fuzzer, which plays the process: the parent's side over fd
 * (taken, closed by certkeyproc_free).
 */
struct certkeyproc *certkeyproc_adopt(int fd, struct err *e);

/* Ends the process and every key it holds. */
void certkeyproc_free(struct certkeyproc *p);

/*
 * Job job's key, from the PEM file open at fd (what names it in
 * messages), or new of type when fd is -1, replacing any it held; *csr
 * (new, base64url DER) for the job's names, *pub (new) its public half.
 */
int certkeyproc_open(struct certkeyproc *p, size_t job, int fd,
    const char *what, enum key_type type, EVP_PKEY **pub, char **csr,
    struct err *e);

/*
 * Write job job's key as PEM into the empty regular file open for writing
 * at fd; the caller syncs and names it.
 */
int certkeyproc_write(struct certkeyproc *p, size_t job, int fd,
    struct err *e);

/* Forget job job's key (a job that is over). */
void certkeyproc_close(struct certkeyproc *p, size_t job);

/* The public half of the key in the PEM file open at fd (not kept). */
EVP_PKEY *certkeyproc_peek(struct certkeyproc *p, int fd, const char *what,
    struct err *e);

/*
 * A new key of type, written as PEM into the empty file open at fd and
 * not kept; its public half.
 */
EVP_PKEY *certkeyproc_make(struct certkeyproc *p, enum key_type type, int fd,
    struct err *e);

/*
 * The child's side, in this process: answer requests on fd for n jobs of
 * names until the peer closes or breaks protocol.  For the fuzzer; the
 * process certkeyproc_start forks runs it once sandboxed.
 */
void certkeyproc_serve(int fd, const struct names *const *names, size_t n);

#endif
