/*
 * fuzz_certkeyproc.c - the messages of the certificate key process.  The
 * first byte says which side is fuzzed.  Bit 2 clear: a request from a
 * main process a hostile CA took over, the rest its body, as the key
 * process reads and checks it, with a descriptor as bits 0 (a file
 * holding an EC key) and 1 (an empty file to write) say.  Bit 2 set: the
 * rest is the key process's answer to an "open" (bit 0 clear: the body
 * of an IPC_KEY_ANSWER, set: a whole packet), as the main process reads
 * and checks it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/mman.h>
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "certkeyproc.h"
#include "fuzz.h"
#include "ipc.h"
#include "key.h"

/* A memory file holding text (NULL: empty); -1 if none could be made. */
static int
memory_file(const char *text)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd != -1 && text != NULL &&
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The PEM of one EC key, made once. */
static const char *
key_pem(void)
{
	static char *pem;
	struct err e;
	EVP_PKEY *key;

	if (pem == NULL && (key = key_generate(KEY_EC256, &e)) != NULL) {
		pem = key_to_pem(key, &e);
		EVP_PKEY_free(key);
	}
	return pem;
}

/* The main process reads an answer to its "open" request. */
static void
fuzz_answer(int sv[2], const uint8_t *data, size_t size)
{
	struct certkeyproc *p;
	struct err e = { "" };
	EVP_PKEY *pub;
	char *csr;

	if (data[0] & 1) {
		if (send(sv[1], data + 1, size - 1, 0) != (ssize_t)(size - 1))
			return;
	} else if (ipc_send(sv[1], "the parent", IPC_KEY_ANSWER, data + 1,
	    size - 1, &e) == -1)
		return;
	if ((p = certkeyproc_adopt(sv[0], &e)) == NULL)
		return;
	sv[0] = -1;
	if (certkeyproc_open(p, 0, -1, "a new key", KEY_EC256, &pub, &csr,
	    &e) == 0) {
		EVP_PKEY_free(pub);
		free(csr);
	}
	certkeyproc_free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct names names;
	const struct names *jobs[2] = { &names, NULL };
	struct err e = { "" };
	struct ipc_msg *m;
	int sv[2], fd = -1;

	/* Making an RSA key takes seconds and parses nothing. */
	if (size < 1 || size - 1 > IPC_MAX_BODY ||
	    memmem(data, size, "rsa", 3) != NULL ||
	    (names.n == 0 && names_add(&names, "a.example.org") == -1) ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1)
		return 0;
	if (data[0] & 4) {
		fuzz_answer(sv, data, size);
		if (sv[0] != -1)
			close(sv[0]);
		close(sv[1]);
		return 0;
	}
	if (data[0] & 1)
		fd = memory_file(key_pem());
	else if (data[0] & 2)
		fd = memory_file(NULL);
	if (ipc_send_fd(sv[0], "the child", IPC_KEY_REQUEST, data + 1,
	    size - 1, fd, &e) == 0) {
		(void)shutdown(sv[0], SHUT_WR);
		certkeyproc_serve(sv[1], jobs, 2);
	}
	close(sv[1]);
	while ((m = ipc_recv(sv[0], "the child", &e)) != NULL)
		ipc_msg_free(m);
	if (fd != -1)
		close(fd);
	close(sv[0]);
	return 0;
}
