/*
 * keyproc.c - the key process: it loads (or makes) one key and signs
 * only what it checked.
 *
 * What the child can trust.  Everything the parent sends may come from a
 * process a hostile CA took over, so the child believes only what it was
 * given when it was forked (the key path, the directory URL, the policy)
 * and what it sees in the bytes it is asked to sign.  Which URL of the
 * directory is newOrder, keyChange or revokeCert reaches the child only
 * through the parent, so it cannot tell requests apart by URL: a parent
 * taken over would send a keyChange labelled newOrder.  It checks instead
 * (a) the protected header's url against the origin of the directory
 * URL, so nothing is signed for another server, and (b) the shape of the
 * payload, which is what a CA acts on: a key change must carry a JWS (its
 * inner one "oldKey"), a deactivation "status":"deactivated", a
 * revocation "certificate".  Refusing the shape refuses the request at
 * any URL.  One gap is left: a contact change dressed as a newAccount
 * payload ("termsOfServiceAgreed" with "contact") is signed under every
 * policy, as creating the account needs exactly that payload; the new
 * key of a rollover (KEYPROC_ONLY_NEW_KEY) signs not even that.
 *
 * Where the key comes from.  The child loads the key file itself, or
 * makes a new key after the fork and saves it (0600, atomically, never
 * over an existing file), before it enters its sandbox: the parent is
 * never told the key and never had it in its memory.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "b64url.h"
#include "child.h"
#include "ipc.h"
#include "key.h"
#include "keyproc.h"
#include "log.h"
#include "sandbox.h"

#define PARENT	"the parent process"
#define CHILD	"the key process"

/* "https://host[:port]" of url, lower-cased, without :443; new or NULL. */
static char *
origin_of(const char *url)
{
	size_t n;
	char *o, *p;

	if (strncasecmp(url, "https://", 8) != 0)
		return NULL;
	n = 8 + strcspn(url + 8, "/?#");
	/* A user part ("https://ca@evil/") would hide the real host. */
	if (n == 8 || memchr(url + 8, '@', n - 8) != NULL)
		return NULL;
	if (n > 12 && strncmp(url + n - 4, ":443", 4) == 0)
		n -= 4;
	if ((o = strndup(url, n)) != NULL)
		for (p = o; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
	return o;
}

/* The JSON object in the base64url text p of n bytes; new or NULL. */
static json_t *
decode_part(const char *p, size_t n)
{
	unsigned char *raw = NULL;
	json_t *v = NULL;
	char *text;
	size_t len;

	/* Duplicate members could show the CA another value than us. */
	if ((text = strndup(p, n)) != NULL &&
	    (raw = b64url_decode(text, &len)) != NULL)
		v = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES,
		    NULL);
	free(text);
	free(raw);
	if (v != NULL && !json_is_object(v)) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

/*
 * A rollover's new key signs two payloads of exactly these members, and
 * never as an account (kid): nothing else of its is needed before the CA
 * took it, and what it signs is never a request of the account's.
 */
static int
check_new_key(const json_t *header, const json_t *payload, const char *url,
    struct err *e)
{
	if (json_object_get(header, "kid") != NULL) {
		err_set(e, "refused to sign for %.200s as an account: this is "
		    "the new key of a rollover, which has none yet", url);
		return -1;
	}
	if (json_object_size(payload) == 2 &&
	    json_object_get(payload, "account") != NULL &&
	    json_object_get(payload, "oldKey") != NULL)
		return 0;
	if (json_object_size(payload) == 1 &&
	    json_is_true(json_object_get(payload, "onlyReturnExisting")))
		return 0;
	err_set(e, "refused to sign for %.200s: the new key of a rollover "
	    "signs only the key change and the lookup of its account", url);
	return -1;
}

/* The payload shapes a policy must allow, and why one is refused. */
static const struct {
	const char	*member;
	unsigned	 needs;
	const char	*what;
} kinds[] = {
	{ "protected", KEYPROC_ALLOW_KEY_CHANGE, "a key change (a JWS)" },
	{ "payload", KEYPROC_ALLOW_KEY_CHANGE, "a key change (a JWS)" },
	{ "oldKey", KEYPROC_ALLOW_KEY_CHANGE, "a key change (\"oldKey\")" },
	{ "certificate", KEYPROC_ALLOW_REVOKE, "a revocation" },
	{ "contact", KEYPROC_ALLOW_UPDATE, "a contact change" },
};

/* 0 if policy allows payload (NULL: POST-as-GET), else -1 and why. */
static int
check_kind(const json_t *header, const json_t *payload, const char *url,
    unsigned policy, struct err *e)
{
	const char *status;
	size_t i;

	if (policy & KEYPROC_ONLY_NEW_KEY)
		return check_new_key(header, payload, url, e);
	if (payload == NULL)
		return 0;
	status = json_string_value(json_object_get(payload, "status"));
	if (status != NULL && strcmp(status, "deactivated") == 0 &&
	    !(policy & KEYPROC_ALLOW_DEACTIVATE)) {
		err_set(e, "refused to sign a deactivation for %.200s: this "
		    "command deactivates nothing", url);
		return -1;
	}
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (json_object_get(payload, kinds[i].member) == NULL ||
		    (policy & kinds[i].needs))
			continue;
		/* A new account names its contacts too: that is no change. */
		if (kinds[i].needs == KEYPROC_ALLOW_UPDATE &&
		    json_object_get(payload, "termsOfServiceAgreed") != NULL)
			continue;
		err_set(e, "refused to sign %s for %.200s: this command may "
		    "not make one", kinds[i].what, url);
		return -1;
	}
	return 0;
}

/* 0 if url is on the origin of directory_url, else -1 and why. */
static int
check_origin(const char *url, const char *directory_url, struct err *e)
{
	char *want, *got;
	int rc = -1;

	/* A process asked only for its public half signs nothing. */
	if (directory_url == NULL) {
		err_set(e, "refused to sign for %.200s: this key process only "
		    "tells its public key", url);
		return -1;
	}
	want = origin_of(directory_url);
	got = origin_of(url);
	if (want == NULL)
		err_set(e, "refused to sign: the CA directory %.200s is not an "
		    "https URL", directory_url);
	else if (got == NULL || strcmp(got, want) != 0)
		err_set(e, "refused to sign for %.200s: not on %s, the CA this "
		    "run talks to", url, want);
	else
		rc = 0;
	free(want);
	free(got);
	return rc;
}

int
keyproc_check(const char *input, size_t len, const char *alg,
    const char *directory_url, unsigned policy, struct err *e)
{
	json_t *header = NULL, *payload = NULL;
	const char *dot, *url = NULL, *halg;
	int rc = -1;

	if (memchr(input, '\0', len) != NULL ||
	    (dot = memchr(input, '.', len)) == NULL ||
	    (header = decode_part(input, (size_t)(dot - input))) == NULL) {
		err_set(e, "refused to sign: not a JWS signing input with a "
		    "JSON protected header");
		return -1;
	}
	halg = json_string_value(json_object_get(header, "alg"));
	url = json_string_value(json_object_get(header, "url"));
	if (halg == NULL || strcmp(halg, alg) != 0)
		err_set(e, "refused to sign: the protected header's alg is not "
		    "the key's %s", alg);
	else if (url == NULL)
		err_set(e, "refused to sign: the protected header has no url");
	else if (dot + 1 < input + len && (payload = decode_part(dot + 1,
	    len - (size_t)(dot + 1 - input))) == NULL)
		err_set(e, "refused to sign for %.200s: the payload is not a "
		    "JSON object", url);
	else if (check_origin(url, directory_url, e) == 0 &&
	    check_kind(header, payload, url, policy, e) == 0)
		rc = 0;
	json_decref(header);
	json_decref(payload);
	return rc;
}

/*
 * The one place the key process gives up what it does not need: from
 * here on it holds the key in memory and its socket, and may use
 * nothing else (sandbox.h, SANDBOX_COMPUTE), as hard as mode insists.
 */
static int
keyproc_confine(enum sandbox_mode mode, struct err *e)
{
	const struct sandbox_spec spec = { .profile = SANDBOX_COMPUTE,
	    .mode = mode };
	char report[256];

	if (sandbox_enter(&spec, report, sizeof report, e) == -1) {
		err_prefix(e, "the key process cannot enter its sandbox");
		return -1;
	}
	log_verbose("key process: %s", report);
	return 0;
}

static int
send_hello(int fd, const struct signer *s, struct err *e)
{
	json_t *hello;
	char *text = NULL;
	int rc = -1;

	hello = json_pack("{s:o, s:s, s:s, s:s}", "jwk", signer_jwk(s),
	    "alg", signer_alg(s), "key_type", signer_key_type(s), "key_id",
	    signer_key_id(s));
	if (hello == NULL || (text = json_dumps(hello, JSON_COMPACT)) == NULL)
		err_set(e, "out of memory");
	else
		rc = ipc_send(fd, PARENT, IPC_HELLO, text, strlen(text), e);
	free(text);
	json_decref(hello);
	return rc;
}

/* Answer signing requests until the parent closes or breaks protocol. */
static void
serve(int fd, const struct signer *s, const char *directory_url,
    unsigned policy)
{
	struct ipc_msg *m;
	unsigned char *sig;
	struct err e;
	size_t siglen;
	int rc;

	while ((m = ipc_recv(fd, PARENT, &e)) != NULL && m->type == IPC_SIGN) {
		if (keyproc_check((const char *)m->body, m->len, signer_alg(s),
		    directory_url, policy, &e) == 0 &&
		    signer_sign(s, m->body, m->len, &sig, &siglen, &e) == 0) {
			rc = ipc_send(fd, PARENT, IPC_SIGNATURE, sig, siglen,
			    &e);
			free(sig);
		} else {
			rc = ipc_send(fd, PARENT, IPC_REFUSED, e.msg,
			    strlen(e.msg), &e);
		}
		ipc_msg_free(m);
		if (rc == -1)
			return;
	}
	ipc_msg_free(m);
}

/*
 * The key k names, made or loaded here, after the fork, so the parent
 * never had it; saved where k says.  *saved: the file made, or NULL.
 */
static struct signer *
child_signer(const struct keyproc_key *k, const char **saved, struct err *e)
{
	const char *make = k->create ? k->path : k->save_as;
	struct signer *s = NULL;
	EVP_PKEY *key = NULL;
	struct stat st;

	*saved = NULL;
	/*
	 * Who asks for a new key file holds the account lock, so no other
	 * acmec run comes between this check and the rename of key_save.
	 */
	if (make != NULL && lstat(make, &st) == 0) {
		err_set(e, "refused to make the key file %s: there is one "
		    "already, and acmec never replaces a key file; move it "
		    "away, or use it", make);
		return NULL;
	}
	if (!k->create)
		key = key_load(k->path, k->access, e);
	else if ((key = key_generate(k->type, e)) == NULL)
		err_prefix(e, "cannot make a new %s key for %s",
		    key_type_name(k->type), k->path);
	if (key != NULL && (s = signer_new(key, e)) != NULL && make != NULL) {
		if (key_save(key, make, e) == 0)
			*saved = make;
		else {
			err_prefix(e, "cannot save the new key");
			signer_free(s);
			s = NULL;
		}
	}
	EVP_PKEY_free(key);
	return s;
}

static int
child_main(int fd, const struct keyproc_key *k, const char *directory_url,
    unsigned policy, enum sandbox_mode sandbox)
{
	struct signer *s;
	struct err e = { "" };
	const char *saved;
	int rc = 1;

	/* The parent ends us by closing the socket, when it has unwound. */
	child_ignore_group_signals();
	s = child_signer(k, &saved, &e);
	fd = child_keep_only(fd);
	if (fd != -1 && s != NULL && keyproc_confine(sandbox, &e) == -1) {
		signer_free(s);
		s = NULL;
	}
	/* A key nobody will use is no key to leave behind. */
	if ((fd == -1 || s == NULL) && saved != NULL)
		(void)unlink(saved);
	if (fd == -1)
		rc = 1;
	else if (s == NULL)
		(void)ipc_send(fd, PARENT, IPC_REFUSED, e.msg, strlen(e.msg),
		    &e);
	else if (send_hello(fd, s, &e) == 0) {
		serve(fd, s, directory_url, policy);
		rc = 0;
	}
	signer_free(s);
	return rc;
}

/* The child's first message: its public half, or why it has none. */
static struct signer *
receive_hello(int fd, pid_t pid, const char *key_path, struct err *e)
{
	struct ipc_msg *m;
	struct signer *s = NULL;
	json_t *h = NULL;

	if ((m = ipc_recv(fd, CHILD, e)) == NULL)
		err_prefix(e, "cannot load %s", key_path);
	else if (m->type == IPC_REFUSED)
		err_set(e, "%s", (const char *)m->body);
	else if (m->type != IPC_HELLO ||
	    (h = json_loadb((const char *)m->body, m->len, 0, NULL)) == NULL)
		err_set(e, "the key process for %s did not describe its key",
		    key_path);
	ipc_msg_free(m);
	if (h == NULL) {
		child_end(fd, pid);
		return NULL;
	}
	s = signer_remote_new(fd, pid, json_object_get(h, "jwk"),
	    json_string_value(json_object_get(h, "alg")),
	    json_string_value(json_object_get(h, "key_type")),
	    json_string_value(json_object_get(h, "key_id")), e);
	json_decref(h);
	return s;
}

struct signer *
keyproc_start_key(const struct keyproc_key *key, const char *directory_url,
    unsigned policy, enum sandbox_mode sandbox, struct err *e)
{
	pid_t pid;
	int fd;

	if ((pid = child_fork(CHILD, "acmec-key", &fd, e)) == -1)
		return NULL;
	if (pid == 0)
		_exit(child_main(fd, key, directory_url, policy, sandbox));
	return receive_hello(fd, pid, key->path, e);
}

struct signer *
keyproc_start(const char *key_path, const char *directory_url,
    unsigned policy, enum sandbox_mode sandbox, struct err *e)
{
	const struct keyproc_key key = { .path = key_path,
	    .access = STORE_PRIVATE };

	return keyproc_start_key(&key, directory_url, policy, sandbox, e);
}

int
keyproc_key_id(const struct keyproc_key *key, enum sandbox_mode sandbox,
    char id[KEY_ID_LEN + 1], struct err *e)
{
	struct signer *s;

	if ((s = keyproc_start_key(key, NULL, 0, sandbox, e)) == NULL)
		return -1;
	/* signer_remote_new checked it: KEY_ID_LEN hex digits. */
	snprintf(id, KEY_ID_LEN + 1, "%s", signer_key_id(s));
	signer_free(s);
	return 0;
}
