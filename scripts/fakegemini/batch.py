"""Gemini's Batch API and the Files API it needs: the resumable upload
(POST /upload/v1beta/files, then the session URL), files.get, batch create
(POST /v1beta/models/MODEL:batchGenerateContent with an input file),
batches get, list (paged), cancel and delete, and the download of a
finished batch's responses file (GET /download/v1beta/files/ID:download).

Shapes follow the live API: create, get and list answer google.longrunning
Operations whose "metadata" is the GenerateContentBatch (displayName,
model, inputConfig.fileName, createTime, batchStats, state
BATCH_STATE_PENDING|RUNNING|SUCCEEDED|FAILED|CANCELLED|EXPIRED, output
.responsesFile) and, once done, "done": true with "response" (the
GenerateContentBatchOutput) or "error".  The input file has one line per
request, {"key": K, "request": GenerateContentRequest}; the responses file
one line per request, {"key": K, "response": GenerateContentResponse} or
{"key": K, "error": google.rpc.Status}, not in input order.

A batch is PENDING, then RUNNING, then ends batch_delay_s after its
creation (mutable: /_fake/config, read whenever the batch is looked at, so
a test can hold batches running and then let them end).  A create is
counted before batch_create_delay_s passes and its answer goes out, so a
client killed meanwhile has submitted without knowing the batch's name.  Its lines are answered when it ends,
through the same directives as generateContent ([[fake:500x1]] is an error
line the first time that prompt is sent, in a batch or not); batch-level
outcomes (batch-failed, batch-expired) end the whole batch so, and
batch-missing leaves a line out.  BatchStore counts every call, and each
display name's submissions (creates): a client that submits one chunk
twice shows up as submissions_max 2.
"""

import hashlib
import json
import random
import threading
import time
import urllib.parse

from . import gemini
from .answers import camel
from .faults import DirectiveError, parse_directives, pick_outcome
from .gemini import api_key_in_url, api_key_invalid, bad_request, g_error, model_not_found
from .validate import validate_gemini

BATCH_OUTCOMES = ("batch-failed", "batch-expired")
STATE = "BATCH_STATE_"
META_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatch"
OUT_TYPE = ("type.googleapis.com/google.ai.generativelanguage.v1beta."
            "GenerateContentBatchOutput")
MAX_UPLOAD = 512 * 1024 * 1024
COUNTERS = ("upload_starts", "uploads", "uploads_in_progress", "file_gets", "creates",
            "gets", "lists", "cancels", "deletes", "downloads", "downloads_in_progress",
            "lines")


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % (
        int(t * 1e6) % 1000000)


def rid(seed):
    return hashlib.sha1(seed.encode("utf-8")).hexdigest()[:16]


class BatchStore:
    """Files, upload sessions and batches, shared by every connection."""

    def __init__(self):
        self.lock = threading.Lock()
        self.files = {}          # "files/ID" -> {"meta": {...}, "data": bytes}
        self.sessions = {}       # upload id -> {"size", "ctype", "display", "data"}
        self.batches = {}        # "batches/ID" -> dict (see create)
        self.seq = 0
        self.reset()

    def reset(self):
        with self.lock:
            self.count = {k: 0 for k in COUNTERS}
            self.submissions = {}

    def bump(self, name, n=1):
        with self.lock:
            self.count[name] += n

    def next_id(self, what):
        with self.lock:
            self.seq += 1
            return rid("%s|%d|%f" % (what, self.seq, time.time()))

    def snapshot(self):
        with self.lock:
            d = dict(self.count)
            d["submissions"] = dict(self.submissions)
            d["submissions_max"] = max(self.submissions.values()) if self.submissions else 0
            d["batches"] = len(self.batches)
            d["states"] = {}
            for b in self.batches.values():
                d["states"][b["state"]] = d["states"].get(b["state"], 0) + 1
        return d


# --- helpers every endpoint uses ---------------------------------------------------------
def check_key(h, query):
    """The key checks of generateContent; True when the request may go on."""
    cfg = h.server.cfg
    if "key" in urllib.parse.parse_qs(query, keep_blank_values=True):
        h.send_json(*api_key_in_url())
        return False
    key = h.headers.get("x-goog-api-key")
    if key not in cfg.keys:
        h.send_json(*api_key_invalid(key))
        return False
    return True


def not_found(what):
    return 404, g_error(404, "NOT_FOUND", "%s not found." % what)


def pause(h, seconds):
    if seconds > 0:
        h.server.stopping.wait(seconds)


# --- Files API -----------------------------------------------------------------------------
def file_meta(fid, display, ctype, data, now):
    return {"name": fid, "displayName": display, "mimeType": ctype,
            "sizeBytes": str(len(data)), "createTime": rfc3339(now),
            "updateTime": rfc3339(now), "expirationTime": rfc3339(now + 48 * 3600),
            "sha256Hash": hashlib.sha256(data).hexdigest(),
            "uri": "https://generativelanguage.googleapis.com/v1beta/" + fid,
            "state": "ACTIVE", "source": "UPLOADED"}


def upload(h, query, body):
    """POST /upload/v1beta/files: start a session, or (with upload_id) send
    its bytes: 'upload', 'upload, finalize' or 'query'."""
    store, cfg = h.server.batches, h.server.cfg
    qs = urllib.parse.parse_qs(query)
    cmd = h.headers.get("X-Goog-Upload-Command", "").replace(" ", "").lower()
    if "upload_id" not in qs:
        if not check_key(h, query):
            return None
        if h.headers.get("X-Goog-Upload-Protocol", "").lower() != "resumable" or cmd != "start":
            return h.send_json(*bad_request("fake-gemini: only the resumable upload "
                                            "protocol is emulated (X-Goog-Upload-Protocol: "
                                            "resumable, X-Goog-Upload-Command: start)"))
        try:
            size = int(h.headers.get("X-Goog-Upload-Header-Content-Length", ""))
            meta = json.loads(body or b"{}").get("file") or {}
        except (ValueError, AttributeError):
            return h.send_json(*bad_request("Invalid JSON payload received."))
        uid = store.next_id("upload")
        with store.lock:
            store.sessions[uid] = {
                "size": size, "data": b"", "display": meta.get("display_name",
                                                               meta.get("displayName", "")),
                "ctype": h.headers.get("X-Goog-Upload-Header-Content-Type",
                                       "application/octet-stream")}
        store.bump("upload_starts")
        host = h.headers.get("Host", "127.0.0.1:%d" % h.server.server_address[1])
        url = "http://%s/upload/v1beta/files?upload_id=%s&upload_protocol=resumable" % (
            host, uid)
        return h.send_raw(200, b"", headers=[("X-Goog-Upload-URL", url),
                                             ("X-Goog-Upload-Status", "active"),
                                             ("X-Goog-Upload-Chunk-Granularity", "8388608")])
    uid = qs["upload_id"][0]
    with store.lock:
        s = store.sessions.get(uid)
    if s is None:
        return h.send_json(*not_found("Upload session"))
    if cmd == "query":
        return h.send_raw(200, b"", headers=[("X-Goog-Upload-Status", "active"),
                                             ("X-Goog-Upload-Size-Received",
                                              str(len(s["data"])))])
    try:
        off = int(h.headers.get("X-Goog-Upload-Offset", ""))
    except ValueError:
        return h.send_json(*bad_request("X-Goog-Upload-Offset is required"))
    if off != len(s["data"]):
        return h.send_json(*bad_request("X-Goog-Upload-Offset %d, but %d bytes received"
                                        % (off, len(s["data"]))))
    store.bump("uploads_in_progress")
    try:
        pause(h, cfg.batch_upload_delay_s)
        s["data"] += body
        if "finalize" not in cmd.split(","):
            return h.send_raw(200, b"", headers=[("X-Goog-Upload-Status", "active")])
        if len(s["data"]) != s["size"]:
            return h.send_json(*bad_request("Upload size %d is not the announced %d bytes"
                                            % (len(s["data"]), s["size"])))
        fid = "files/" + store.next_id("file")
        now = time.time()
        meta = file_meta(fid, s["display"], s["ctype"], s["data"], now)
        with store.lock:
            store.files[fid] = {"meta": meta, "data": s["data"]}
            del store.sessions[uid]
        store.bump("uploads")
        return h.send_json(200, {"file": meta}, headers=[("X-Goog-Upload-Status", "final")])
    finally:
        store.bump("uploads_in_progress", -1)


def get_file(h, fid, query):
    """GET /v1beta/files/ID"""
    if not check_key(h, query):
        return None
    store = h.server.batches
    store.bump("file_gets")
    with store.lock:
        f = store.files.get(fid)
    if f is None:
        return h.send_json(*not_found("File %s" % fid))
    return h.send_json(200, f["meta"])


def download(h, fid, query):
    """GET /download/v1beta/files/ID:download?alt=media"""
    if not check_key(h, query):
        return None
    store = h.server.batches
    with store.lock:
        f = store.files.get(fid)
    if f is None:
        return h.send_json(*not_found("File %s" % fid))
    store.bump("downloads_in_progress")
    try:
        pause(h, h.server.cfg.batch_download_delay_s)
        store.bump("downloads")
        return h.send_raw(200, f["data"], ctype="application/octet-stream")
    finally:
        store.bump("downloads_in_progress", -1)


# --- the batch's fate and its lines ----------------------------------------------------
def request_texts(req):
    user, system = [], []
    for c in req.get("contents") or []:
        if isinstance(c, dict) and c.get("role", "user") in ("user", "", None):
            user += [p["text"] for p in c.get("parts") or []
                     if isinstance(p, dict) and isinstance(p.get("text"), str)]
    si = req.get("systemInstruction") or {}
    if isinstance(si, dict):
        system += [p["text"] for p in si.get("parts") or []
                   if isinstance(p, dict) and isinstance(p.get("text"), str)]
    user_text = "\n".join(user)
    return user_text, user_text + "\n" + "\n".join(system)


def parse_input(data):
    """[(key, request)], or a message saying why the file is not an input file."""
    out = []
    for i, raw in enumerate(data.splitlines()):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return "line %d of the input file is not JSON" % (i + 1)
        if not isinstance(line, dict) or not isinstance(line.get("request"), dict):
            return "line %d of the input file has no 'request' object" % (i + 1)
        out.append((str(line.get("key", "")), line["request"]))
    return out


def batch_fate(h, lines):
    """'FAILED', 'EXPIRED' or None, from the lines' batch-level directives."""
    stats = h.server.stats
    fate = None
    for _, req in lines:
        _, all_text = request_texts(req)
        try:
            outcomes, _ = parse_directives(all_text)
        except DirectiveError:
            continue
        outcomes = [o for o in outcomes if o[0] in BATCH_OUTCOMES]
        if not outcomes:
            continue
        pkey = "batch|" + hashlib.sha1(all_text.encode("utf-8")).hexdigest()
        o = pick_outcome(outcomes, stats.attempt(pkey))
        if o is not None and fate is None:
            fate = "FAILED" if o == "batch-failed" else "EXPIRED"
    return fate


def answer_line(h, model, key, req):
    """One output line for one input line, or None (batch-missing)."""
    srv, cfg = h.server, h.server.cfg
    user_text, all_text = request_texts(req)
    if not cfg.lenient:
        err = validate_gemini(req, model)
        if err:
            return {"key": key, "error": err[1]["error"]}
    try:
        outcomes, _ = parse_directives(all_text)
    except DirectiveError as e:
        return {"key": key, "error": g_error(400, "INVALID_ARGUMENT",
                                             "fake-gemini: %s" % e)["error"]}
    outcomes = [o for o in outcomes if o[0] not in BATCH_OUTCOMES]
    pkey = hashlib.sha1(user_text.encode("utf-8")).hexdigest()
    fault = pick_outcome(outcomes, srv.stats.attempt(pkey))
    if fault == "batch-missing":
        return None
    try:
        return {"key": key, "error": gemini.simple_error(fault, model)[1]["error"]}
    except KeyError:
        pass
    if fault in ("hang", "drop", "reset", "html", "408", "short-body", "badjson") or \
            (fault or "").endswith("echo-key") or (fault or "").startswith("429"):
        code = 429 if (fault or "").startswith("429") else 500
        return {"key": key, "error": {"code": code, "message": "fake-gemini: %s in a batch"
                                      % fault,
                                      "status": "RESOURCE_EXHAUSTED" if code == 429
                                      else "INTERNAL"}}
    gc = {camel(k): v for k, v in (req.get("generationConfig") or {}).items()}
    obj, toks = gemini.answer(model, gc, user_text, fault, {})
    srv.stats.add_tokens(toks)
    return {"key": key, "response": obj}


def finish(h, b, now):
    """Ends b (PENDING or RUNNING past its time): its fate, or its lines answered."""
    store = h.server.batches
    lines = b["lines"]
    if isinstance(lines, str):
        b["state"], b["error"] = "FAILED", {"code": 400, "message": lines}
    else:
        fate = batch_fate(h, lines)
        if fate:
            b["state"] = fate
            if fate == "FAILED":
                b["error"] = {"code": 13, "message": "fake-gemini: the batch failed"}
        else:
            out = [answer_line(h, b["model"], k, r) for k, r in lines]
            out = [o for o in out if o is not None]
            random.Random(b["name"]).shuffle(out)
            data = b"".join(json.dumps(o, separators=(",", ":")).encode("utf-8") + b"\n"
                            for o in out)
            fid = "files/batch-" + b["name"].split("/")[1]
            with store.lock:
                store.files[fid] = {"meta": file_meta(fid, "responses of " + b["name"],
                                                      "application/jsonl", data, now),
                                    "data": data}
            b["responses"] = fid
            b["ok"] = sum(1 for o in out if "response" in o)
            b["failed"] = len(lines) - b["ok"]
            b["state"] = "SUCCEEDED"
            store.bump("lines", len(lines))
    b["end"] = now


def advance(h, b):
    """Moves b along its timeline; called under no lock, one thread per batch
    at a time (b["mu"])."""
    with b["mu"]:
        now = time.time()
        delay = h.server.cfg.batch_delay_s
        if b["state"] in ("PENDING", "RUNNING"):
            if now >= b["created"] + delay:
                finish(h, b, now)
            elif now >= b["created"] + delay * 0.3:
                b["state"] = "RUNNING"


def operation(b):
    n = len(b["lines"]) if isinstance(b["lines"], list) else 0
    stats = {"requestCount": str(n)}
    if b["state"] in ("PENDING", "RUNNING"):
        stats["pendingRequestCount"] = str(n)
    elif b["state"] == "SUCCEEDED":
        stats["successfulRequestCount"] = str(b["ok"])
        stats["failedRequestCount"] = str(b["failed"])
    meta = {"@type": META_TYPE, "model": "models/" + b["model"],
            "displayName": b["display"], "inputConfig": {"fileName": b["file"]},
            "createTime": rfc3339(b["created"]),
            "updateTime": rfc3339(b.get("end") or b["created"]),
            "batchStats": stats, "state": STATE + b["state"], "name": b["name"]}
    op = {"name": b["name"], "metadata": meta}
    if b.get("end"):
        meta["endTime"] = rfc3339(b["end"])
        op["done"] = True
    if b["state"] == "SUCCEEDED":
        meta["output"] = {"responsesFile": b["responses"]}
        op["response"] = {"@type": OUT_TYPE, "responsesFile": b["responses"]}
    elif b.get("error"):
        op["error"] = b["error"]
    return op


# --- batches ---------------------------------------------------------------------------------
def create(h, version, model, query, body):
    """POST /{version}/models/MODEL:batchGenerateContent"""
    store, cfg = h.server.batches, h.server.cfg
    h.res["model"] = model
    if not check_key(h, query):
        return None
    try:
        req = json.loads(body.decode("utf-8"))
        batch = req["batch"]
        display = batch.get("displayName", batch.get("display_name"))
        ic = batch.get("inputConfig", batch.get("input_config")) or {}
        fid = ic.get("fileName", ic.get("file_name"))
    except (ValueError, UnicodeDecodeError, KeyError, TypeError, AttributeError):
        return h.send_json(*bad_request("Invalid JSON payload received."))
    if model not in cfg.models and "*" not in cfg.models:
        return h.send_json(*model_not_found(model, version))
    if not display:
        return h.send_json(*bad_request("batch.display_name is required.",
                                        "batch.display_name"))
    with store.lock:
        f = store.files.get(fid)
    if f is None:
        return h.send_json(*bad_request("Input file %s not found." % fid,
                                        "batch.input_config.file_name"))
    name = "batches/" + store.next_id("batch")
    b = {"name": name, "display": display, "model": model, "file": fid,
         "lines": parse_input(f["data"]), "created": time.time(),
         "state": "PENDING", "mu": threading.Lock()}
    with store.lock:
        store.batches[name] = b
        store.submissions[display] = store.submissions.get(display, 0) + 1
    store.bump("creates")
    pause(h, cfg.batch_create_delay_s)
    return h.send_json(200, operation(b))


def find(h, name):
    store = h.server.batches
    with store.lock:
        b = store.batches.get(name)
    if b is not None:
        advance(h, b)
    return b


def get(h, name, query):
    """GET /v1beta/batches/ID"""
    if not check_key(h, query):
        return None
    h.server.batches.bump("gets")
    b = find(h, name)
    if b is None:
        return h.send_json(*not_found("Batch %s" % name))
    return h.send_json(200, operation(b))


def list_batches(h, query):
    """GET /v1beta/batches?pageSize=N&pageToken=T, newest first."""
    store, cfg = h.server.batches, h.server.cfg
    if not check_key(h, query):
        return None
    store.bump("lists")
    qs = urllib.parse.parse_qs(query)
    try:
        size = int(qs.get("pageSize", ["50"])[0])
        start = int(qs.get("pageToken", ["0"])[0] or 0)
    except ValueError:
        return h.send_json(*bad_request("Invalid pageSize or pageToken."))
    size = max(1, min(size, cfg.batch_page_max))
    with store.lock:
        names = sorted(store.batches, key=lambda n: -store.batches[n]["created"])
    page = [find(h, n) for n in names[start:start + size]]
    out = {"operations": [operation(b) for b in page if b is not None]}
    if start + size < len(names):
        out["nextPageToken"] = str(start + size)
    return h.send_json(200, out)


def cancel(h, name, query):
    """POST /v1beta/batches/ID:cancel"""
    if not check_key(h, query):
        return None
    h.server.batches.bump("cancels")
    b = find(h, name)
    if b is None:
        return h.send_json(*not_found("Batch %s" % name))
    with b["mu"]:
        if b["state"] in ("PENDING", "RUNNING"):
            b["state"] = "CANCELLED"
            b["end"] = time.time()
    return h.send_json(200, {})


def delete(h, name, query):
    """DELETE /v1beta/batches/ID"""
    if not check_key(h, query):
        return None
    store = h.server.batches
    store.bump("deletes")
    with store.lock:
        b = store.batches.pop(name, None)
    if b is None:
        return h.send_json(*not_found("Batch %s" % name))
    return h.send_json(200, {})


def route(h, method, path, query, body):
    """The batch and file endpoints; False when path is none of them."""
    parts = path.strip("/").split("/")
    if path == "/upload/v1beta/files" and method == "POST":
        upload(h, query, body)
    elif len(parts) == 4 and parts[:3] == ["download", "v1beta", "files"] and \
            parts[3].endswith(":download") and method == "GET":
        download(h, "files/" + parts[3][:-len(":download")], query)
    elif len(parts) == 3 and parts[:2] == ["v1beta", "files"] and method == "GET":
        get_file(h, "files/" + parts[2], query)
    elif parts == ["v1beta", "batches"] and method == "GET":
        list_batches(h, query)
    elif len(parts) == 3 and parts[:2] == ["v1beta", "batches"]:
        bid, _, verb = parts[2].partition(":")
        if verb == "cancel" and method == "POST":
            cancel(h, "batches/" + bid, query)
        elif verb == "" and method == "GET":
            get(h, "batches/" + bid, query)
        elif verb == "" and method == "DELETE":
            delete(h, "batches/" + bid, query)
        else:
            h.send_json(404, g_error(404, "NOT_FOUND", "Method not found."))
    else:
        return False
    return True
