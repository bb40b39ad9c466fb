/*
 * fuzz_certkeyproc.c - a request to the certificate key process from a
 * main process a hostile CA took over: the first byte says which
 * descriptor goes with it (bit 0: a file holding an EC key, bit 1: an
 * empty file to write), the rest is the request body, as the process
 * reads and checks it.
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
