"""The OpenAI-compatible shapes (POST .../chat/completions): error bodies,
the chat.completion answer for each fault, and the text of a message.

Pure functions, as in gemini.py; the endpoint is endpoints.chat_completions.
OpenAI's JSON is compact (one line), not pretty.
"""

import base64
import json
import os
import time

from .answers import make_text, tokens
from .faults import echo_key_message, echo_key_page, google_escape
from .gemini import HTML_CT, JSON_CT


def oa_error(status, message, etype, code=None, param=None):
    return status, {"error": {"message": message, "type": etype, "param": param, "code": code}}


def oa_simple_error(kind, model, delay):
    if kind in ("429", "429-bare", "429-errorinfo"):
        return oa_error(429, "Rate limit reached for %s: requests per minute. Please try "
                        "again in %.3fs." % (model, delay), "requests", "rate_limit_exceeded")
    if kind == "429-day":
        return oa_error(429, "You exceeded your current quota (requests per day) for %s. "
                        "Please try again in %.3fs." % (model, delay),
                        "insufficient_quota", "insufficient_quota")
    if kind == "400":
        return oa_error(400, "Request contains an invalid argument.",
                        "invalid_request_error", "invalid_argument")
    if kind == "401":
        return oa_error(401, "Incorrect API key provided.", "invalid_request_error",
                        "invalid_api_key")
    if kind == "403":
        return oa_error(403, "You are not allowed to use this API with this key.",
                        "permission_error", "permission_denied")
    if kind == "404":
        return oa_not_found(model)
    if kind == "500":
        return oa_error(500, "The server had an error while processing your request. "
                        "Sorry about that!", "server_error", None)
    if kind == "503":
        return oa_error(503, "The model is overloaded. Please try again later.",
                        "server_error", "overloaded")
    if kind == "504":
        return oa_error(504, "Deadline expired before operation could complete.",
                        "server_error", "timeout")
    raise KeyError(kind)


def oa_not_found(model):
    return oa_error(404, "The model `%s` does not exist or you do not have access to it."
                    % model, "invalid_request_error", "model_not_found", "model")


def echo_key(kind, key, pad, model):
    """(status, body, content type) of a *-echo-key outcome (faults.py)."""
    if kind == "html-echo-key":
        return 502, echo_key_page(key, pad, True), HTML_CT
    code, msg = echo_key_message(kind, key, pad, model, True)
    obj = oa_error(code, msg, "invalid_request_error", "invalid_api_key")[1]
    text = google_escape(json.dumps(obj, indent=None, ensure_ascii=False) + "\n")
    return code, text.encode("utf-8"), JSON_CT


def message_text(content):
    """The text of a message's content: a string, or the text parts of a list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content
                         if isinstance(p, dict) and p.get("type") == "text")
    return ""


def answer(model, req, user_text, fault, mods, input_text=None, cached=0):
    """(chat.completion answer, token counts {prompt, candidates, thoughts,
    cached}) for the prompt user_text, given the request (response_format,
    max_tokens), the fault (an answer-shaping outcome, or None) and the
    active modifiers; input_text and cached as for gemini.answer."""
    schema, json_mode = None, False
    rf = req.get("response_format")
    if isinstance(rf, dict):
        if rf.get("type") == "json_schema" and isinstance(rf.get("json_schema"), dict):
            schema = rf["json_schema"].get("schema")
            json_mode = True
        elif rf.get("type") == "json_object":
            json_mode = True
    text, _, _ = make_text(user_text, schema, json_mode, fault, mods)
    finish = "stop"
    mot = req.get("max_completion_tokens", req.get("max_tokens"))
    if fault == "max-tokens":
        text, finish = text[:max(1, len(text) // 2)], "length"
    elif fault == "max-tokens-no-parts":
        text, finish = None, "length"
    elif isinstance(mot, int) and fault is None and tokens(text) > mot:
        text, finish = text[:mot * 4], "length"
    elif fault in ("blocked", "blocked-other", "blocked-message-only", "safety",
                   "recitation"):
        text, finish = None, "content_filter"
    elif fault in ("other", "empty-content"):
        text, finish = None, "stop"
    elif fault == "empty-text":
        text = ""
    elif fault == "unknown-finish":
        finish = "fake_new_finish_reason"
    ptok, ctok = tokens(user_text if input_text is None else input_text), tokens(text or "")
    cached = min(cached, ptok)
    toks = {"prompt": ptok, "candidates": ctok, "thoughts": 0, "cached": cached}
    obj = {"id": "chatcmpl-" + base64.urlsafe_b64encode(os.urandom(12)).decode(),
           "object": "chat.completion", "created": int(time.time()), "model": model,
           "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                        "finish_reason": finish}],
           "usage": {"prompt_tokens": ptok, "completion_tokens": ctok,
                     "total_tokens": ptok + ctok}}
    if cached:
        obj["usage"]["prompt_tokens_details"] = {"cached_tokens": cached}
    return obj, toks
