"""The API endpoints and the pipeline every API request goes through.

Each endpoint takes h, the server.Handler answering the request: it reads
h.headers and h.server (cfg, quota, stats, stopping), fills in h.res (the
request's model, fault, latency and tokens, which server.Handler.record
counts), and answers with h.send_json/h.send_raw, h.drop or h.hang.

The checks come in the order --help gives: ?key= in the URL, the key, the
JSON body, the model, request validation (validate.py, unless --lenient),
then plan_request: directive syntax, --rpm/--rpd (quotas.py), the attempt
count, the fault (faults.py) and the latency; then wait, and the answer:
a transport fault, an error body, or an answer whose shape the fault sets
(gemini.answer, openai.answer).
"""

import hashlib
import json
import math
import random
import urllib.parse

from . import gemini, openai
from .prefixcache import input_text
from .answers import camel
from .faults import ECHO_KEY, DirectiveError, active_mods, choose, parse_directives
from .gemini import (HTML_CT, api_key_in_url, api_key_invalid, bad_request, g_error,
                     google_html, model_not_found, permission_denied, pretty, quota_429,
                     simple_error)
from .openai import message_text, oa_error, oa_not_found, oa_simple_error
from .validate import validate_gemini


def list_models(h, method, m, query):
    """GET /{version}/models[/MODEL]; m is server.MODEL_RE's match."""
    cfg = h.server.cfg
    if "key" in urllib.parse.parse_qs(query):
        return h.send_json(*api_key_in_url())
    key = h.headers.get("x-goog-api-key")
    if key not in cfg.keys:
        return h.send_json(*api_key_invalid(key))
    if m.group(2):
        if m.group(2) not in cfg.models and "*" not in cfg.models:
            return h.send_json(*model_not_found(m.group(2), m.group(1)))
        return h.send_json(200, gemini.model_info(m.group(2)))
    return h.send_json(200, {"models": [gemini.model_info(x) for x in sorted(cfg.models)
                                        if x != "*"]})


def plan_request(h, model, key, user_text, all_text):
    """Quota, attempt counting, fault choice, latency.  Returns a dict, or
    quotas.Quota.check's (kind, delay, limit) tuple when the quota refuses.
    Raises faults.DirectiveError for a bad [[fake:...]] directive."""
    srv, cfg = h.server, h.server.cfg
    outcomes, mods = parse_directives(all_text)       # may raise DirectiveError
    q = srv.quota.check((key, model), cfg)
    if q:
        h.res["fault"] = q[0]
        return q
    pkey = hashlib.sha1(user_text.encode("utf-8")).hexdigest()
    attempt = srv.stats.attempt(pkey)
    rng = random.Random("%d|%s|%d" % (cfg.seed, pkey, attempt))
    fault = choose(outcomes, attempt, rng, cfg.error_rate, cfg.kinds)
    active = active_mods(mods, attempt)
    if "sleep" in active:
        delay = max(0.0, active["sleep"]) / 1000.0
    elif cfg.latency_median_ms > 0:
        ratio = cfg.latency_p99_ratio
        sigma = math.log(ratio) / 2.3263 if ratio > 1 else 0.0
        delay = rng.lognormvariate(math.log(cfg.latency_median_ms), sigma) / 1000.0
        if cfg.latency_max_ms > 0:
            delay = min(delay, cfg.latency_max_ms / 1000.0)
    else:
        delay = 0.0
    h.res["fault"] = fault
    return {"fault": fault, "mods": active, "delay": delay, "attempt": attempt, "rng": rng}


def wait(h, delay):
    """Sleep the planned latency; a stopping server cuts it short."""
    h.res["delay"] = delay * 1000.0
    if delay > 0:
        h.server.stopping.wait(delay)


def transport_fault(h, fault, mods, model, oa):
    """Faults that are not an API body.  Returns a status/marker or None."""
    if fault == "hang":
        h.hang()
        return "hang"
    if fault in ("drop", "reset"):
        h.drop(reset=fault == "reset")
        return fault
    if fault in ("html", "408"):
        code = 502 if fault == "html" else 408
        h.send_raw(code, google_html(code), HTML_CT, close="close" in mods)
        return code
    return None


def generate_content(h, version, model, method, query, body):
    """POST /{version}/models/MODEL:METHOD (only generateContent is emulated)."""
    cfg = h.server.cfg
    h.res["model"] = model
    if "key" in urllib.parse.parse_qs(query, keep_blank_values=True):
        return h.send_json(*api_key_in_url())
    key = h.headers.get("x-goog-api-key")
    if key in cfg.forbidden:
        return h.send_json(*permission_denied())
    if key not in cfg.keys:
        return h.send_json(*api_key_invalid(key))
    if method != "generateContent":
        return h.send_json(404, g_error(
            404, "NOT_FOUND", "fake-gemini: method %r is not emulated; only "
            "generateContent is." % method))
    try:
        req = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        return h.send_json(*bad_request(
            "Invalid JSON payload received. Unexpected token.\n%s" % str(e)))
    if not isinstance(req, dict):
        return h.send_json(*bad_request(
            "Invalid JSON payload received. Expected an object."))
    if model not in cfg.models and "*" not in cfg.models:
        return h.send_json(*model_not_found(model, version))
    if not cfg.lenient:
        err = validate_gemini(req, model)
        if err:
            return h.send_json(*err)
    user, system = [], []
    for c in req.get("contents") or []:
        if isinstance(c, dict) and c.get("role", "user") in ("user", "", None):
            user += [p["text"] for p in c.get("parts") or []
                     if isinstance(p, dict) and isinstance(p.get("text"), str)]
    si = req.get("systemInstruction", req.get("system_instruction"))
    if isinstance(si, dict):
        system += [p["text"] for p in si.get("parts") or []
                   if isinstance(p, dict) and isinstance(p.get("text"), str)]
    user_text = "\n".join(user)
    all_text = user_text + "\n" + "\n".join(system)
    gc = {camel(k): v for k, v in (req.get("generationConfig")
                                   or req.get("generation_config") or {}).items()}
    try:
        plan = plan_request(h, model, key, user_text, all_text)
    except DirectiveError as e:
        return h.send_json(400, g_error(400, "INVALID_ARGUMENT", "fake-gemini: %s" % e))
    if isinstance(plan, tuple):
        kind, delay, limit = plan
        return h.send_json(*quota_429(model, limit, delay, kind == "rpd",
                                      cfg.retry_delay_style,
                                      cfg.rpd_window_s if kind == "rpd"
                                      else cfg.rpm_window_s))
    fault, mods = plan["fault"], plan["mods"]
    if fault == "hang":
        return transport_fault(h, fault, mods, model, False)
    wait(h, plan["delay"])
    if h.server.stopping.is_set():
        h.drop()
        return "drop"
    r = transport_fault(h, fault, mods, model, False)
    if r is not None:
        return r
    close, chunked = "close" in mods, cfg.chunked or "chunked" in mods
    if fault in ECHO_KEY:
        code, b, ctype = gemini.echo_key(fault, key, int(mods.get("pad", 0)), model)
        h.send_raw(code, b, ctype, close=close, chunked=chunked)
        return code
    if fault in ("429", "429-day"):
        delay = mods.get("retry", cfg.retry_delay_s)
        # A directive's 429 names a generous quota unless --rpm sets one.
        return h.send_json(*quota_429(model, cfg.rpm or cfg.rpd or 1000, delay,
                                      fault == "429-day", cfg.retry_delay_style),
                           close=close, chunked=chunked)
    try:
        return h.send_json(*simple_error(fault, model), close=close, chunked=chunked)
    except KeyError:
        pass
    schema = gc.get("responseJsonSchema", gc.get("_responseJsonSchema",
                                                 gc.get("responseSchema")))
    text = input_text(system, schema, user_text)
    cached = h.server.prefix.lookup([key, model], text, cfg.implicit_cache_min_tokens)
    obj, h.res["toks"] = gemini.answer(model, gc, user_text, fault, mods, text, cached)
    if fault == "badjson":
        b = pretty(obj)
        return h.send_raw(200, b[:max(1, len(b) * 3 // 5)], close=close) or 200
    if fault == "short-body":
        return h.send_raw(200, pretty(obj), short=True) or "short-body"
    return h.send_json(200, obj, close=close, chunked=chunked)


def chat_completions(h, method, query, body):
    """POST /chat/completions, /v1/... or /v1beta/openai/... (OpenAI-compatible)."""
    cfg = h.server.cfg
    if method != "POST":
        return h.send_json(*oa_error(405, "Method not allowed.", "invalid_request_error"),
                           compact=True)
    auth = h.headers.get("Authorization", "")
    key = auth[7:].strip() if auth[:7].lower() == "bearer " else None
    if not key:
        return h.send_json(*oa_error(
            401, "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            "invalid_request_error"), compact=True)
    if key in cfg.forbidden:
        return h.send_json(*oa_simple_error("403", "", 0), compact=True)
    if key not in cfg.keys:
        return h.send_json(*oa_error(401, "Incorrect API key provided.",
                                     "invalid_request_error", "invalid_api_key"),
                           compact=True)
    try:
        req = json.loads(body.decode("utf-8"))
        if not isinstance(req, dict):
            raise ValueError("expected a JSON object")
    except (ValueError, UnicodeDecodeError) as e:
        return h.send_json(*oa_error(400, "Invalid JSON body: %s" % e,
                                     "invalid_request_error"), compact=True)
    model = str(req.get("model") or "")
    if model.startswith("models/"):
        model = model[7:]
    h.res["model"] = model
    msgs = req.get("messages")
    if not isinstance(msgs, list) or not msgs:
        return h.send_json(*oa_error(400, "'messages' must be a non-empty array.",
                                     "invalid_request_error", None, "messages"),
                           compact=True)
    if req.get("stream"):
        return h.send_json(*oa_error(400, "fake-gemini: stream=true is not emulated.",
                                     "invalid_request_error", None, "stream"),
                           compact=True)
    if model not in cfg.models and "*" not in cfg.models:
        return h.send_json(*oa_not_found(model), compact=True)
    user = [message_text(m.get("content")) for m in msgs
            if isinstance(m, dict) and m.get("role") == "user"]
    other = [message_text(m.get("content")) for m in msgs
             if isinstance(m, dict) and m.get("role") != "user"]
    user_text = "\n".join(user)
    try:
        plan = plan_request(h, model, key, user_text, user_text + "\n" + "\n".join(other))
    except DirectiveError as e:
        return h.send_json(*oa_error(400, "fake-gemini: %s" % e,
                                     "invalid_request_error"), compact=True)
    if isinstance(plan, tuple):
        kind, delay, limit = plan
        return h.send_json(*oa_simple_error("429-day" if kind == "rpd" else "429",
                                            model, delay),
                           headers=[("Retry-After", str(max(1, math.ceil(delay))))],
                           compact=True)
    fault, mods = plan["fault"], plan["mods"]
    if fault == "hang":
        return transport_fault(h, fault, mods, model, True)
    wait(h, plan["delay"])
    if h.server.stopping.is_set():
        h.drop()
        return "drop"
    r = transport_fault(h, fault, mods, model, True)
    if r is not None:
        return r
    close, chunked = "close" in mods, cfg.chunked or "chunked" in mods
    if fault in ECHO_KEY:
        code, b, ctype = openai.echo_key(fault, key, int(mods.get("pad", 0)), model)
        h.send_raw(code, b, ctype, close=close, chunked=chunked)
        return code
    try:
        delay = mods.get("retry", cfg.retry_delay_s)
        hdrs = [("Retry-After", str(max(1, math.ceil(delay))))] if fault and \
            fault.startswith("429") else []
        return h.send_json(*oa_simple_error(fault, model, delay), headers=hdrs,
                           close=close, chunked=chunked, compact=True)
    except KeyError:
        pass
    rf = req.get("response_format")
    schema = (rf.get("json_schema") or {}).get("schema") if isinstance(rf, dict) and \
        isinstance(rf.get("json_schema"), dict) else None
    text = input_text([t for t in other if t], schema, user_text)
    cached = h.server.prefix.lookup([key, model], text, cfg.implicit_cache_min_tokens)
    obj, h.res["toks"] = openai.answer(model, req, user_text, fault, mods, text, cached)
    if fault == "badjson":
        b = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        return h.send_raw(200, b[:max(1, len(b) * 3 // 5)], close=close) or 200
    if fault == "short-body":
        return h.send_raw(200, json.dumps(obj).encode(), short=True) or "short-body"
    return h.send_json(200, obj, close=close, chunked=chunked, compact=True)
