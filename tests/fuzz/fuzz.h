/*
 * fuzz.h - what the libFuzzer harnesses under tests/fuzz/ share.
 *
 * Each fuzz_*.c defines LLVMFuzzerTestOneInput for one parser fed by the
 * network or the user.  Built with --enable-fuzzing they link libFuzzer;
 * otherwise driver.c gives them a main that runs every file of their seed
 * corpus once, so `make check` keeps them compiling and passing.
 */
#ifndef ACMEC_FUZZ_H
#define ACMEC_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "acme.h"
#include "../answer_queue.h"
#include "signer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* data as a NUL-terminated string (embedded NULs kept); new, or NULL. */
char *fuzz_strndup(const uint8_t *data, size_t size);

/*
 * Write data to a file in a private temporary directory made once per
 * process, and return its path (borrowed, the same on every call).
 */
const char *fuzz_write_file(const uint8_t *data, size_t size);

/* An EC P-256 key made once per process (borrowed). */
EVP_PKEY *fuzz_key(void);
/* fuzz_key() as a signer, made once (borrowed). */
const struct signer *fuzz_signer(void);

/* ------------------------------------------------- a CA answering data */

#define FUZZ_CA		"https://ca.test"

/*
 * The answers of a scripted CA: GET FUZZ_CA/directory gets a fixed
 * directory (or body, if directory_body), HEAD newNonce a nonce, and
 * every POST gets post_status with body, a Location, a Replay-Nonce and
 * retry_after (if not NULL).
 */
struct fuzz_ca {
	const char	*body;
	size_t		 len;
	int		 directory_body;
	long		 post_status;
	const char	*retry_after;
	struct answer_queue answers;	/* the transport's, handed over on wait */
};

/* A struct acme talking to ca; NULL if the directory is refused. */
struct acme *fuzz_acme_new(struct fuzz_ca *ca);
/* The account who signs (a kid, fuzz_signer()). */
struct acme_who fuzz_who(void);

#endif
