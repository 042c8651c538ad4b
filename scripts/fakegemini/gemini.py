"""Gemini's response shapes: every error body the emulator sends for the
Gemini API (the live server's JSON, Google's HTML error pages), the
generateContent answer for each fault, and a model's description.

Pure functions: each returns (status, body object) or the body; the
endpoints (endpoints.py) decide which to send.  The JSON is written as the
live server writes it (pretty).
"""

import base64
import hashlib
import json
import math
import os

from .answers import camel, make_text, tokens
from .faults import echo_key_message, echo_key_page, google_escape, strip_directives

JSON_CT = "application/json; charset=UTF-8"
HTML_CT = "text/html; charset=UTF-8"

SAFETY_CATEGORIES = ["HARM_CATEGORY_SEXUALLY_EXPLICIT", "HARM_CATEGORY_HATE_SPEECH",
                     "HARM_CATEGORY_HARASSMENT", "HARM_CATEGORY_DANGEROUS_CONTENT"]

GOOGLE_HTML = """<!DOCTYPE html>
<html lang=en>
  <meta charset=utf-8>
  <meta name=viewport content="initial-scale=1, minimum-scale=1, width=device-width">
  <title>Error {code} ({title})!!1</title>
  <style>
    *{{margin:0;padding:0}}html,code{{font:15px/22px arial,sans-serif}}html{{background:#fff;color:#222;padding:15px}}body{{margin:7% auto 0;max-width:390px;min-height:180px;padding:30px 0 15px}}
  </style>
  <a href=//www.google.com/><span id=logo aria-label=Google></span></a>
  <p><b>{code}.</b> <ins>That\u2019s an error.</ins>
  <p>{text}  <ins>That\u2019s all we know.</ins>
"""


def google_html(code):
    title, text = {
        404: ("Not Found", "The requested URL was not found on this server."),
        408: ("Request Timeout", "Your client has taken too long to issue its request."),
        502: ("Server Error", "The server encountered a temporary error and could not "
                              "complete your request.<p>Please try again in 30 seconds."),
    }.get(code, ("Error", "An error occurred."))
    return GOOGLE_HTML.format(code=code, title=title, text=text).encode("utf-8")


def pretty(obj):
    """The real server's form: 2-space indent, UTF-8 unescaped, trailing newline."""
    return (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def g_error(code, status, message, details=None):
    err = {"code": code, "message": message, "status": status}
    if details:
        err["details"] = details
    return {"error": err}


def bad_request(message, field=None):
    """400 INVALID_ARGUMENT with google.rpc.BadRequest details (as for payload errors)."""
    v = {"description": message}
    if field:
        v = {"field": field, "description": message}
    return 400, g_error(400, "INVALID_ARGUMENT", message, [
        {"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [v]}])


def api_key_invalid(key):
    msg = "API key not valid. Please pass a valid API key."
    return 400, g_error(400, "INVALID_ARGUMENT", msg, [
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
         "domain": "googleapis.com",
         "metadata": {"service": "generativelanguage.googleapis.com"}},
        {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US",
         "message": msg},
        {"@type": "type.googleapis.com/google.rpc.DebugInfo",
         "detail": "Invalid API key: %s" % (key if key else "(none)")},
    ])


def api_key_in_url():
    msg = ("fake-gemini: API keys in the URL (?key=...) are not accepted; "
           "send the key in the x-goog-api-key header.")
    return 400, g_error(400, "INVALID_ARGUMENT", msg, [
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo",
         "reason": "API_KEY_IN_URL_REJECTED", "domain": "fake-gemini.local",
         "metadata": {"service": "generativelanguage.googleapis.com"}}])


def echo_key(kind, key, pad, model):
    """(status, body, content type) of a *-echo-key outcome (faults.py)."""
    if kind == "html-echo-key":
        return 502, echo_key_page(key, pad, False), HTML_CT
    code, msg = echo_key_message(kind, key, pad, model, False)
    obj = g_error(code, "UNAUTHENTICATED" if code == 401 else "INVALID_ARGUMENT", msg)
    text = google_escape(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")
    return code, text.encode("utf-8"), JSON_CT


def permission_denied():
    url = ("https://console.developers.google.com/apis/api/generativelanguage.googleapis.com"
           "/overview?project=12345678")
    return 403, g_error(
        403, "PERMISSION_DENIED",
        "Generative Language API has not been used in project 12345678 before or it is "
        "disabled. Enable it by visiting %s then retry. If you enabled this API recently, "
        "wait a few minutes for the action to propagate to our systems and retry." % url,
        [{"@type": "type.googleapis.com/google.rpc.Help",
          "links": [{"description": "Google developers console API activation", "url": url}]},
         {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED",
          "domain": "googleapis.com",
          "metadata": {"service": "generativelanguage.googleapis.com",
                       "consumer": "projects/12345678"}}])


def model_not_found(model, version="v1beta"):
    return 404, g_error(
        404, "NOT_FOUND",
        "models/%s is not found for API version %s, or is not supported for generateContent. "
        "Call ModelService.ListModels to see the list of available models and their "
        "supported methods." % (model, version))


def fmt_retry_delay(delay, style):
    if style == "seconds":          # what the live server sends: "58s"
        return "%ds" % int(delay)
    return "%.6fs" % max(delay, 0.000001)   # protobuf Duration JSON, 6 fractional digits


def quota_429(model, limit, delay, per_day, style, window_s=None):
    """A 429 for a request quota of `limit` per window; the quotaValue is
    given per minute (per day) as its quotaId says, so a window shortened
    for tests scales it: 10 per 3 s is quotaValue 200 per minute."""
    if window_s:
        limit = int(math.ceil(limit * (86400.0 if per_day else 60.0) / window_s))
    metric = "generativelanguage.googleapis.com/generate_content_free_tier_requests"
    quota_id = ("GenerateRequestsPerDayPerProjectPerModel-FreeTier" if per_day
                else "GenerateRequestsPerMinutePerProjectPerModel-FreeTier")
    msg = ("You exceeded your current quota, please check your plan and billing details. "
           "For more information on this error, head to: "
           "https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current usage, "
           "head to: https://ai.dev/rate-limit. \n* Quota exceeded for metric: %s, limit: %d, "
           "model: %s\nPlease retry in %.9fs." % (metric, limit, model, max(delay, 0.0)))
    return 429, g_error(429, "RESOURCE_EXHAUSTED", msg, [
        {"@type": "type.googleapis.com/google.rpc.Help",
         "links": [{"description": "Learn more about Gemini API quotas",
                    "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]},
        {"@type": "type.googleapis.com/google.rpc.QuotaFailure",
         "violations": [{"quotaMetric": metric, "quotaId": quota_id,
                         "quotaDimensions": {"model": model, "location": "global"},
                         "quotaValue": str(limit)}]},
        {"@type": "type.googleapis.com/google.rpc.RetryInfo",
         "retryDelay": fmt_retry_delay(delay, style)},
    ])


def simple_error(kind, model):
    """Gemini-shaped (status, body) for the plain error outcomes."""
    if kind == "429-bare":
        return 429, g_error(429, "RESOURCE_EXHAUSTED",
                            "Resource has been exhausted (e.g. check quota).")
    if kind == "429-errorinfo":
        return 429, g_error(
            429, "RESOURCE_EXHAUSTED",
            "Quota exceeded for quota metric 'Generate Content API requests per minute' and "
            "limit 'GenerateContent request limit per minute for a region' of service "
            "'generativelanguage.googleapis.com' for consumer 'project_number:12345678'.",
            [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
              "reason": "RATE_LIMIT_EXCEEDED", "domain": "googleapis.com",
              "metadata": {"service": "generativelanguage.googleapis.com",
                           "consumer": "projects/12345678", "quota_limit_value": "0",
                           "quota_limit": "GenerateContentRequestsPerMinutePerProjectPerRegion",
                           "quota_location": "us-east2",
                           "quota_metric": "generativelanguage.googleapis.com/"
                                           "generate_content_requests"}},
             {"@type": "type.googleapis.com/google.rpc.Help",
              "links": [{"description": "Request a higher quota limit.",
                         "url": "https://cloud.google.com/docs/quota#requesting_higher_quota"}]}])
    if kind == "400":
        return 400, g_error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.")
    if kind == "401":
        return 401, g_error(
            401, "UNAUTHENTICATED",
            "Request had invalid authentication credentials. Expected OAuth 2 access token, "
            "login cookie or other valid authentication credential. See "
            "https://developers.google.com/identity/sign-in/web/devconsole-project.",
            [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
              "reason": "ACCESS_TOKEN_TYPE_UNSUPPORTED", "domain": "googleapis.com",
              "metadata": {"service": "generativelanguage.googleapis.com",
                           "method": "google.ai.generativelanguage.v1beta.GenerativeService."
                                     "GenerateContent"}}])
    if kind == "403":
        return permission_denied()
    if kind == "404":
        return model_not_found(model)
    if kind == "500":
        return 500, g_error(500, "INTERNAL",
                            "An internal error has occurred. Please retry or report in "
                            "https://developers.generativeai.google/guide/troubleshooting")
    if kind == "503":
        return 503, g_error(503, "UNAVAILABLE",
                            "The model is overloaded. Please try again later.")
    if kind == "504":
        return 504, g_error(504, "DEADLINE_EXCEEDED",
                            "Deadline expired before operation could complete.")
    raise KeyError(kind)


def model_info(name):
    """A models.get answer (one element of a models.list)."""
    return {"name": "models/" + name, "version": "001", "displayName": name,
            "inputTokenLimit": 1048576, "outputTokenLimit": 65536,
            "supportedGenerationMethods": ["generateContent", "countTokens"]}


def answer(model, gc, user_text, fault, mods, input_text=None, cached=0):
    """(generateContent answer, token counts {prompt, candidates, thoughts,
    cached}) for the prompt user_text, given generationConfig gc (camelCase
    keys), the fault (an answer-shaping outcome, or None) and the active
    modifiers.  input_text is all the model reads (prefixcache.input_text;
    default user_text), cached the tokens of it served from the implicit
    cache."""
    schema = gc.get("responseJsonSchema", gc.get("_responseJsonSchema"))
    if schema is None:
        schema = gc.get("responseSchema")
    json_mode = gc.get("responseMimeType") == "application/json"
    tc = {camel(k): v for k, v in (gc.get("thinkingConfig") or {}).items()}
    budget = tc.get("thinkingBudget")
    include_thoughts = bool(tc.get("includeThoughts")) or "thoughts" in mods
    mot = gc.get("maxOutputTokens")
    text, value, schema_n = make_text(user_text, schema, json_mode, fault, mods)
    ptok = tokens(user_text if input_text is None else input_text)
    cached = min(cached, ptok)
    h = int(hashlib.sha1(strip_directives(user_text).encode("utf-8")).hexdigest()[:8], 16)
    ttok = 0
    if isinstance(budget, int) and (budget > 0 or budget == -1):
        ttok = 20 + h % 180
        if budget > 0:
            ttok = min(ttok, budget)
    rid = base64.urlsafe_b64encode(os.urandom(17)).decode()[:23]
    finish = "STOP"
    if fault == "max-tokens":
        text = text[:max(1, len(text) // 2)]
        finish = "MAX_TOKENS"
    elif isinstance(mot, int) and tokens(text) > mot and fault is None:
        text = text[:mot * 4]
        finish = "MAX_TOKENS"
    usage = {"promptTokenCount": ptok}
    ctok = tokens(text)
    cand = None
    pf = None
    if fault in ("blocked", "blocked-other"):
        pf = {"blockReason": "SAFETY" if fault == "blocked" else "OTHER"}
        if fault == "blocked":
            pf["safetyRatings"] = [
                {"category": c, "probability": "HIGH" if c.endswith("HATE_SPEECH")
                 else "NEGLIGIBLE"} for c in SAFETY_CATEGORIES]
        ctok = ttok = 0
    elif fault == "blocked-message-only":
        pf = {"blockReasonMessage": "The prompt was blocked by fake-gemini."}
        ctok = ttok = 0
    elif fault == "safety":
        cand = {"content": {}, "finishReason": "SAFETY", "index": 0, "safetyRatings": [
            {"blocked": True, "category": "HARM_CATEGORY_HATE_SPEECH",
             "probability": "LOW"}] + [
            {"category": c, "probability": "NEGLIGIBLE"} for c in SAFETY_CATEGORIES
            if c != "HARM_CATEGORY_HATE_SPEECH"]}
        ctok = 0
    elif fault == "max-tokens-no-parts":
        cand = {"content": {"role": "model"}, "finishReason": "MAX_TOKENS", "index": 0}
        ctok = 0
        ttok = max(ttok, mot if isinstance(mot, int) else 2)
    elif fault == "recitation":
        cand = {"finishReason": "RECITATION", "index": 0, "citationMetadata": {
            "citationSources": [{"startIndex": 0, "endIndex": len(text),
                                 "uri": "https://example.com/recited", "license": ""}]}}
        ctok = 0
    elif fault == "other":
        cand = {"finishReason": "OTHER",
                "finishMessage": "Model failed to generate content due to internal error."}
        ctok = 0
    elif fault == "empty-content":
        cand = {"content": {}, "index": 0}
        ctok = 0
    else:
        if fault == "empty-text":
            text = ""
            ctok = 0
        if "split" in mods and len(text) > 1:
            parts = [{"text": text[:len(text) // 2]}, {"text": text[len(text) // 2:]}]
        else:
            parts = [{"text": text}]
        if include_thoughts:
            parts.insert(0, {"text": "**Considering the request**\n\nI need to read the "
                                     "input carefully and answer in the requested "
                                     "format.\n", "thought": True})
            ttok = ttok or 24
        cand = {"content": {"parts": parts, "role": "model"},
                "finishReason": "FAKE_NEW_FINISH_REASON" if fault == "unknown-finish"
                else finish, "index": 0}
    if ctok:
        usage["candidatesTokenCount"] = ctok
    usage["totalTokenCount"] = ptok + ctok + ttok
    usage["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": ptok}]
    if cached:
        usage["cachedContentTokenCount"] = cached
        usage["cacheTokensDetails"] = [{"modality": "TEXT", "tokenCount": cached}]
    if ttok:
        usage["thoughtsTokenCount"] = ttok
    toks = {"prompt": ptok, "candidates": ctok, "thoughts": ttok, "cached": cached}
    out = {}
    if cand is not None:
        out["candidates"] = [cand]
    elif fault == "blocked-message-only":
        out["candidates"] = []
    if pf is not None:
        out["promptFeedback"] = pf
    out["usageMetadata"] = usage
    out["modelVersion"] = model
    out["responseId"] = rid
    return out, toks
