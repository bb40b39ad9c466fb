#!/usr/bin/env python3
"""hostile_ca.py - a fake ACME CA (RFC 8555) that misbehaves on purpose.

Used by tests/integration-hostile.sh for what a real CA (pebble) cannot be
made to do: malformed or hostile answers.  It speaks just enough ACME to
lead the client to the one hostile answer of a SCENARIO, and no more.

One process serves many cases at once, each under its own path prefix:

    hostile_ca.py --cases DIR --cert CERT --key KEY [--port PORT]
                  [--log FILE] [--ca-cert FILE --ca-key FILE]

A case is a directory DIR/LABEL holding a file "scenario" (its name) and
optionally "token" (the http-01 token, raw bytes, bad-token) and "pem" (the
path of a certificate chain to serve, wrong-cert).  The test script writes
them before the client's first request; the case's directory is then
https://127.0.0.1:PORT/LABEL/dir, every request of the case is logged to
DIR/LABEL/log, and each case has its own state.  Cases of the "silent"
scenario are served on a second port that never speaks TLS.

    hostile_ca.py --scenario NAME --cert CERT --key KEY [--port PORT]
                  [--log FILE] [--token TOKEN] [--pem FILE] [...]

serves one scenario at the root (https://127.0.0.1:PORT/dir), for trying a
scenario by hand.

    hostile_ca.py --list           # the scenarios, one a line

PORT 0 (the default) lets the system pick free ports.  --log FILE gets
"listening PORT SILENT-PORT" once both sockets are bound; with --scenario,
also the requests.  A request line reads "METHOD PATH -> STATUS" (PATH
without the case's prefix; STATUS "-" for one never answered, "cut" for
one cut off mid-answer), with "[onlyReturnExisting]" after PATH for a
newAccount lookup, so that the test can wait for the server and count
requests.

The honest flow and wrong-cert-names sign the client's CSR with openssl and
--ca-cert/--ca-key; the wrong-cert scenarios serve the "pem" file instead.
It never verifies a JWS signature: it only decodes the protected header and
the payload.  Every answer carries a base64url Replay-Nonce (unless the
scenario is about nonces) and HEAD/GET newNonce are answered.

Python 3 standard library only (and the openssl program for signing).
"""

import argparse
import base64
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STOP = threading.Event()	# never set: silent answers wait on it forever
ERR = "urn:ietf:params:acme:error:"


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Reply:
    """One answer: status, headers, body (bytes), or a special kind."""

    def __init__(self, status=200, body=b"", ctype="application/json",
                 headers=None, stream=None, silent=False, cut=False):
        self.status = status
        self.body = body
        self.ctype = ctype
        self.headers = dict(headers or {})
        self.stream = stream	# iterable of byte chunks, no Content-Length
        self.silent = silent	# read the request, never answer
        self.cut = cut		# send half the body, then close the connection


def js(status, obj, **headers):
    return Reply(status, json.dumps(obj).encode(), "application/json",
                 headers)


def problem(status, kind, detail, **extra):
    doc = {"type": ERR + kind, "detail": detail}
    doc.update(extra)
    return Reply(status, json.dumps(doc).encode(),
                 "application/problem+json")


class Request:
    def __init__(self, method, path, body):
        self.method = method
        self.path = path	# without the case's prefix
        self.payload = None	# decoded JWS payload; None for POST-as-GET
        self.kid = None		# the account URL the JWS is signed for
        if method == "POST" and body:
            try:
                jws = json.loads(body)
                protected = json.loads(unb64u(jws.get("protected", "")))
                self.kid = protected.get("kid")
                raw = unb64u(jws.get("payload", ""))
                self.payload = json.loads(raw) if raw else None
            except (ValueError, AttributeError):
                pass

    def replaces_note(self):
        """" [replaces=ID]" and " [profile=NAME]" for a newOrder that names
        what it replaces or the profile it wants."""
        note = ""
        for key in ("replaces", "profile"):
            v = self.payload.get(key) \
                if isinstance(self.payload, dict) else None
            note += " [%s=%s]" % (key, v) if isinstance(v, str) else ""
        return note

    def lookup(self):
        """True for a newAccount request with onlyReturnExisting."""
        return isinstance(self.payload, dict) and \
            self.payload.get("onlyReturnExisting") is True


class CA:
    """The honest part of the fake: orders, authorizations, challenges.

    Scenarios replace attributes of one instance (a method, the token, the
    directory) to make one answer hostile.
    """

    def __init__(self, base, token=None, pem=None, ca_cert=None,
                 ca_key=None):
        self.base = base	# https://127.0.0.1:PORT/LABEL, no final /
        self.pem = pem
        self.ca_cert = ca_cert
        self.ca_key = ca_key
        self.names = ["hostile.example.com"]
        self.token = token if token is not None else b64u(os.urandom(32))
        self.validated = False
        self.extra_names = []	# added to the certificate (wrong-cert-names)
        self.csr_der = None
        self.dir_extra = {}	# merged into the directory
        self.serial = int.from_bytes(os.urandom(8), "big")

    def url(self, path):
        return self.base + path

    def http_url(self, path):
        """The same URL with http:// (what a hostile CA hands out)."""
        return "http" + self.url(path)[len("https"):]

    # ------------------------------------------------------------ hooks
    def nonce(self):
        return b64u(os.urandom(16))

    def before_post(self, req):
        """A reply for every POST before routing, or None."""
        return None

    # --------------------------------------------------------- resources
    def directory_obj(self):
        d = {
            "newNonce": self.url("/nonce"),
            "newAccount": self.url("/new-acct"),
            "newOrder": self.url("/new-order"),
            "revokeCert": self.url("/revoke"),
            "keyChange": self.url("/key-change"),
            "meta": {"termsOfService": self.url("/tos")},
        }
        d.update(self.dir_extra)
        return d

    def directory(self, req):
        return js(200, self.directory_obj())

    def new_nonce(self, req):
        return Reply(200 if req.method == "HEAD" else 204, b"", None,
                     {"Cache-Control": "no-store"})

    def new_account(self, req):
        if (req.payload or {}).get("onlyReturnExisting"):
            return problem(400, "accountDoesNotExist",
                           "no account for this key")
        return js(201, {"status": "valid", "orders": self.url("/orders")},
                  Location=self.url("/acct/1"))

    def account(self, req):
        return js(200, {"status": "valid"})

    def key_change(self, req):
        return js(200, {"status": "valid"})

    def order_obj(self):
        o = {
            "status": "valid" if self.csr_der else
                      "ready" if self.validated else "pending",
            "expires": "2099-01-01T00:00:00Z",
            "identifiers": [{"type": "dns", "value": n} for n in self.names],
            "authorizations": [self.url("/authz/%d" % i)
                               for i in range(len(self.names))],
            "finalize": self.url("/finalize/1"),
        }
        if self.csr_der:
            o["certificate"] = self.url("/cert/1")
        return o

    def new_order(self, req):
        ids = (req.payload or {}).get("identifiers") or []
        names = [i.get("value") for i in ids if isinstance(i, dict)]
        if names:
            self.names = names
        self.validated = False	# each order starts afresh
        self.csr_der = None
        return js(201, self.order_obj(), Location=self.url("/order/1"))

    def order(self, req):
        return js(200, self.order_obj())

    def challenge_obj(self, i):
        return {"type": "http-01", "url": self.url("/chall/%d" % i),
                "token": self.token,
                "status": "valid" if self.validated else "pending"}

    def authz_obj(self, i):
        return {"status": "valid" if self.validated else "pending",
                "expires": "2099-01-01T00:00:00Z",
                "identifier": {"type": "dns", "value": self.names[i]},
                "challenges": [self.challenge_obj(i)]}

    def authz(self, req):
        return js(200, self.authz_obj(self.index(req)))

    def challenge(self, req):
        # A real CA would fetch the file now; the fake trusts it.
        self.validated = True
        return js(200, self.challenge_obj(self.index(req)))

    def finalize(self, req):
        csr = (req.payload or {}).get("csr")
        if not isinstance(csr, str):
            return problem(400, "badCSR", "no csr")
        self.csr_der = unb64u(csr)
        return js(200, self.order_obj(), Location=self.url("/order/1"))

    def certificate(self, req):
        return Reply(200, self.cert_pem(), "application/pem-certificate-chain")

    def cert_pem(self):
        if self.pem:
            with open(self.pem, "rb") as f:
                return f.read()
        return self.sign_csr(self.names + self.extra_names)

    def sign_csr(self, names):
        """The CSR's key in a certificate for names, signed by --ca-*."""
        if not (self.ca_cert and self.ca_key and self.csr_der):
            raise RuntimeError("no --ca-cert/--ca-key or CSR to sign")
        with tempfile.TemporaryDirectory() as tmp:
            csr = os.path.join(tmp, "csr.pem")
            ext = os.path.join(tmp, "ext")
            with open(csr, "w") as f:
                f.write("-----BEGIN CERTIFICATE REQUEST-----\n")
                f.write(base64.encodebytes(self.csr_der).decode())
                f.write("-----END CERTIFICATE REQUEST-----\n")
            with open(ext, "w") as f:
                f.write("subjectAltName=%s\n" % ",".join(
                    "DNS:" + n for n in names))
                f.write("basicConstraints=critical,CA:FALSE\n")
                f.write("keyUsage=critical,digitalSignature\n")
                f.write("extendedKeyUsage=serverAuth\n")
                f.write("authorityKeyIdentifier=keyid\n")
            leaf = subprocess.run(
                ["openssl", "x509", "-req", "-in", csr, "-CA", self.ca_cert,
                 "-CAkey", self.ca_key, "-set_serial", str(self.serial),
                 "-days", "2", "-extfile", ext],
                check=True, capture_output=True).stdout
        with open(self.ca_cert, "rb") as f:
            return leaf + f.read()

    @staticmethod
    def index(req):
        try:
            return int(req.path.rsplit("/", 1)[1])
        except ValueError:
            return 0

    # ------------------------------------------------------------ routes
    ROUTES = [
        ("GET", "/dir", "directory"),
        ("HEAD", "/nonce", "new_nonce"),
        ("GET", "/nonce", "new_nonce"),
        ("POST", "/new-acct", "new_account"),
        ("POST", "/acct/", "account"),
        ("POST", "/key-change", "key_change"),
        ("POST", "/new-order", "new_order"),
        ("POST", "/order/", "order"),
        ("POST", "/authz/", "authz"),
        ("POST", "/chall/", "challenge"),
        ("POST", "/finalize/", "finalize"),
        ("POST", "/cert/", "certificate"),
    ]

    def route(self, req):
        if req.method == "POST":
            early = self.before_post(req)
            if early is not None:
                return early
        return self.dispatch(req)

    def dispatch(self, req):
        """The answer of the resource, without before_post."""
        for method, path, name in self.ROUTES:
            if method == req.method and (req.path == path or
                    (path.endswith("/") and req.path.startswith(path))):
                return getattr(self, name)(req)
        return problem(404, "malformed", "no such resource")


# ---------------------------------------------------------------- scenarios
# Each one makes one answer hostile and says what the client should do.

SCENARIOS = {}


def scenario(fn):
    SCENARIOS[fn.__name__.replace("_", "-")] = fn
    return fn


@scenario
def honest(ca):
    """Control: the whole flow succeeds (proves the fake itself works)."""


@scenario
def http_url(ca):
    """The directory's newOrder is an http:// URL: refuse the directory."""
    ca.dir_extra["newOrder"] = ca.http_url("/new-order")


@scenario
def http_url_authz(ca):
    """The order lists an http:// authorization URL."""
    honest_order = ca.order_obj

    def order_obj():
        o = honest_order()
        o["authorizations"] = [ca.http_url("/authz/0")]
        return o
    ca.order_obj = order_obj


@scenario
def http_url_challenge(ca):
    """The http-01 challenge URL is http://."""
    honest_challenge = ca.challenge_obj

    def challenge_obj(i):
        c = honest_challenge(i)
        c["url"] = ca.http_url("/chall/%d" % i)
        return c
    ca.challenge_obj = challenge_obj


@scenario
def http_url_cert(ca):
    """The valid order's certificate URL is http://."""
    honest_order = ca.order_obj

    def order_obj():
        o = honest_order()
        if "certificate" in o:
            o["certificate"] = ca.http_url("/cert/1")
        return o
    ca.order_obj = order_obj


@scenario
def huge_body(ca):
    """A 2 MiB directory with Content-Length: more than the client's cap."""
    pad = "A" * (2 * 1024 * 1024)
    body = dict(ca.directory_obj(), padding=pad)
    ca.directory = lambda req: js(200, body)


@scenario
def endless_body(ca):
    """A chunked directory that never ends: the cap must stop the read."""
    def chunks():
        yield b'{"padding": "'
        block = b"A" * 65536
        while True:
            yield block
    ca.directory = lambda req: Reply(200, ctype="application/json",
                                     stream=chunks())


@scenario
def silent(ca):
    """Accepts TCP connections and never says a word (not even TLS)."""
    # Handled by serve_silent(), on a port of its own: no TLS at all.


@scenario
def silent_http(ca):
    """TLS handshake done, request read, never answered."""
    ca.directory = lambda req: Reply(silent=True)


@scenario
def poll_lost_once(ca):
    """The first poll of the order gets no answer; later ones do."""
    honest = ca.order
    calls = {"n": 0}

    def order(req):
        calls["n"] += 1
        if calls["n"] == 1:
            return Reply(silent=True)
        return honest(req)
    ca.order = order


@scenario
def poll_silent(ca):
    """No poll of the order is ever answered (for Ctrl-C in flight)."""
    ca.order = lambda req: Reply(silent=True)


@scenario
def keychange_silent(ca):
    """The key change is received, its answer never comes."""
    ca.key_change = lambda req: Reply(silent=True)


@scenario
def keychange_refused(ca):
    """The key change is refused with a problem document."""
    ca.key_change = lambda req: problem(403, "unauthorized", "no")


@scenario
def slow_drip(ca):
    """Answers the directory one byte a second, forever."""
    def drip():
        while True:
            yield b" "
            time.sleep(1)
    ca.directory = lambda req: Reply(200, ctype="application/json",
                                     stream=drip(),
                                     headers={"Content-Length": "100000"})


@scenario
def bad_token(ca):
    """The http-01 token (--token) is not base64url: a path, dots, etc."""
    # ca.token comes from --token.


@scenario
def long_token(ca):
    """A base64url token far too long for a file name."""
    ca.token = "A" * 5000


@scenario
def location_http(ca):
    """newAccount creates the account at an http:// Location."""
    def new_account(req):
        if (req.payload or {}).get("onlyReturnExisting"):
            return problem(400, "accountDoesNotExist", "no account")
        return js(201, {"status": "valid"},
                  Location=ca.http_url("/acct/1"))
    ca.new_account = new_account


@scenario
def location_http_order(ca):
    """newOrder answers 201 with an http:// order Location."""
    ca.new_order = lambda req: js(
        201, ca.order_obj(),
        Location=ca.http_url("/order/1"))


@scenario
def escape_text(ca):
    """newOrder fails with a problem full of terminal escapes and newlines."""
    ca.new_order = lambda req: problem(
        400, "rejectedIdentifier\u001b[31m",
        "\u001b[31mred\u001b[0m\nacmec: certificate written to /etc/fake\r"
        "\u001b]0;title\u0007\u009b2J\u001b[2J\u0008end",
        subproblems=[{
            "type": ERR + "caa\u001b[5m",
            "detail": "blink\u001b[5m\nnext line\u0007",
            "identifier": {"type": "dns",
                           "value": "x\u001b]0;t\u0007.example.com"},
        }])


@scenario
def escape_key(ca):
    """A directory member *name* holds escapes (its value is http://)."""
    ca.dir_extra["\u001b]0;pwned\u0007\u001b[2Jx\nnewline"] = \
        ca.http_url("/x")


@scenario
def escape_authz(ca):
    """Authorization identifier and challenge types with escapes."""
    def authz(req):
        return js(200, {
            "status": "pending",
            "identifier": {"type": "dns",
                           "value": "\u001b]0;t\u0007evil\n.example.com"},
            "challenges": [{"type": "dns-01\u001b[2J", "url": ca.url("/c"),
                            "token": "abc"}]})
    ca.authz = authz


@scenario
def long_text(ca):
    """A 300 KB detail and 3000 subproblems: the message stays short."""
    subs = [{"type": ERR + "rejectedIdentifier", "detail": "B" * 100,
             "identifier": {"type": "dns", "value": "n%d.example.com" % i}}
            for i in range(3000)]
    ca.new_order = lambda req: problem(400, "rejectedIdentifier",
                                       "A" * 300000, subproblems=subs)


@scenario
def bad_json(ca):
    """newOrder answers 201 with a body that is not JSON."""
    ca.new_order = lambda req: Reply(
        201, b"<html><body>Order created!</body></html>", "text/html",
        {"Location": ca.url("/order/1")})


@scenario
def bad_status(ca):
    """The order's status is "wat"."""
    honest_order = ca.order_obj

    def order_obj():
        return dict(honest_order(), status="wat")
    ca.order_obj = order_obj


@scenario
def redirect(ca):
    """The directory answers 302 to another (valid) directory."""
    honest_directory = ca.directory
    ca.directory = lambda req: Reply(
        302, b"", None, {"Location": ca.url("/other")})
    ca.ROUTES = [("GET", "/other", "other")] + CA.ROUTES
    ca.other = honest_directory


def pending_authz(ca, retry_after):
    """The authorizations and the order stay pending, answered with this
    Retry-After."""
    honest_authz = ca.authz_obj
    honest_order = ca.order_obj

    def authz(req):
        obj = dict(honest_authz(ca.index(req)), status="pending")
        obj["challenges"][0]["status"] = "processing"
        return js(200, obj, **{"Retry-After": retry_after})

    def order(req):
        return js(200, dict(honest_order(), status="pending"),
                  **{"Retry-After": retry_after})
    ca.authz = authz
    ca.order = order


@scenario
def forever_pending(ca):
    """The authorization stays pending forever, Retry-After: 1."""
    pending_authz(ca, "1")


@scenario
def retry_after_huge(ca):
    """The authorization stays pending with Retry-After: 999999 (11 days)."""
    pending_authz(ca, "999999")


@scenario
def forever_pending_slow(ca):
    """As forever-pending, and each authorization or order answer takes
    1.2 s."""
    forever_pending(ca)
    pending_authz_answer, pending_order_answer = ca.authz, ca.order

    def authz(req):
        time.sleep(1.2)
        return pending_authz_answer(req)

    def order(req):
        time.sleep(1.2)
        return pending_order_answer(req)
    ca.authz = authz
    ca.order = order


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def with_ari(ca, window, retry_after="3600", explanation=None):
    """A renewalInfo endpoint (RFC 9773) answering window() as the
    suggested window of any certificate."""
    ca.dir_extra["renewalInfo"] = ca.url("/renewal-info")
    ca.ROUTES = [("GET", "/renewal-info/", "renewal_info")] + CA.ROUTES

    def renewal_info(req):
        start, end = window()
        obj = {"suggestedWindow": {"start": rfc3339(start),
                                   "end": rfc3339(end)}}
        if explanation:
            obj["explanationURL"] = explanation
        return js(200, obj, **{"Retry-After": retry_after})
    ca.renewal_info = renewal_info


@scenario
def profiles(ca):
    """The directory offers two profiles (draft-ietf-acme-profiles)."""
    ca.dir_extra["meta"] = {
        "termsOfService": ca.url("/tos"),
        "profiles": {"classic": "90 days", "tlsserver": "45 days"}}


@scenario
def ari_past(ca):
    """The window is in the past: renew now, with replaces."""
    with_ari(ca, lambda: (time.time() - 7200, time.time() - 3600))


# The certificates of the fake last 2 days: a window in the future ends
# before they do.

@scenario
def ari_future(ca):
    """The window is in 20 hours; ask again in an hour (Retry-After)."""
    with_ari(ca, lambda: (time.time() + 20 * 3600,
                          time.time() + 22 * 3600))


@scenario
def ari_after_expiry(ca):
    """The window starts in 30 days, after the certificate expires (a CA's
    bug, or a hostile answer): the lifetime rule still renews it."""
    with_ari(ca, lambda: (time.time() + 30 * 86400,
                          time.time() + 31 * 86400))


@scenario
def ari_moved(ca):
    """The first answer is 20 hours out; later ones moved the window into
    the past (a mass revocation), with an explanationURL."""
    calls = {"n": 0}

    def window():
        calls["n"] += 1
        if calls["n"] == 1:
            return time.time() + 20 * 3600, time.time() + 22 * 3600
        return time.time() - 7200, time.time() - 3600
    with_ari(ca, window, retry_after="1",
             explanation="https://ca.example/incident/2026-11")


@scenario
def ari_replaces_refused(ca):
    """As ari-past, and a newOrder naming "replaces" is refused."""
    ari_past(ca)
    honest = ca.new_order

    def new_order(req):
        if isinstance(req.payload, dict) and "replaces" in req.payload:
            return problem(409, "alreadyReplaced",
                           "that certificate was replaced already")
        return honest(req)
    ca.new_order = new_order


@scenario
def wrong_cert(ca):
    """The certificate is --pem: another key and/or other names."""
    # ca.cert_pem reads --pem.


@scenario
def wrong_cert_names(ca):
    """The certificate has the client's key but one name more."""
    ca.extra_names = ["evil.example.net"]


@scenario
def garbage_cert(ca):
    """The certificate download is an HTML page."""
    ca.cert_pem = lambda: b"<html>-----BEGIN nothing-----</html>\n"


@scenario
def bad_nonce(ca):
    """Every Replay-Nonce is not base64url."""
    ca.nonce = lambda: "bad nonce/+="


@scenario
def badnonce_loop(ca):
    """Every POST is refused with badNonce (and a fresh nonce)."""
    ca.before_post = lambda req: problem(400, "badNonce", "try again")


@scenario
def busy_loop(ca):
    """Every POST: 503 with Retry-After: 1."""
    def busy(req):
        r = problem(503, "serverInternal", "busy")
        r.headers["Retry-After"] = "1"
        return r
    ca.before_post = busy


@scenario
def busy_long(ca):
    """Every POST: 429 with Retry-After: 999999."""
    def busy(req):
        r = problem(429, "rateLimited", "come back in 11 days")
        r.headers["Retry-After"] = "999999"
        return r
    ca.before_post = busy


@scenario
def nonstring_nonce(ca):
    """The directory's newNonce is a number."""
    ca.dir_extra["newNonce"] = 42


@scenario
def nonstring_account(ca):
    """The directory's newAccount is an object."""
    ca.dir_extra["newAccount"] = {"url": ca.url("/new-acct")}


@scenario
def nonstring_order(ca):
    """The directory's newOrder is an array."""
    ca.dir_extra["newOrder"] = [ca.url("/new-order")]


# What real CAs other than pebble do: step-ca, Let's Encrypt.

def stepca_challenge(ca, status):
    """The challenge POST's answer has STATUS and the error of a failed
    check; the authorization and the order stay pending for ever."""
    answered = {"yes": False}

    def challenge_obj(i):
        c = {"type": "http-01", "url": ca.url("/chall/%d" % i),
             "token": ca.token, "status": "pending"}
        if answered["yes"]:
            c["status"] = status
            c["error"] = {
                "type": ERR + "unauthorized",
                "detail": "Invalid response from http://x.test/"
                          ".well-known/acme-challenge/%s: 404" % ca.token}
        return c

    def challenge(req):
        answered["yes"] = True
        return js(200, challenge_obj(ca.index(req)))
    ca.challenge_obj = challenge_obj
    ca.challenge = challenge


@scenario
def stepca_pending(ca):
    """step-ca: the challenge POST answers "pending" with an unauthorized
    error (a 404 at the web server); authorization and order stay pending."""
    stepca_challenge(ca, "pending")


@scenario
def stepca_invalid(ca):
    """step-ca: the challenge POST answers "invalid" with an unauthorized
    error; the authorization and the order stay pending."""
    stepca_challenge(ca, "invalid")


def account_gone(ca, answer):
    """Once the account exists, every request signed for it and every
    onlyReturnExisting lookup gets answer()."""
    created = {"yes": False}

    def new_account(req):
        if req.lookup():
            if created["yes"]:
                return answer()
            return problem(400, "accountDoesNotExist",
                           "no account for this key")
        created["yes"] = True
        return js(201, {"status": "valid", "orders": ca.url("/orders")},
                  Location=ca.url("/acct/1"))
    ca.new_account = new_account
    ca.before_post = lambda req: \
        answer() if created["yes"] and req.kid else None


@scenario
def account_gone_500(ca):
    """After the account is created, the CA answers every request of it
    with 500 and an empty body (older step-ca for an unknown account)."""
    account_gone(ca, lambda: Reply(500, b"", None))


@scenario
def account_gone_403(ca):
    """After the account is created, the CA answers every request of it
    with 403 unauthorized (a deactivated account at most CAs)."""
    account_gone(ca, lambda: problem(403, "unauthorized",
                                     "the request is not authorized"))


@scenario
def keychange_501(ca):
    """keyChange answers 501 Not Implemented with no body (step-ca)."""
    ca.key_change = lambda req: Reply(501, b"", None)


@scenario
def contacts_kept(ca):
    """An account update is answered with the contacts of the account's
    creation, whatever it asked (step-ca does not clear contacts)."""
    kept = {"contact": []}
    honest_new_account = ca.new_account

    def new_account(req):
        if not req.lookup():
            kept["contact"] = (req.payload or {}).get("contact") or []
        return honest_new_account(req)

    def account(req):
        return js(200, {"status": "valid", "contact": kept["contact"],
                        "orders": ca.url("/orders")})
    ca.new_account = new_account
    ca.account = account


@scenario
def poll_busy_cut(ca):
    """Once the challenge is answered, the first poll (POST-as-GET of an
    authorization, challenge or order) gets 503 with Retry-After: 1, the
    second is cut off mid-answer; later ones are honest."""
    polls = {"n": 0}

    def before_post(req):
        if not ca.validated or req.payload is not None or \
                not req.path.startswith(("/authz/", "/chall/", "/order/")):
            return None
        polls["n"] += 1
        if polls["n"] == 1:
            r = problem(503, "serverInternal", "busy")
            r.headers["Retry-After"] = "1"
            return r
        if polls["n"] == 2:
            r = ca.dispatch(req)
            r.cut = True
            return r
        return None
    ca.before_post = before_post


# Let's Encrypt reads from replicas (ACME-2026.md): an answer may come
# from one that has not seen the latest change yet.

def lagging_polls(ca, statuses):
    """The next polls of the order answer these statuses, one each, as a
    replica that lags would; later polls are honest."""
    honest = ca.order

    def order(req):
        if statuses:
            obj = ca.order_obj()
            obj.pop("certificate", None)
            return js(200, dict(obj, status=statuses.pop(0)))
        return honest(req)
    ca.order = order


@scenario
def replica_lag(ca):
    """Finalize answers "processing"; the next polls show the order
    "ready", then "pending", then valid: wait, never finalize again."""
    honest = ca.finalize

    def finalize(req):
        r = honest(req)
        obj = json.loads(r.body)
        obj.pop("certificate", None)
        lagging_polls(ca, ["ready", "pending"])
        return js(200, dict(obj, status="processing"), **r.headers)
    ca.finalize = finalize


def order_not_ready(status):
    return problem(403, "orderNotReady",
                   "Order's status (\"%s\") is not acceptable for "
                   "finalization" % status)


@scenario
def not_ready_once(ca):
    """The first finalize of an order that polled ready is refused with
    orderNotReady (its replica has not seen the last authorization); the
    next poll shows the order pending, later ones ready: finalize again."""
    honest = ca.finalize
    refused = {"yes": False}

    def finalize(req):
        if refused["yes"]:
            return honest(req)
        refused["yes"] = True
        lagging_polls(ca, ["pending"])
        return order_not_ready("pending")
    ca.finalize = finalize


@scenario
def finalize_cut_lag(ca):
    """Finalize is taken but its answer cut off; the next poll shows the
    order still "ready", and a second finalize is refused with
    orderNotReady (the CA is processing the first): not yet."""
    honest = ca.finalize

    def finalize(req):
        if ca.csr_der is not None:
            return order_not_ready("processing")
        r = honest(req)
        r.cut = True
        lagging_polls(ca, ["ready"])
        return r
    ca.finalize = finalize


@scenario
def slow_orders(ca):
    """Every newOrder is refused (rejectedIdentifier) after 0.7 s: the
    orders of one renew queue behind each other on the one HTTP/1.1
    connection, which must not count against their timeout."""
    def new_order(req):
        time.sleep(0.7)
        return problem(400, "rejectedIdentifier", "slowly refused")
    ca.new_order = new_order


# ------------------------------------------------------------------ server

class Log:
    """One request log file, written from many handler threads."""

    def __init__(self, f):
        self.f = f
        self.lock = threading.Lock()

    def line(self, text):
        with self.lock:
            self.f.write(text + "\n")
            self.f.flush()


class Cases:
    """The cases of DIR, each a CA of its own, made at its first request."""

    def __init__(self, root, base, ca_cert, ca_key):
        self.root = root
        self.base = base
        self.ca_cert = ca_cert
        self.ca_key = ca_key
        self.lock = threading.Lock()
        self.cases = {}		# label -> (CA, Log)

    def read(self, label, name):
        try:
            with open(os.path.join(self.root, label, name), "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None

    def get(self, label):
        """(CA, Log) of case LABEL, or None if there is no such case."""
        if not label or label.startswith(".") or "/" in label:
            return None
        with self.lock:
            if label in self.cases:
                return self.cases[label]
            sc = self.read(label, "scenario")
            if sc is None:
                return None
            sc = sc.decode().strip()
            token = self.read(label, "token")
            pem = self.read(label, "pem")
            ca = CA(self.base + "/" + label,
                    token=None if token is None else
                    token.decode("utf-8", "surrogateescape"),
                    pem=None if pem is None else pem.decode().strip(),
                    ca_cert=self.ca_cert, ca_key=self.ca_key)
            SCENARIOS[sc](ca)
            log = Log(open(os.path.join(self.root, label, "log"), "a"))
            self.cases[label] = (ca, log)
            return self.cases[label]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hostile-ca/1"
    sys_version = ""
    cases = None	# Cases, or None for the one --scenario at the root
    ca = None		# that one scenario's CA
    log = None		# and its Log (the main log)

    def setup(self):
        self.request.settimeout(60)
        self.request.do_handshake()
        super().setup()

    def log_message(self, fmt, *args):
        pass

    def log_request(self, code="-", size="-"):
        pass

    def do_GET(self):
        self.serve(None)

    def do_HEAD(self):
        self.serve(None)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.serve(self.rfile.read(min(n, 1 << 20)))

    def find_case(self):
        """(CA, Log, path inside the case) of this request, or None."""
        if self.cases is None:
            return self.ca, self.log, self.path
        _, label, rest = (self.path + "/").split("/", 2)
        found = self.cases.get(label)
        if found is None:
            return None
        return found[0], found[1], "/" + rest[:-1]

    def serve(self, body):
        found = self.find_case()
        if found is None:
            self.log.line("%s %s -> 404 (no such case)" %
                          (self.command, self.path))
            self.send_error(404)
            return
        ca, log, path = found
        req = Request(self.command, path, body)
        try:
            reply = ca.route(req)
        except Exception as exc:	# a bug in the fake: say so loudly
            reply = problem(500, "serverInternal", "fake CA bug: %r" % exc)
            sys.stderr.write("fake CA bug: %s: %r\n" % (self.path, exc))
        what = "%s %s%s%s -> " % (self.command, path,
                                  " [onlyReturnExisting]" if req.lookup()
                                  else "", req.replaces_note())
        if reply.silent:
            log.line(what + "-")
            STOP.wait()
            return
        log.line(what + ("cut" if reply.cut else str(reply.status)))
        self.send_response(reply.status)
        self.send_header("Replay-Nonce", ca.nonce())
        self.send_header("Cache-Control", "no-store")
        if reply.ctype:
            self.send_header("Content-Type", reply.ctype)
        if reply.stream is None and "Content-Length" not in reply.headers:
            self.send_header("Content-Length", str(len(reply.body)))
        if reply.stream is not None and "Content-Length" not in reply.headers:
            self.send_header("Transfer-Encoding", "chunked")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD":
            return
        try:
            if reply.cut:
                self.wfile.write(reply.body[:len(reply.body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            if reply.stream is None:
                self.wfile.write(reply.body)
                return
            chunked = "Content-Length" not in reply.headers
            for chunk in reply.stream:
                if chunked:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                else:
                    self.wfile.write(chunk)
                self.wfile.flush()
        except OSError:
            self.close_connection = True	# the client gave up: fine


class TLSServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, handler, context):
        self.context = context
        super().__init__(addr, handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        # Handshake in the handler's thread: a silent client blocks no one.
        return self.context.wrap_socket(sock, server_side=True,
                                        do_handshake_on_connect=False), addr

    def handle_error(self, request, client_address):
        pass	# probes of the port, clients that hang up: not our concern


def silent_socket(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    return s


def serve_silent(s, log):
    """Accept connections and hold them open without a byte."""
    held = []
    while True:
        conn, _ = s.accept()
        log.line("CONNECT -> -")
        held.append(conn)


def main():
    p = argparse.ArgumentParser(description="A hostile fake ACME CA.")
    p.add_argument("--cases", help="serve the cases of this directory")
    p.add_argument("--scenario", help="serve this one scenario at the root")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--log")
    p.add_argument("--token")
    p.add_argument("--pem")
    p.add_argument("--ca-cert")
    p.add_argument("--ca-key")
    p.add_argument("--list", action="store_true")
    args = p.parse_args()
    if args.list:
        for name, fn in SCENARIOS.items():
            print("%-20s %s" % (name, " ".join((fn.__doc__ or "").split())))
        return 0
    if (args.cases is None) == (args.scenario is None):
        p.error("give --cases DIR or --scenario NAME")
    if args.scenario is not None and args.scenario not in SCENARIOS:
        p.error("unknown scenario %r (see --list)" % args.scenario)
    log = Log(open(args.log, "a") if args.log else sys.stderr)
    if args.scenario == "silent":
        s = silent_socket(args.port)
        log.line("listening %d" % s.getsockname()[1])
        serve_silent(s, log)
        return 0
    if not (args.cert and args.key):
        p.error("--cert and --key are required")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    server = TLSServer(("127.0.0.1", args.port), Handler, ctx)
    port = server.server_address[1]
    base = "https://127.0.0.1:%d" % port
    Handler.log = log
    if args.scenario is not None:
        Handler.ca = CA(base, token=args.token, pem=args.pem,
                        ca_cert=args.ca_cert, ca_key=args.ca_key)
        SCENARIOS[args.scenario](Handler.ca)
        log.line("listening %d" % port)
    else:
        Handler.cases = Cases(args.cases, base, args.ca_cert, args.ca_key)
        quiet = silent_socket(0)
        threading.Thread(target=serve_silent, args=(quiet, log),
                         daemon=True).start()
        log.line("listening %d %d" % (port, quiet.getsockname()[1]))
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
