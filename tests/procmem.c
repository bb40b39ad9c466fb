/*
 * procmem.c - what an attacker who took over a process could read of its
 * memory, for tests/integration-privsep.sh.
 *
 *	procmem dump PID FILE		copy every readable region of PID's
 *					memory (/proc/PID/maps, /proc/PID/mem)
 *					into FILE, created 0600; regions that
 *					cannot be read ([vvar]) are skipped
 *	procmem find FILE KEY.pem...	is any of the keys' private parts in
 *					FILE?  One line per part searched
 *
 * The parts searched for each key: its private numbers (EC "priv", RSA
 * "d", "rsa-factor1", "rsa-factor2"), both big-endian, as in DER and as
 * BN_bn2bin gives them, and little-endian, as a BIGNUM's limbs hold them
 * in memory on the machines we run on; or its raw private key (Ed25519,
 * X25519, ...); and the first line of its PEM text.
 *
 * A region larger than MAX_REGION is address space reserved, not memory
 * used (AddressSanitizer's shadow is 14 TiB): it is skipped, and said.
 * A megabyte of zeros is written as a kilobyte of them, which keeps any
 * byte string up to a kilobyte that runs into or out of it whole.
 *
 * Exit status: dump 0, or 2 if nothing could be read; find 0 if no part
 * of any key is in FILE, 1 if one is, 2 on an error (a key that does not
 * load, a part that cannot be had).  Reading another user's /proc/PID/mem
 * takes root (CAP_SYS_PTRACE).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memmem */
#endif
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#define CHUNK		(1024 * 1024)
#define ZEROS		1024
#define MAX_REGION	(1024ULL * 1024 * 1024)

static int
usage(void)
{
	fprintf(stderr, "usage: procmem dump PID FILE\n"
	    "       procmem find FILE KEY.pem...\n");
	return 2;
}

static int
all_zero(const char *p, size_t n)
{
	return n > 0 && p[0] == 0 && memcmp(p, p + 1, n - 1) == 0;
}

/*
 * Copy [start, end) of mem into out: the bytes read, -1 if none could be
 * (skipped), -2 if out cannot be written.
 */
static long long
copy_region(int mem, int out, uint64_t start, uint64_t end, char *buf)
{
	uint64_t at;
	long long copied = 0;
	ssize_t n, keep;

	for (at = start; at < end; at += (uint64_t)n) {
		size_t want = end - at < CHUNK ? (size_t)(end - at) : CHUNK;

		if ((n = pread(mem, buf, want, (off_t)at)) <= 0)
			return copied > 0 ? copied : -1;
		keep = n > ZEROS && all_zero(buf, (size_t)n) ? ZEROS : n;
		if (write(out, buf, (size_t)keep) != keep)
			return -2;
		copied += n;
	}
	return copied;
}

static int
dump(const char *pid, const char *path)
{
	char name[64], line[4096], perms[8], *buf = NULL;
	uint64_t start, end;
	long long n, total = 0;
	int mem = -1, out = -1, regions = 0, skipped = 0, rc = 2;
	FILE *maps = NULL;

	snprintf(name, sizeof name, "/proc/%s/maps", pid);
	if ((maps = fopen(name, "r")) == NULL) {
		fprintf(stderr, "procmem: %s: %s\n", name, strerror(errno));
		goto out;
	}
	snprintf(name, sizeof name, "/proc/%s/mem", pid);
	if ((mem = open(name, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "procmem: %s: %s\n", name, strerror(errno));
		goto out;
	}
	if ((out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		fprintf(stderr, "procmem: %s: %s\n", path, strerror(errno));
		goto out;
	}
	if ((buf = malloc(CHUNK)) == NULL) {
		fprintf(stderr, "procmem: out of memory\n");
		goto out;
	}
	while (fgets(line, sizeof line, maps) != NULL) {
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s", &start, &end,
		    perms) != 3 || perms[0] != 'r')
			continue;
		regions++;
		if (end - start > MAX_REGION) {
			printf("procmem: %s: skipped %" PRIx64 "-%" PRIx64
			    " (%" PRIu64 " MiB: reserved, not used)\n", pid,
			    start, end, (end - start) >> 20);
			skipped++;
			continue;
		}
		if ((n = copy_region(mem, out, start, end, buf)) == -2) {
			fprintf(stderr, "procmem: %s: %s\n", path,
			    strerror(errno));
			goto out;
		}
		if (n < 0)
			skipped++;
		else
			total += n;
	}
	printf("procmem: %s: %d readable regions, %d skipped, %lld bytes\n",
	    pid, regions, skipped, total);
	if (total > 0)
		rc = 0;
	else
		fprintf(stderr, "procmem: nothing of %s could be read\n", pid);
out:
	free(buf);
	if (maps != NULL)
		fclose(maps);
	if (mem != -1)
		close(mem);
	if (out != -1 && close(out) == -1)
		rc = 2;
	return rc;
}

struct haystack {
	const unsigned char	*p;
	size_t			 len;
};

/* Say whether the n bytes at needle are in h; 1 if found, 0 if not. */
static int
search(const struct haystack *h, const char *key, const char *what,
    const void *needle, size_t n)
{
	const unsigned char *at;

	at = h->len > 0 ? memmem(h->p, h->len, needle, n) : NULL;
	if (at != NULL)
		printf("%s: %s (%zu bytes): FOUND at offset %td\n", key, what,
		    n, at - h->p);
	else
		printf("%s: %s (%zu bytes): not found\n", key, what, n);
	return at != NULL;
}

/* One private number, both byte orders: 1 found, 0 not, -1 error. */
static int
search_bn(const struct haystack *h, const char *key, const char *name,
    const BIGNUM *bn)
{
	unsigned char *bytes;
	char what[64];
	int n = BN_num_bytes(bn), found = 0;

	if (n <= 0 || (bytes = malloc((size_t)n)) == NULL)
		return -1;
	BN_bn2bin(bn, bytes);
	snprintf(what, sizeof what, "%s big-endian", name);
	found |= search(h, key, what, bytes, (size_t)n);
	BN_bn2lebinpad(bn, bytes, n);
	snprintf(what, sizeof what, "%s little-endian", name);
	found |= search(h, key, what, bytes, (size_t)n);
	OPENSSL_clear_free(bytes, (size_t)n);
	return found;
}

/* The first line of base64 after the BEGIN line of the PEM at path. */
static int
search_pem_line(const struct haystack *h, const char *path)
{
	char line[256];
	int begun = 0, found = -1;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (begun && line[0] != '\0' && strchr(line, ':') == NULL) {
			found = search(h, path, "first PEM line", line,
			    strlen(line));
			break;
		}
		if (strncmp(line, "-----BEGIN ", 11) == 0)
			begun = 1;
	}
	fclose(f);
	return found;
}

/* Every private part of the key at path: 1 one found, 0 none, -1 error. */
static int
search_key(const struct haystack *h, const char *path)
{
	static const char *const numbers[] = { OSSL_PKEY_PARAM_PRIV_KEY,
	    OSSL_PKEY_PARAM_RSA_D, OSSL_PKEY_PARAM_RSA_FACTOR1,
	    OSSL_PKEY_PARAM_RSA_FACTOR2 };
	EVP_PKEY *pkey = NULL;
	BIGNUM *bn;
	unsigned char raw[256];
	size_t i, rawlen = sizeof raw;
	int parts = 0, found = 0, r;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "procmem: %s: %s\n", path, strerror(errno));
		return -1;
	}
	pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (pkey == NULL) {
		fprintf(stderr, "procmem: %s: not a private key\n", path);
		return -1;
	}
	for (i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
		bn = NULL;
		if (EVP_PKEY_get_bn_param(pkey, numbers[i], &bn) != 1)
			continue;
		r = search_bn(h, path, numbers[i], bn);
		BN_clear_free(bn);
		if (r == -1)
			goto fail;
		found |= r;
		parts++;
	}
	if (parts == 0) {
		if (EVP_PKEY_get_raw_private_key(pkey, raw, &rawlen) != 1)
			goto fail;
		found |= search(h, path, "raw private key", raw, rawlen);
		OPENSSL_cleanse(raw, sizeof raw);
	}
	if ((r = search_pem_line(h, path)) == -1)
		goto fail;
	EVP_PKEY_free(pkey);
	return found | r;
fail:
	fprintf(stderr, "procmem: %s: cannot get its private parts\n", path);
	EVP_PKEY_free(pkey);
	return -1;
}

static int
find(const char *path, char **keys, int nkeys)
{
	struct haystack h = { NULL, 0 };
	struct stat st;
	void *map = MAP_FAILED;
	int fd, i, r, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		fprintf(stderr, "procmem: %s: %s\n", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return 2;
	}
	if (st.st_size > 0 && (map = mmap(NULL, (size_t)st.st_size,
	    PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED) {
		fprintf(stderr, "procmem: %s: %s\n", path, strerror(errno));
		close(fd);
		return 2;
	}
	close(fd);
	if (map != MAP_FAILED) {
		h.p = map;
		h.len = (size_t)st.st_size;
	}
	for (i = 0; i < nkeys; i++) {
		if ((r = search_key(&h, keys[i])) == -1)
			rc = 2;
		else if (r == 1 && rc == 0)
			rc = 1;
	}
	if (map != MAP_FAILED)
		munmap(map, (size_t)st.st_size);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "dump") == 0)
		return dump(argv[2], argv[3]);
	if (argc >= 4 && strcmp(argv[1], "find") == 0)
		return find(argv[2], argv + 3, argc - 3);
	return usage();
}
