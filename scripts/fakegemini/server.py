"""The HTTP server: connections, request bodies, responses, routing, the
admin endpoints /_fake/*, and the accounting of each API request.

Server holds the state every thread shares (Config, Stats, Quota, the stop
event).  Handler is one connection: it reads a request (Content-Length or
chunked), routes it to an endpoint (endpoints.py) or answers /_fake/* itself,
and gives the endpoints the ways to answer: send_raw/send_json, drop (close
or RST) and hang.  Each API request is counted once, before its bytes go
out (record).
"""

import http.server
import json
import re
import socket
import struct
import sys
import threading
import time
import traceback
import urllib.parse

from . import VERSION, batch, endpoints
from .gemini import HTML_CT, JSON_CT, bad_request, g_error, google_html, pretty
from .prefixcache import PrefixCache
from .quotas import Quota
from .stats import Stats

MAX_BODY = 20 * 1024 * 1024
OPENAI_PATHS = {"/chat/completions", "/v1/chat/completions", "/v1beta/openai/chat/completions"}
GEN_RE = re.compile(r"^/(v1beta|v1|v1alpha)/models/([^/:]+):([A-Za-z]+)$")
BATCH_RE = re.compile(r"^/(upload/v1beta/files|download/v1beta/files/|v1beta/files/|"
                      r"v1beta/batches)")
MODEL_RE = re.compile(r"^/(v1beta|v1|v1alpha)/models(?:/([^/:]+))?/?$")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024

    def __init__(self, addr, cfg, verbose):
        self.cfg = cfg
        self.verbose = verbose
        self.stats = Stats()
        self.quota = Quota()
        self.batches = batch.BatchStore()
        self.prefix = PrefixCache()
        self.stopping = threading.Event()
        self.log_lock = threading.Lock()
        super().__init__(addr, Handler)

    def log(self, msg):
        if self.verbose:
            with self.log_lock:
                sys.stderr.write("fake-gemini: %s\n" % msg)
                sys.stderr.flush()

    def reset(self):
        self.stats.reset()
        self.quota.reset()
        self.batches.reset()
        self.prefix.reset()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "scaffolding"
    sys_version = "on HTTPServer2"
    disable_nagle_algorithm = True
    timeout = 300          # idle keep-alive connections are closed after this

    # --- connection bookkeeping ------------------------------------------------
    def setup(self):
        super().setup()
        self.nreq = 0
        self.server.stats.conn(+1)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.stats.conn(-1)

    def log_message(self, fmt, *args):
        self.server.log("%s %s" % (self.address_string(), fmt % args))

    def log_request(self, code="-", size="-"):
        pass

    # --- low-level I/O ------------------------------------------------------------
    def read_body(self, limit=MAX_BODY):
        """Read the request body (at most limit bytes); on failure respond/close and
        return None."""
        te = self.headers.get("Transfer-Encoding", "").lower()
        if "chunked" in te:
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    self.close_connection = True
                    return None
                try:
                    size = int(line.split(b";")[0].strip(), 16)
                except ValueError:
                    self.send_json(*bad_request("bad chunked encoding"), close=True)
                    return None
                if size == 0:
                    while True:             # trailers
                        t = self.rfile.readline(65537)
                        if t in (b"\r\n", b"\n", b""):
                            break
                    return b"".join(chunks)
                total += size
                if total > limit:
                    self.send_json(*self.too_large(), close=True)
                    return None
                data = self.rfile.read(size)
                self.rfile.readline(3)
                if len(data) < size:
                    self.close_connection = True
                    return None
                chunks.append(data)
        cl = self.headers.get("Content-Length")
        if cl is None:
            return b""
        try:
            n = int(cl)
            if n < 0:
                raise ValueError
        except ValueError:
            self.send_json(*bad_request("bad Content-Length"), close=True)
            return None
        if n > limit:
            self.send_json(*self.too_large(), close=True)
            return None
        data = self.rfile.read(n)
        if len(data) < n:
            self.close_connection = True
            return None
        return data

    @staticmethod
    def too_large():
        return 400, g_error(400, "INVALID_ARGUMENT",
                            "Request payload size exceeds the limit: %d bytes." % MAX_BODY)

    def send_raw(self, status, body, ctype=JSON_CT, headers=(), close=False, chunked=False,
                 short=False):
        self.nreq += 1
        mcr = self.server.cfg.max_conn_requests
        if mcr and self.nreq >= mcr:
            close = True
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Vary", "Origin, X-Origin, Referer")
        self.send_header("X-Content-Type-Options", "nosniff")
        for k, v in headers:
            self.send_header(k, v)
        if chunked and not short:
            self.send_header("Transfer-Encoding", "chunked")
            mid = len(body) // 2
            payload = b"".join(b"%x\r\n%s\r\n" % (len(c), c)
                               for c in (body[:mid], body[mid:]) if c) + b"0\r\n\r\n"
        else:
            self.send_header("Content-Length", str(len(body)))
            payload = body[:len(body) // 2] if short else body
        if close or short or self.close_connection:
            self.send_header("Connection", "close")
            self.close_connection = True
        elif self.request_version == "HTTP/1.0":
            self.send_header("Connection", "keep-alive")
        self.record(status)
        # headers and body in one write: no Nagle/delayed-ACK stalls
        self._headers_buffer.append(b"\r\n")
        self._headers_buffer.append(payload)
        self.flush_headers()
        if short:
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def send_json(self, status, obj, headers=(), close=False, chunked=False, compact=False):
        body = (json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
                if compact else pretty(obj))
        self.send_raw(status, body, headers=headers, close=close, chunked=chunked)
        return status

    def drop(self, reset=False):
        self.close_connection = True
        self.record("reset" if reset else "drop")
        try:
            if reset:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.connection.close()
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def hang(self):
        """Keep the socket open and silent until the client closes it (or we stop)."""
        self.close_connection = True
        deadline = time.monotonic() + self.server.cfg.hang_max_s
        sock = self.connection
        try:
            sock.settimeout(0.2)
            while not self.server.stopping.is_set() and time.monotonic() < deadline:
                try:
                    if not sock.recv(65536):
                        break
                except socket.timeout:
                    continue
        except OSError:
            pass
        self.record("hang")

    # --- dispatch -------------------------------------------------------------------
    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def dispatch(self, method):
        t0 = time.monotonic()
        path, _, query = self.path.partition("?")
        path = urllib.parse.unquote(path)
        body = self.read_body(batch.MAX_UPLOAD if path.startswith("/upload/") else MAX_BODY)
        if body is None:
            return
        if path.startswith("/_fake/"):
            return self.admin(method, path, query, body)
        m = GEN_RE.match(path)
        if m and m.group(3) == "batchGenerateContent" or BATCH_RE.match(path):
            endpoint = "batch"
        elif m:
            endpoint = "generateContent"
        elif path in OPENAI_PATHS:
            endpoint = "openai"
        elif MODEL_RE.match(path):
            endpoint = "models"
        else:
            endpoint = "other"
        self.server.stats.begin(endpoint)
        self.t0, self.method = t0, method
        self.res = {"status": None, "model": None, "fault": None, "delay": None, "toks": None,
                    "done": False}
        try:
            if endpoint == "batch":
                if m and method == "POST":
                    batch.create(self, m.group(1), m.group(2), query, body)
                elif m or not batch.route(self, method, path, query, body):
                    self.send_json(404, g_error(404, "NOT_FOUND", "Method not found."))
            elif endpoint == "generateContent":
                if method != "POST":
                    self.send_json(404, g_error(404, "NOT_FOUND", "Method not found."))
                else:
                    endpoints.generate_content(self, m.group(1), m.group(2), m.group(3),
                                               query, body)
            elif endpoint == "openai":
                endpoints.chat_completions(self, method, query, body)
            elif endpoint == "models":
                endpoints.list_models(self, method, MODEL_RE.match(path), query)
            else:
                self.send_raw(404, google_html(404), HTML_CT)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            self.record("drop")
        except Exception:
            sys.stderr.write("fake-gemini: internal error on %s %s\n%s"
                             % (method, self.path, traceback.format_exc()))
            try:
                self.send_json(500, g_error(
                    500, "INTERNAL", "fake-gemini internal error (see its stderr)"), close=True)
            except OSError:
                self.close_connection = True
        finally:
            self.record(None)
            self.res = None

    def record(self, status):
        """Account for the current API request once, *before* its bytes go out, so a
        client that reads /_fake/stats right after its response sees it counted."""
        r = getattr(self, "res", None)
        if r is None or r["done"]:
            return
        r["done"] = True
        ms = (time.monotonic() - self.t0) * 1000.0
        self.server.stats.end(status, r["model"], r["fault"], r["delay"], ms, r["toks"])
        self.server.log("%s %s -> %s%s %.1fms" % (
            self.method, self.path, status, " fault=%s" % r["fault"] if r["fault"] else "", ms))

    # --- admin ----------------------------------------------------------------------
    def admin(self, method, path, query, body):
        srv = self.server
        qs = urllib.parse.parse_qs(query)
        if path == "/_fake/stats" and method == "GET":
            snap = srv.stats.snapshot(srv.cfg, srv.server_address[1])
            snap["batch"] = srv.batches.snapshot()
            if qs.get("reset", ["0"])[0] not in ("0", ""):
                srv.reset()
            return self.send_json(200, snap)
        if path == "/_fake/reset" and method == "POST":
            srv.reset()
            return self.send_json(200, {"reset": True})
        if path == "/_fake/health":
            return self.send_json(200, {"ok": True, "version": VERSION})
        if path == "/_fake/config":
            if method == "POST":
                try:
                    srv.cfg.update(json.loads(body or b"{}"))
                except (ValueError, TypeError) as e:
                    return self.send_json(400, {"error": str(e)})
            return self.send_json(200, srv.cfg.public())
        return self.send_json(404, {"error": "unknown admin endpoint %s %s" % (method, path)})
