#!/usr/bin/env python3
"""fault_proxy.py - an HTTPS reverse proxy in front of pebble that loses,
rejects or replaces chosen answers, for tests/integration-faults.sh.

A real CA (pebble) cannot be made to lose the answer to a request it has
carried out, or to stand behind a gateway that answers 504.  This proxy
can, for the one request a test picks, while everything else passes
through untouched:

    fault_proxy.py --cert CERT --key KEY --log FILE
                   [--port PORT] [--upstream URL] [--ca-bundle FILE]
                   [--hold SECONDS] [--rules FILE] [--rule SPEC ...]

It listens on 127.0.0.1:PORT (0, the default: any free port) with HTTPS,
using CERT and KEY (PEM; the test reuses the certificate testca.sh made
for pebble, valid for localhost and 127.0.0.1, so the client trusts it
with the same --ca-bundle).  Every request is forwarded to --upstream
(default https://127.0.0.1:14000, an address: a bare chroot may have no
/etc/hosts to resolve localhost with) over a new TLS connection verified
with --ca-bundle, with its Host header unchanged: pebble builds the URLs
in its answers from that header, so they all point back at the proxy and
the client keeps coming through it.  The directory is
https://localhost:PORT/dir.

Rules pick requests by method and path and say what to do with them.  On
the command line, --rule ACTION:N:PATH (repeatable); PATH is the request
path without the query, and may end in "*" to match a prefix.  Each rule
counts the requests it matches, from 1, and applies to the Nth only
(several rules may count the same requests: badnonce:1:P and
swallow:2:P reject the first POST to P and lose the answer to the
second).  N+ applies to the Nth and every one after it.  Rules are for
POST requests unless ACTION is METHOD/ACTION (GET/504, HEAD/swallow).
ACTION is one of:

    badnonce  answer 400 urn:ietf:params:acme:error:badNonce
              (application/problem+json) with a fresh, valid Replay-Nonce
              from pebble's newNonce (HEAD), WITHOUT forwarding the request
    swallow   forward the request and discard pebble's answer; hold the
              connection without answering until the client gives up
              (closes it) or --hold SECONDS (default 60) pass
    NNN       forward the request and answer HTTP NNN instead of pebble's
              answer: 504 and 503 with a small HTML page (nginx style),
              500 with a small non-ACME JSON document; 503 carries
              Retry-After: 1.

--rules FILE gives the same as a JSON list of objects:

    [{"action": "badnonce", "path": "/rollover-account-key", "nth": 1},
     {"action": "503", "path": "/rollover-account-key", "nth": 2,
      "method": "POST", "retry_after": "1", "body": "...",
      "content_type": "text/html"},
     {"action": "504", "path": "/my-order/*", "nth": 1, "every": true,
      "after": "/finalize-order/*"}]

and two members the command line has not: "every" (as N+) and "after", a
PATH (POST) the rule waits for: it counts only the requests that come
after the first request to that PATH (which the rule does not count
itself).  The last example loses every answer to an order poll once the
order was finalized, whatever the polls before.

--log FILE gets "listening PORT" once the socket is bound, then one line
per request when the proxy is done with it:

    METHOD PATH forwarded STATUS                  passed through
    METHOD PATH forwarded STATUS replaced NNN     rule NNN
    METHOD PATH forwarded STATUS swallowed        rule swallow
    METHOD PATH answered 400 badNonce             rule badnonce (not sent
                                                  to pebble)
    METHOD PATH failed REASON                     pebble did not answer

so that "grep -c '^POST /rollover-account-key forwarded'" counts the key
changes that reached pebble, whatever became of their answers.  For
swallow the line is written as soon as pebble has answered, before the
hold.  PATH is logged without its query.

The proxy speaks HTTP/1.1 only (ALPN "http/1.1"), closes every inherited
descriptor above 2 when it starts (a test harness lock must not outlive
the test in it), and stops on SIGTERM or SIGINT.  Python 3 standard
library only.
"""

import argparse
import http.client
import json
import os
import select
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Hop-by-hop headers (RFC 9110 section 7.6.1) and those the proxy sets
# itself: never copied from one side to the other.
HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
       "proxy-authorization", "te", "trailer", "transfer-encoding",
       "upgrade", "expect", "content-length"}

PAGES = {
    500: ("application/json",
          '{"error": "internal server error", "code": 500}\n'),
    502: ("text/html", "<html>\r\n<head><title>502 Bad Gateway</title>"
          "</head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>"
          "\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"),
    503: ("text/html", "<html>\r\n<head><title>503 Service Temporarily "
          "Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service "
          "Temporarily Unavailable</h1></center>\r\n<hr><center>nginx"
          "</center>\r\n</body>\r\n</html>\r\n"),
    504: ("text/html", "<html>\r\n<head><title>504 Gateway Time-out"
          "</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out"
          "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n"
          "</html>\r\n"),
}


class Rule:
    def __init__(self, action, path, nth, method="POST", retry_after=None,
                 body=None, content_type=None, every=False, after=None):
        action = str(action).lower()
        if "/" in action:
            method, action = action.split("/", 1)
        if action not in ("badnonce", "swallow") and not (
                action.isdigit() and len(action) == 3):
            raise ValueError("unknown action %r" % action)
        self.action = action
        self.method = method.upper()
        self.path = path
        nth = str(nth)
        self.every = bool(every) or nth.endswith("+")
        self.nth = int(nth.rstrip("+"))
        self.after = after
        self.armed = after is None	# "after" was seen (or not asked)
        if self.nth < 1:
            raise ValueError("N must be 1 or more")
        self.retry_after = retry_after
        if retry_after is None and action == "503":
            self.retry_after = "1"
        self.body = body
        self.content_type = content_type
        self.seen = 0		# requests matched so far

    @classmethod
    def parse(cls, spec):
        """ACTION:N:PATH"""
        parts = spec.split(":", 2)
        if len(parts) != 3:
            raise ValueError("rule %r: want ACTION:N:PATH" % spec)
        return cls(parts[0], parts[2], parts[1])

    def matches(self, method, path):
        return method == self.method and path_matches(self.path, path)

    def turn(self):
        """Whether the request just counted is one this rule applies to."""
        return self.seen == self.nth or (self.every and self.seen > self.nth)


def path_matches(pattern, path):
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    return path == pattern


class Proxy:
    """What every handler thread shares."""

    def __init__(self, args, rules):
        u = urllib.parse.urlsplit(args.upstream)
        if u.scheme != "https" or not u.hostname:
            raise ValueError("--upstream must be an https URL")
        self.up_host = u.hostname
        self.up_port = u.port or 443
        self.up_ctx = ssl.create_default_context(cafile=args.ca_bundle)
        self.up_ctx.set_alpn_protocols(["http/1.1"])
        self.hold = args.hold
        self.rules = rules
        self.lock = threading.Lock()
        self.logf = open(args.log, "a", buffering=1)
        self.nonce_path = None
        self.stop = threading.Event()

    def log(self, line):
        with self.lock:
            self.logf.write(line + "\n")
            self.logf.flush()

    def pick(self, method, path):
        """Count this request in every rule it matches; the first rule
        whose turn it is, if any."""
        chosen = None
        with self.lock:
            for r in self.rules:
                if r.armed and r.matches(method, path):
                    r.seen += 1
                    if r.turn() and chosen is None:
                        chosen = r
            # Armed after the counting: the request it waits for is not
            # one of those it counts.
            for r in self.rules:
                if not r.armed and method == "POST" and path_matches(
                        r.after, path):
                    r.armed = True
        return chosen

    def upstream(self, method, target, headers, body):
        """One request to pebble: (status, reason, header list, body)."""
        conn = http.client.HTTPSConnection(self.up_host, self.up_port,
                                           context=self.up_ctx, timeout=60)
        try:
            conn.putrequest(method, target, skip_host=True,
                            skip_accept_encoding=True)
            for k, v in headers:
                conn.putheader(k, v)
            if body or method in ("POST", "PUT"):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body if body else None)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, resp.reason, resp.getheaders(), data
        finally:
            conn.close()

    def fresh_nonce(self, host):
        """A valid nonce from pebble's newNonce (HEAD)."""
        if self.nonce_path is None:
            st, _, _, body = self.upstream("GET", "/dir", [("Host", host)],
                                           b"")
            url = json.loads(body.decode())["newNonce"]
            self.nonce_path = urllib.parse.urlsplit(url).path
        _, _, hdrs, _ = self.upstream("HEAD", self.nonce_path,
                                      [("Host", host)], b"")
        for k, v in hdrs:
            if k.lower() == "replay-nonce":
                return v
        return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fault_proxy"
    timeout = 120		# an idle keep-alive connection goes away

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.proxy()

    def do_HEAD(self):
        self.proxy()

    def do_POST(self):
        self.proxy()

    def do_PUT(self):
        self.proxy()

    def do_DELETE(self):
        self.proxy()

    def read_body(self):
        n = self.headers.get("Content-Length")
        if n is None:
            return b""
        return self.rfile.read(int(n))

    def send(self, status, headers, body, reason=None):
        self.send_response_only(status, reason)
        self.send_header("Date", self.date_time_string())
        for k, v in headers:
            self.send_header(k, v)
        no_body = (self.command == "HEAD" or status in (204, 304) or
                   100 <= status < 200)
        if status not in (204, 304) and not 100 <= status < 200:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not no_body and body:
            self.wfile.write(body)
        self.wfile.flush()

    def proxy(self):
        p = self.server.p
        method = self.command
        path = urllib.parse.urlsplit(self.path).path
        body = self.read_body()
        host = self.headers.get("Host", "localhost")
        rule = p.pick(method, path)

        if rule is not None and rule.action == "badnonce":
            try:
                nonce = p.fresh_nonce(host)
            except Exception as exc:
                p.log("%s %s failed newNonce: %s" % (method, path, exc))
                self.close_connection = True
                return
            doc = {"type": "urn:ietf:params:acme:error:badNonce",
                   "detail": "JWS has an invalid anti-replay nonce "
                             "(fault_proxy)",
                   "status": 400}
            hdrs = [("Content-Type", "application/problem+json"),
                    ("Cache-Control", "no-store")]
            if nonce:
                hdrs.append(("Replay-Nonce", nonce))
            p.log("%s %s answered 400 badNonce" % (method, path))
            self.send(400, hdrs, json.dumps(doc).encode())
            return

        fwd = [(k, v) for k, v in self.headers.items()
               if k.lower() not in HOP]
        try:
            status, reason, hdrs, data = p.upstream(method, self.path, fwd,
                                                    body)
        except Exception as exc:
            p.log("%s %s failed %s" % (method, path,
                                       str(exc).replace("\n", " ")))
            self.close_connection = True
            return

        if rule is not None and rule.action == "swallow":
            p.log("%s %s forwarded %d swallowed" % (method, path, status))
            self.swallow()
            return
        if rule is not None:
            code = int(rule.action)
            ctype, page = PAGES.get(code, ("text/html",
                                           "<html><body><h1>%d</h1></body>"
                                           "</html>\r\n" % code))
            if rule.content_type is not None:
                ctype = rule.content_type
            if rule.body is not None:
                page = rule.body
            out = [("Content-Type", ctype), ("Server", "nginx")]
            if rule.retry_after is not None:
                out.append(("Retry-After", str(rule.retry_after)))
            p.log("%s %s forwarded %d replaced %d" % (method, path, status,
                                                      code))
            self.send(code, out, page.encode())
            return

        out = [(k, v) for k, v in hdrs if k.lower() not in HOP]
        p.log("%s %s forwarded %d" % (method, path, status))
        self.send(status, out, data, reason)

    def swallow(self):
        """Answer nothing; wait for the client to hang up."""
        p = self.server.p
        sock = self.connection
        deadline = time.monotonic() + p.hold
        while not p.stop.is_set() and time.monotonic() < deadline:
            try:
                ready, _, _ = select.select([sock], [], [], 0.2)
                if ready:
                    # Anything but more of a request (the client sends
                    # none while it waits): close_notify, EOF, reset.
                    if not sock.recv(1):
                        break
            except (OSError, ValueError):
                break
        self.close_connection = True


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, proxy, ctx):
        self.p = proxy
        self.ctx = ctx
        super().__init__(addr, Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        # The handshake happens in the handler thread, on first read: a
        # client that stalls in it cannot block the accept loop.
        return self.ctx.wrap_socket(sock, server_side=True,
                                    do_handshake_on_connect=False), addr

    def handle_error(self, request, client_address):
        # A client that timed out and hung up is expected here.
        pass


def close_inherited():
    try:
        fds = [int(x) for x in os.listdir("/proc/self/fd")]
    except OSError:
        fds = range(3, 1024)
    for fd in fds:
        if fd > 2:
            try:
                os.close(fd)
            except OSError:
                pass


def main():
    close_inherited()
    ap = argparse.ArgumentParser(
        description="HTTPS reverse proxy in front of pebble that injects "
                    "faults (see the top of this file)")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--upstream", default="https://127.0.0.1:14000")
    ap.add_argument("--ca-bundle", default=None)
    ap.add_argument("--log", required=True)
    ap.add_argument("--hold", type=float, default=60.0)
    ap.add_argument("--rules", default=None, help="JSON file of rules")
    ap.add_argument("--rule", action="append", default=[],
                    help="ACTION:N:PATH (repeatable)")
    args = ap.parse_args()

    rules = []
    try:
        if args.rules:
            with open(args.rules) as f:
                for r in json.load(f):
                    rules.append(Rule(r["action"], r["path"], r["nth"],
                                      r.get("method", "POST"),
                                      r.get("retry_after"), r.get("body"),
                                      r.get("content_type"),
                                      r.get("every", False), r.get("after")))
        for spec in args.rule:
            rules.append(Rule.parse(spec))
        proxy = Proxy(args, rules)
    except (OSError, ValueError, KeyError) as exc:
        print("fault_proxy: %s" % exc, file=sys.stderr)
        return 2

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    ctx.set_alpn_protocols(["http/1.1"])
    server = Server(("127.0.0.1", args.port), proxy, ctx)

    def on_signal(signum, frame):
        proxy.stop.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    proxy.log("listening %d" % server.server_address[1])
    for r in rules:
        proxy.log("rule %s/%s %d%s %s%s" % (
            r.method, r.action, r.nth, "+" if r.every else "", r.path,
            " after " + r.after if r.after else ""))
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
