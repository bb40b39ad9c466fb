/*
 * certkeyproc.c - the process that holds a run's certificate keys.
 *
 * What the child can trust: the names of each job, copied by the fork
 * before the CA was asked anything.  A request names a job by its index,
 * never its names, so a parent taken over by a hostile CA could get a CSR
 * only for names this run was started for, and the key itself never.
 * Every file comes as a descriptor: the child opens nothing, and reads or
 * writes only regular files of bounded size.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "b64url.h"
#include "certkeyproc.h"
#include "child.h"
#include "csr.h"
#include "ipc.h"
#include "log.h"
#include "store.h"

#define PARENT	"the parent process"
#define CHILD	"the certificate key process"
#define KEY_FILE_MAX	(64 * 1024)	/* an RSA-4096 PEM is 3.3 KiB */

struct certkeyproc {
	int	fd;
	pid_t	pid;
};

/* The child's state: the names it was forked with, the keys it holds. */
struct held {
	const struct names *const	*names;
	size_t				 n;
	EVP_PKEY			**keys;
};

/* The key in the regular file at fd, of at most KEY_FILE_MAX bytes. */
static EVP_PKEY *
read_key_fd(int fd, const char *what, struct err *e)
{
	char buf[KEY_FILE_MAX];
	EVP_PKEY *key = NULL;
	struct stat st;
	size_t len = 0;
	ssize_t got;

	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > KEY_FILE_MAX) {
		err_set(e, "%s is not a regular file of at most %d bytes", what,
		    KEY_FILE_MAX);
		return NULL;
	}
	while (len < sizeof(buf) &&
	    (got = pread(fd, buf + len, sizeof(buf) - len, (off_t)len)) > 0)
		len += (size_t)got;
	key = key_from_pem(buf, len, what, e);
	OPENSSL_cleanse(buf, len);
	return key;
}

/* key as PEM into fd, which must be an empty regular file open to write. */
static int
write_key_fd(EVP_PKEY *key, int fd, struct err *e)
{
	struct stat st;
	char *pem;
	int flags, rc = -1;

	flags = fcntl(fd, F_GETFL);
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size != 0 ||
	    flags == -1 || (flags & O_ACCMODE) == O_RDONLY) {
		err_set(e, "refused to write a key: not an empty file open for "
		    "writing");
		return -1;
	}
	if ((pem = key_to_pem(key, e)) == NULL)
		return -1;
	if (store_write_all(fd, pem, strlen(pem)) == 0)
		rc = 0;
	else
		err_errno(e, "cannot write the key");
	OPENSSL_cleanse(pem, strlen(pem));
	free(pem);
	return rc;
}

/* {"spki": base64url DER} of key, and with names {"csr": ...}. */
static json_t *
describe(EVP_PKEY *key, const struct names *names, struct err *e)
{
	unsigned char *der = NULL;
	char *spki = NULL, *csr = NULL;
	X509_REQ *req = NULL;
	json_t *answer = NULL;
	int len;

	if ((len = i2d_PUBKEY(key, &der)) <= 0 ||
	    (spki = b64url_encode(der, (size_t)len)) == NULL)
		err_set(e, "cannot encode the public key");
	else if (names == NULL ||
	    ((req = csr_new(key, names, e)) != NULL &&
	    (csr = csr_to_b64url(req, e)) != NULL))
		answer = json_pack("{s:s, s:s*}", "spki", spki, "csr", csr);
	OPENSSL_free(der);
	free(spki);
	free(csr);
	X509_REQ_free(req);
	return answer;
}

/* The job a request names, if it is one with names; else -1. */
static long
job_of(const struct held *h, const json_t *req, struct err *e)
{
	json_int_t job = json_integer_value(json_object_get(req, "job"));

	if (!json_is_integer(json_object_get(req, "job")) || job < 0 ||
	    (size_t)job >= h->n || h->names[job] == NULL) {
		err_set(e, "refused: no job of this run has the index given");
		return -1;
	}
	return (long)job;
}

/* A new key of the type the request names. */
static EVP_PKEY *
new_key(const json_t *req, struct err *e)
{
	const char *name = json_string_value(json_object_get(req, "type"));
	enum key_type type;

	if (name == NULL || key_type_parse(name, &type) == -1) {
		err_set(e, "refused: no key type acmec makes was given");
		return NULL;
	}
	return key_generate(type, e);
}

/* "open": job's key from fd, or new; its public half and CSR. */
static json_t *
do_open(struct held *h, const json_t *req, int fd, const char *what,
    struct err *e)
{
	long job = job_of(h, req, e);
	EVP_PKEY *key;
	json_t *answer;

	if (job == -1)
		return NULL;
	key = fd != -1 ? read_key_fd(fd, what, e) : new_key(req, e);
	if (key == NULL)
		return NULL;
	if ((answer = describe(key, h->names[job], e)) == NULL) {
		EVP_PKEY_free(key);
		return NULL;
	}
	EVP_PKEY_free(h->keys[job]);
	h->keys[job] = key;
	return answer;
}

/* "make": a new key into fd, forgotten once written. */
static json_t *
do_make(const json_t *req, int fd, struct err *e)
{
	EVP_PKEY *key = new_key(req, e);
	json_t *answer = NULL;

	if (key != NULL && write_key_fd(key, fd, e) == 0)
		answer = describe(key, NULL, e);
	EVP_PKEY_free(key);
	return answer;
}

static json_t *
handle(struct held *h, const json_t *req, int fd, struct err *e)
{
	const char *op = json_string_value(json_object_get(req, "op"));
	const char *what = json_string_value(json_object_get(req, "what"));
	EVP_PKEY *key = NULL;
	json_t *answer = NULL;
	long job;

	if (what == NULL)
		what = "the key file";
	if (op == NULL)
		err_set(e, "refused: a request without an operation");
	else if (strcmp(op, "open") == 0)
		return do_open(h, req, fd, what, e);
	else if (strcmp(op, "make") == 0)
		return do_make(req, fd, e);
	else if (strcmp(op, "peek") == 0) {
		if ((key = read_key_fd(fd, what, e)) != NULL)
			answer = describe(key, NULL, e);
		EVP_PKEY_free(key);
	} else if ((job = job_of(h, req, e)) == -1)
		return NULL;
	else if (strcmp(op, "write") == 0) {
		if (h->keys[job] == NULL)
			err_set(e, "refused: the job holds no key to write");
		else if (write_key_fd(h->keys[job], fd, e) == 0)
			answer = json_object();
	} else if (strcmp(op, "close") == 0) {
		EVP_PKEY_free(h->keys[job]);
		h->keys[job] = NULL;
		answer = json_object();
	} else
		err_set(e, "refused: the unknown operation %.40s", op);
	return answer;
}

/* One request and its answer; -1 ends the process. */
static int
serve_one(int fd, struct held *h)
{
	struct err e = { "" };
	struct ipc_msg *m;
	json_t *req = NULL, *answer = NULL;
	char *text = NULL;
	int pass = -1, rc;

	if ((m = ipc_recv_fd(fd, PARENT, &pass, &e)) == NULL)
		return -1;
	if (m->type != IPC_KEY_REQUEST ||
	    (req = json_loadb((const char *)m->body, m->len, 0, NULL)) == NULL)
		err_set(&e, "refused: not a key request");
	else if ((answer = handle(h, req, pass, &e)) != NULL &&
	    (text = json_dumps(answer, JSON_COMPACT)) == NULL)
		err_set(&e, "out of memory");
	rc = text != NULL ?
	    ipc_send(fd, PARENT, IPC_KEY_ANSWER, text, strlen(text), &e) :
	    ipc_send(fd, PARENT, IPC_REFUSED, e.msg, strlen(e.msg), &e);
	if (pass != -1)
		close(pass);
	free(text);
	json_decref(answer);
	json_decref(req);
	ipc_msg_free(m);
	return rc;
}

void
certkeyproc_serve(int fd, const struct names *const *names, size_t n)
{
	struct held h = { names, n, NULL };

	if ((h.keys = calloc(n + 1, sizeof(*h.keys))) == NULL)
		return;
	while (serve_one(fd, &h) == 0)
		;
	for (size_t i = 0; i < n; i++)
		EVP_PKEY_free(h.keys[i]);
	free(h.keys);
}

static int
child_main(int fd, const struct names *const *names, size_t n,
    enum sandbox_mode mode)
{
	const struct sandbox_spec spec = { .profile = SANDBOX_COMPUTE,
	    .mode = mode };
	struct err e = { "" };
	char report[256];

	child_ignore_group_signals();
	if ((fd = child_keep_only(fd)) == -1)
		return 1;
	if (sandbox_enter(&spec, report, sizeof report, &e) == -1) {
		err_prefix(&e, "the certificate key process cannot enter its "
		    "sandbox");
		(void)ipc_send(fd, PARENT, IPC_REFUSED, e.msg, strlen(e.msg),
		    &e);
		return 1;
	}
	log_verbose("certificate key process: %s", report);
	if (ipc_send(fd, PARENT, IPC_READY, NULL, 0, &e) == -1)
		return 1;
	certkeyproc_serve(fd, names, n);
	return 0;
}

struct certkeyproc *
certkeyproc_start(const struct names *const *names, size_t n,
    enum sandbox_mode sandbox, struct err *e)
{
	struct certkeyproc *p;
	struct ipc_msg *m = NULL;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	if ((p->pid = child_fork(CHILD, "acmec-certkeys", &p->fd, e)) == -1) {
		free(p);
		return NULL;
	}
	if (p->pid == 0)
		_exit(child_main(p->fd, names, n, sandbox));
	if (ipc_wait(p->fd, CHILD, CERTKEYPROC_TIMEOUT * 1000, e) == 1 &&
	    (m = ipc_recv(p->fd, CHILD, e)) != NULL && m->type == IPC_READY) {
		ipc_msg_free(m);
		return p;
	}
	if (m != NULL)
		err_set(e, "%s", m->type == IPC_REFUSED ? (char *)m->body :
		    "the certificate key process did not start");
	ipc_msg_free(m);
	certkeyproc_free(p);
	return NULL;
}

struct certkeyproc *
certkeyproc_adopt(int fd, struct err *e)
{
	struct certkeyproc *p;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	p->fd = fd;
	p->pid = -1;
	return p;
}

void
certkeyproc_free(struct certkeyproc *p)
{
	if (p == NULL)
		return;
	child_end(p->fd, p->pid);
	free(p);
}

/* Send req (taken) with fd; the answer object, new, or NULL and why. */
static json_t *
ask(struct certkeyproc *p, json_t *req, int fd, struct err *e)
{
	struct ipc_msg *m = NULL;
	json_t *answer = NULL;
	char *text;

	if (req == NULL || (text = json_dumps(req, JSON_COMPACT)) == NULL) {
		json_decref(req);
		err_set(e, "out of memory");
		return NULL;
	}
	json_decref(req);
	m = ipc_call(p->fd, CHILD, IPC_KEY_REQUEST, text, strlen(text), fd,
	    CERTKEYPROC_TIMEOUT, e);
	free(text);
	if (m == NULL)
		return NULL;
	if (m->type == IPC_REFUSED)
		err_set(e, "%s", (const char *)m->body);
	else if (m->type != IPC_KEY_ANSWER || (answer = json_loadb(
	    (const char *)m->body, m->len, 0, NULL)) == NULL ||
	    !json_is_object(answer))
		err_set(e, "the certificate key process answered with "
		    "message type %d", (int)m->type);
	ipc_msg_free(m);
	return answer;
}

/* The public key the answer describes; new, or NULL. */
static EVP_PKEY *
answer_public(const json_t *answer, struct err *e)
{
	const char *spki = json_string_value(json_object_get(answer, "spki"));
	const unsigned char *p;
	unsigned char *der = NULL;
	EVP_PKEY *pub = NULL;
	size_t len = 0;

	if (spki != NULL && (der = b64url_decode(spki, &len)) != NULL &&
	    len < KEY_FILE_MAX) {
		p = der;
		pub = d2i_PUBKEY(NULL, &p, (long)len);
	}
	free(der);
	if (pub == NULL)
		err_set(e, "the certificate key process sent no public key");
	return pub;
}

/* The answer's CSR, if it is one for pub: new, or NULL. */
static char *
answer_csr(const json_t *answer, EVP_PKEY *pub, struct err *e)
{
	const char *csr = json_string_value(json_object_get(answer, "csr"));
	const unsigned char *p;
	unsigned char *der = NULL;
	X509_REQ *req = NULL;
	char *out = NULL;
	size_t len = 0;

	if (csr != NULL && (der = b64url_decode(csr, &len)) != NULL) {
		p = der;
		req = d2i_X509_REQ(NULL, &p, (long)len);
	}
	if (req != NULL && EVP_PKEY_eq(X509_REQ_get0_pubkey(req), pub) == 1)
		out = strdup(csr);
	if (out == NULL)
		err_set(e, "the certificate key process sent no CSR for its "
		    "key");
	X509_REQ_free(req);
	free(der);
	return out;
}

int
certkeyproc_open(struct certkeyproc *p, size_t job, int fd, const char *what,
    enum key_type type, EVP_PKEY **pub, char **csr, struct err *e)
{
	json_t *answer;

	*pub = NULL;
	*csr = NULL;
	answer = ask(p, json_pack("{s:s, s:I, s:s, s:s}", "op", "open", "job",
	    (json_int_t)job, "what", what, "type", key_type_name(type)), fd, e);
	if (answer != NULL && (*pub = answer_public(answer, e)) != NULL &&
	    (*csr = answer_csr(answer, *pub, e)) == NULL) {
		EVP_PKEY_free(*pub);
		*pub = NULL;
	}
	json_decref(answer);
	return *csr != NULL ? 0 : -1;
}

int
certkeyproc_write(struct certkeyproc *p, size_t job, int fd, struct err *e)
{
	json_t *answer = ask(p, json_pack("{s:s, s:I}", "op", "write", "job",
	    (json_int_t)job), fd, e);

	json_decref(answer);
	return answer != NULL ? 0 : -1;
}

void
certkeyproc_close(struct certkeyproc *p, size_t job)
{
	struct err ignored;

	json_decref(ask(p, json_pack("{s:s, s:I}", "op", "close", "job",
	    (json_int_t)job), -1, &ignored));
}

EVP_PKEY *
certkeyproc_peek(struct certkeyproc *p, int fd, const char *what,
    struct err *e)
{
	json_t *answer = ask(p, json_pack("{s:s, s:s}", "op", "peek", "what",
	    what), fd, e);
	EVP_PKEY *pub = answer != NULL ? answer_public(answer, e) : NULL;

	json_decref(answer);
	return pub;
}

EVP_PKEY *
certkeyproc_make(struct certkeyproc *p, enum key_type type, int fd,
    struct err *e)
{
	json_t *answer = ask(p, json_pack("{s:s, s:s}", "op", "make", "type",
	    key_type_name(type)), fd, e);
	EVP_PKEY *pub = answer != NULL ? answer_public(answer, e) : NULL;

	json_decref(answer);
	return pub;
}
