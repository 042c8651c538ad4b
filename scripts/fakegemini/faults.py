"""The fault catalogue, the [[fake:...]] directive parser, and which fault a
request gets.

OUTCOMES replace the normal answer; MODIFIERS adjust it.  Both tables are
also the --help text (cli.directive_help), so a new fault is one entry here
plus its rendering in gemini.py and openai.py.  Everything here is pure: the
attempt number and the random generator are passed in.
"""

import html
import re
import urllib.parse

OUTCOMES = {
    "429": "429 RESOURCE_EXHAUSTED, per-minute quota: Help + QuotaFailure "
           "(GenerateRequestsPerMinutePerProjectPerModel-FreeTier) + RetryInfo",
    "429-day": "429 RESOURCE_EXHAUSTED, per-day quota "
               "(GenerateRequestsPerDayPerProjectPerModel-FreeTier) + RetryInfo",
    "429-bare": "429 RESOURCE_EXHAUSTED with no details[]",
    "429-errorinfo": "older 429 shape: ErrorInfo RATE_LIMIT_EXCEEDED + Help, no RetryInfo",
    "400": "400 INVALID_ARGUMENT 'Request contains an invalid argument.'",
    "401": "401 UNAUTHENTICATED",
    "403": "403 PERMISSION_DENIED (SERVICE_DISABLED shape)",
    "404": "404 NOT_FOUND for the model",
    "408": "408 with Google's HTML error page (not JSON)",
    "500": "500 INTERNAL",
    "503": "503 UNAVAILABLE 'The model is overloaded. Please try again later.'",
    "504": "504 DEADLINE_EXCEEDED",
    "html": "502 with Google's HTML error page (text/html)",
    "hang": "never answer; keep the socket open until the client gives up",
    "drop": "close the connection without any response (curl: empty reply)",
    "reset": "abort the connection with a TCP RST (curl: recv failure)",
    "short-body": "200 whose Content-Length promises more bytes than are sent, then close",
    "badjson": "200 application/json whose body is truncated, invalid JSON",
    "notjson-text": "200, valid envelope, STOP, but the model text is prose, not JSON",
    "schema-violation": "200, STOP, JSON text missing a required field (else a wrong type)",
    "schema-wrong-type": "200, STOP, JSON text with a property of the wrong type",
    "empty-text": "200, STOP, a single text part that is the empty string",
    "blocked": "200, no candidates, promptFeedback.blockReason SAFETY + safetyRatings",
    "blocked-other": "200, no candidates, promptFeedback.blockReason OTHER",
    "blocked-message-only": "200, candidates: [], promptFeedback has only blockReasonMessage",
    "safety": "200, finishReason SAFETY, content {} and a blocked safetyRating",
    "max-tokens": "200, finishReason MAX_TOKENS, text truncated (invalid JSON)",
    "max-tokens-no-parts": "200, MAX_TOKENS, content {'role':'model'} with no parts "
                           "(thinking ate the budget)",
    "recitation": "200, finishReason RECITATION, no content, citationMetadata",
    "other": "200, finishReason OTHER + finishMessage, no content",
    "empty-content": "200, candidate content {} and no finishReason",
    "unknown-finish": "200, finishReason FAKE_NEW_FINISH_REASON with a valid answer",
    "400-echo-key": "400 INVALID_ARGUMENT quoting the request's key: 'API key KEY not "
                    "valid.' (in the body = & < > are JSON-escaped, as Google's are)",
    "400-echo-key-url": "400 INVALID_ARGUMENT quoting a request URL with ?key=KEY, "
                        "percent-encoded",
    "401-echo-key": "401 UNAUTHENTICATED quoting the key's header line",
    "html-echo-key": "502 text/html proxy page echoing the key header, HTML-escaped, in "
                     "its <title> and body",
    "batch-failed": "batch mode: the batch holding this request ends BATCH_STATE_FAILED",
    "batch-expired": "batch mode: the batch holding this request ends BATCH_STATE_EXPIRED",
    "batch-missing": "batch mode: the responses file has no line for this request",
}
ECHO_KEY = {"400-echo-key", "400-echo-key-url", "401-echo-key", "html-echo-key"}
MODIFIERS = {
    "sleep": "sleep=MS: answer after exactly MS milliseconds (overrides --latency-*)",
    "retry": "retry=S: retryDelay seconds for 429/429-day in this request "
             "(default --retry-delay-s)",
    "nulls": "nullable fields become null, optional fields are omitted",
    "thoughts": "prepend a {'thought': true} part (as with includeThoughts)",
    "split": "split the answer text across two text parts",
    "fenced": "wrap the answer in a ```json fence",
    "chunked": "send the response with Transfer-Encoding: chunked",
    "close": "answer with Connection: close and close the connection",
    "pad": "pad=N: the *-echo-key outcomes put N filler characters before the key "
           "(to put it where a client cuts its messages)",
}
NO_RESPONSE = {"hang", "drop", "reset"}

DIRECTIVE_RE = re.compile(r"\[\[fake:([^\]]*)\]\]", re.I)
ITEM_RE = re.compile(r"^(?P<name>[a-z0-9-]+?)(?:=(?P<val>[A-Za-z0-9._]+?))?(?:x(?P<n>\d+))?$",
                     re.I)


class DirectiveError(ValueError):
    pass


def parse_directives(text):
    """-> (outcomes [(name, count|None)], modifiers {name: (value, count|None)})"""
    outcomes, mods = [], {}
    for m in DIRECTIVE_RE.finditer(text):
        for item in re.split(r"[,\s]+", m.group(1).strip()):
            if not item:
                continue
            im = ITEM_RE.match(item)
            if not im:
                raise DirectiveError("bad fake directive item %r" % item)
            name, val, n = im.group("name").lower(), im.group("val"), im.group("n")
            count = int(n) if n else None
            if name in OUTCOMES and val is None:
                outcomes.append((name, count))
            elif name in MODIFIERS:
                if name in ("sleep", "retry", "pad"):
                    try:
                        val = float(val)
                    except (TypeError, ValueError):
                        raise DirectiveError("fake directive %r needs a number: %s=N"
                                             % (name, name))
                mods[name] = (val, count)
            else:
                raise DirectiveError("unknown fake directive %r (see scripts/fake-gemini "
                                     "--help)" % item)
    return outcomes, mods


def strip_directives(text):
    return re.sub(r"\s+", " ", DIRECTIVE_RE.sub(" ", text)).strip()


def pick_outcome(outcomes, attempt):
    """Sequential semantics: [[fake:500x2,429x1]] -> 500, 500, 429, then success."""
    a = attempt
    for name, count in outcomes:
        if count is None:
            return name
        if a < count:
            return name
        a -= count
    return None


def active_mods(mods, attempt):
    return {k: v for k, (v, c) in mods.items() if c is None or attempt < c}


def parse_kinds(spec):
    """--error-kinds '500:3,503,drop:0.5' -> [(outcome, weight)]; ValueError if unknown."""
    kinds = []
    for item in (spec or "").split(","):
        item = item.strip()
        if not item:
            continue
        name, _, w = item.partition(":")
        if name not in OUTCOMES:
            raise ValueError("unknown error kind %r (see --help)" % name)
        kinds.append((name, float(w) if w else 1.0))
    return kinds


def choose(outcomes, attempt, rng, error_rate, kinds):
    """The fault for this attempt: the directive's, else with probability
    error_rate one of kinds by weight, else None.  Draws from rng only when
    the directive names none (so the latency drawn next stays reproducible)."""
    fault = pick_outcome(outcomes, attempt)
    if fault is None and error_rate > 0 and kinds and rng.random() < error_rate:
        total = sum(w for _, w in kinds)
        x = rng.random() * total
        for name, w in kinds:
            x -= w
            fault = name
            if x < 0:
                break
    return fault


# The *-echo-key outcomes: an error that quotes the request's key, as a
# verbose server or a misconfigured proxy may.  gemini.echo_key and
# openai.echo_key wrap these in their own error shapes.
def key_line(key, oa):
    """The header line that carried the key."""
    return ("Authorization: Bearer " if oa else "x-goog-api-key: ") + (key or "")


def echo_key_page(key, pad, oa):
    """The html-echo-key body: a proxy's 502 page quoting the key's header line."""
    page = ("<!DOCTYPE html>\n<html><head><title>%s502 Bad Gateway: upstream refused %s"
            "</title></head>\n<body><h1>502 Bad Gateway</h1>\n<p>The upstream server "
            "refused the request.  Request headers:</p>\n<pre>%s\nContent-Type: "
            "application/json</pre>\n</body></html>\n")
    esc = html.escape(key_line(key, oa))
    return (page % ("_" * pad, esc, esc)).encode("utf-8")


def echo_key_message(kind, key, pad, model, oa):
    """(status, message) of the JSON *-echo-key outcomes."""
    fill = "_" * pad
    key = key or ""
    if kind == "400-echo-key-url":
        msg = ("%sInvalid request URL https://generativelanguage.googleapis.com/v1beta/"
               "models/%s:generateContent?key=%s&alt=json"
               % (fill, model, urllib.parse.quote(key, safe="")))
    elif kind == "400-echo-key":
        msg = "%sAPI key %s not valid. Please pass a valid API key." % (fill, key)
    else:
        msg = "%sRequest had invalid authentication credentials: %s" % (fill, key_line(key, oa))
    return (401 if kind == "401-echo-key" else 400), msg


def google_escape(text):
    """Google's JSON escapes = & < >; they occur only inside strings."""
    for c in "=&<>":
        text = text.replace(c, "\\u%04x" % ord(c))
    return text
