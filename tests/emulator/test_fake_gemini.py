"""Tests for scripts/fake-gemini (standard library only: unittest + http.client).

Each server runs as a subprocess on 127.0.0.1 port 0; the test reads its
"PORT <n>" line.  Nothing here touches the network beyond loopback.
"""

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FAKE = os.path.join(ROOT, "scripts", "fake-gemini")
FIXTURES = os.environ.get("GEMINI_FIXTURES",
                          os.path.join(ROOT, "tests", "data", "gemini-recorded"))
KEY = "test-key"
MODEL = "gemini-2.5-flash"
GEN = "/v1beta/models/%s:generateContent"

PERSON_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 0, "maximum": 150},
        "score": {"type": "number"},
        "active": {"type": "boolean"},
        "tier": {"type": "string", "enum": ["gold", "silver", "bronze"]},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 4},
        "nickname": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "address": {"$ref": "#/$defs/Address"},
        "born": {"type": "string", "format": "date"},
    },
    "required": ["name", "age", "tier", "tags", "address"],
    "$defs": {"Address": {"type": "object",
                          "properties": {"city": {"type": "string"},
                                         "zip": {"type": ["string", "null"]}},
                          "required": ["city"]}},
}

OPENAPI_SCHEMA = {
    "type": "OBJECT",
    "properties": {
        "company": {"type": "STRING"},
        "employees": {"type": "INTEGER"},
        "public": {"type": "BOOLEAN"},
        "revenue": {"type": "NUMBER", "nullable": True},
        "products": {"type": "ARRAY", "items": {
            "type": "OBJECT",
            "properties": {"sku": {"type": "STRING"}, "price": {"type": "NUMBER"}},
            "required": ["sku", "price"]}},
        "sector": {"type": "STRING", "format": "enum", "enum": ["tech", "retail"]},
    },
    "required": ["company", "employees", "products", "sector"],
    "property_ordering": ["sector", "company", "employees", "public", "revenue", "products"],
}


# --- a small JSON Schema validator (enough for the schemas above) ----------------------
def validate(value, schema, root=None, path="$"):
    root = root if root is not None else schema
    if "$ref" in schema:
        node = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        return validate(value, node, root, path)
    if "anyOf" in schema or "any_of" in schema:
        errs = [validate(value, s, root, path) for s in schema.get("anyOf", schema.get("any_of"))]
        return None if any(e is None for e in errs) else "%s: matches no anyOf branch" % path
    if "enum" in schema and value not in schema["enum"]:
        return "%s: %r not in enum" % (path, value)
    t = schema.get("type")
    types = [x.lower() for x in (t if isinstance(t, list) else [t] if t else [])]
    if schema.get("nullable"):
        types.append("null")
    if types:
        ok = {"string": isinstance(value, str),
              "integer": isinstance(value, int) and not isinstance(value, bool),
              "number": isinstance(value, (int, float)) and not isinstance(value, bool),
              "boolean": isinstance(value, bool), "null": value is None,
              "object": isinstance(value, dict), "array": isinstance(value, list)}
        if not any(ok.get(x, False) for x in types):
            return "%s: %r is not %s" % (path, value, types)
    if isinstance(value, dict):
        for r in schema.get("required", []):
            if r not in value:
                return "%s: missing required %r" % (path, r)
        for k, v in value.items():
            sub = schema.get("properties", {}).get(k)
            if sub is not None:
                e = validate(v, sub, root, path + "." + k)
                if e:
                    return e
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            return "%s: too few items" % path
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            return "%s: too many items" % path
        for i, v in enumerate(value):
            e = validate(v, schema.get("items", {}), root, "%s[%d]" % (path, i))
            if e:
                return e
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            return "%s: below minimum" % path
        if "maximum" in schema and value > schema["maximum"]:
            return "%s: above maximum" % path
    return None


# --- server management -----------------------------------------------------------------
class Fake:
    def __init__(self, *args):
        self.proc = subprocess.Popen([sys.executable, FAKE, "--key", KEY] + list(args),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline()
        m = re.fullmatch(r"PORT (\d+)\n", line)
        if not m:
            self.proc.kill()
            raise RuntimeError("bad first line %r; stderr: %s" % (line, self.proc.stderr.read()))
        self.port = int(m.group(1))

    def conn(self, timeout=10):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return rc


def gem_body(prompt, schema=None, openapi=None, mime=None, system=None, **gen):
    gc = dict(gen)
    if schema is not None:
        gc["responseJsonSchema"] = schema
    if openapi is not None:
        gc["responseSchema"] = openapi
    if schema is not None or openapi is not None or mime:
        gc["responseMimeType"] = mime or "application/json"
    body = {"contents": [{"role": "user", "parts": [{"text": prompt}]}]}
    if system:
        body["systemInstruction"] = {"parts": [{"text": system}]}
    if gc:
        body["generationConfig"] = gc
    return body


class Base(unittest.TestCase):
    fake = None

    @classmethod
    def setUpClass(cls):
        cls.fake = Fake("--key-forbidden", "bad-key", "--retry-delay-s", "0.25",
                        "--hang-max-s", "5")

    @classmethod
    def tearDownClass(cls):
        assert cls.fake.stop() == 0

    def post(self, path, body, headers=None, conn=None, raw=False):
        c = conn or self.fake.conn()
        h = {"Content-Type": "application/json"}
        h.update(headers if headers is not None else {"x-goog-api-key": KEY})
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        c.request("POST", path, body=data, headers=h)
        r = c.getresponse()
        payload = r.read()
        if conn is None:
            c.close()
        if raw:
            return r, payload
        return r, (json.loads(payload) if payload else None)

    def gen(self, prompt, model=MODEL, **kw):
        return self.post(GEN % model, gem_body(prompt, **kw))

    def stats(self):
        c = self.fake.conn()
        c.request("GET", "/_fake/stats")
        d = json.loads(c.getresponse().read())
        c.close()
        return d

    def text_of(self, resp):
        return "".join(p.get("text", "") for p in resp["candidates"][0]["content"]["parts"]
                       if not p.get("thought"))

    def assert_error(self, r, body, code, status):
        self.assertEqual(r.status, code)
        self.assertEqual(r.getheader("Content-Type"), "application/json; charset=UTF-8")
        self.assertEqual(body["error"]["code"], code)
        self.assertEqual(body["error"]["status"], status)
        self.assertIsInstance(body["error"]["message"], str)

    def detail(self, body, typ):
        for d in body["error"].get("details", []):
            if d["@type"] == "type.googleapis.com/google.rpc." + typ:
                return d
        self.fail("no %s detail in %r" % (typ, body))


class TestSuccess(Base):
    def test_json_schema_answer_conforms(self):
        r, raw = self.post(GEN % MODEL, gem_body("Describe person 1: Ada, 36", PERSON_SCHEMA,
                                                 temperature=0, maxOutputTokens=2048,
                                                 thinkingConfig={"thinkingBudget": 0}),
                           raw=True)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("Content-Type"), "application/json; charset=UTF-8")
        self.assertTrue(raw.startswith(b'{\n  "candidates"') and raw.endswith(b"}\n"))
        resp = json.loads(raw)
        cand = resp["candidates"][0]
        self.assertEqual(cand["finishReason"], "STOP")
        self.assertEqual(cand["content"]["role"], "model")
        value = json.loads(self.text_of(resp))
        self.assertIsNone(validate(value, PERSON_SCHEMA))
        for k in PERSON_SCHEMA["required"]:
            self.assertIn(k, value)
        self.assertRegex(value["born"], r"^\d{4}-\d\d-\d\d$")
        u = resp["usageMetadata"]
        self.assertGreater(u["promptTokenCount"], 0)
        self.assertGreater(u["candidatesTokenCount"], 0)
        self.assertEqual(u["totalTokenCount"], u["promptTokenCount"] + u["candidatesTokenCount"])
        self.assertNotIn("thoughtsTokenCount", u)
        self.assertEqual(resp["modelVersion"], MODEL)
        self.assertTrue(resp["responseId"])

    def test_openapi_schema_answer_conforms(self):
        for i in range(5):
            r, resp = self.gen("company #%d" % i, model="gemini-2.0-flash", openapi=OPENAPI_SCHEMA)
            self.assertEqual(r.status, 200)
            value = json.loads(self.text_of(resp))
            self.assertIsNone(validate(value, OPENAPI_SCHEMA), value)
            self.assertEqual(list(value)[0], "sector")      # propertyOrdering honoured

    def test_recorded_request_fixtures(self):
        for name in ("ok-json-mode-response-schema", "ok-json-mode-json-schema",
                     "ok-json-mode-thinking"):
            path = os.path.join(FIXTURES, name + ".request.json")
            with open(path) as f:
                req = json.load(f)
            gc = req["generationConfig"]
            schema = gc.get("responseJsonSchema") or gc.get("responseSchema")
            r, resp = self.post(GEN % MODEL, req)
            self.assertEqual(r.status, 200, resp)
            self.assertIsNone(validate(json.loads(self.text_of(resp)), schema))

    def test_deterministic_and_extracts_key_values(self):
        schema = {"type": "object", "properties": {
            "company": {"type": "string"}, "employees": {"type": "integer"},
            "tier": {"type": "string", "enum": ["Gold", "Silver"]},
            "tags": {"type": "array", "items": {"type": "string"}}},
            "required": ["company", "employees", "tier", "tags"]}
        prompt = "Extract.\ncompany: Acme Corp\nemployees: 1,200\ntier: silver\ntags: a, b"
        _, a = self.gen(prompt, schema=schema)
        _, b = self.gen(prompt, schema=schema)
        self.assertEqual(self.text_of(a), self.text_of(b))
        v = json.loads(self.text_of(a))
        self.assertEqual(v, {"company": "Acme Corp", "employees": 1200, "tier": "Silver",
                             "tags": ["a", "b"]})

    def test_no_schema_echoes_prompt(self):
        r, resp = self.gen("hello there emulator")
        self.assertEqual(r.status, 200)
        self.assertIn("hello there emulator", self.text_of(resp))
        r, resp = self.gen("plain json please", mime="application/json")
        self.assertIsInstance(json.loads(self.text_of(resp)), dict)

    def test_thinking_budget_reports_thoughts(self):
        r, resp = self.gen("think about it", schema=PERSON_SCHEMA,
                           thinkingConfig={"thinkingBudget": 512})
        u = resp["usageMetadata"]
        self.assertGreater(u["thoughtsTokenCount"], 0)
        self.assertEqual(u["totalTokenCount"], u["promptTokenCount"] + u["candidatesTokenCount"]
                         + u["thoughtsTokenCount"])
        r, resp = self.gen("show thoughts", thinkingConfig={"thinkingBudget": 256,
                                                             "includeThoughts": True})
        parts = resp["candidates"][0]["content"]["parts"]
        self.assertTrue(parts[0]["thought"])
        self.assertIn("show thoughts", parts[1]["text"])

    def test_max_output_tokens_truncates(self):
        r, resp = self.gen("x " * 50 + "long", schema=PERSON_SCHEMA, maxOutputTokens=5)
        self.assertEqual(resp["candidates"][0]["finishReason"], "MAX_TOKENS")
        self.assertLessEqual(len(self.text_of(resp)), 20)

    def test_list_models(self):
        c = self.fake.conn()
        c.request("GET", "/v1beta/models", headers={"x-goog-api-key": KEY})
        d = json.loads(c.getresponse().read())
        c.close()
        self.assertIn("models/gemini-2.5-pro", [m["name"] for m in d["models"]])


class TestRejections(Base):
    def test_missing_and_wrong_key(self):
        for headers in ({}, {"x-goog-api-key": "nope"}):
            r, body = self.post(GEN % MODEL, gem_body("hi"), headers=headers)
            self.assert_error(r, body, 400, "INVALID_ARGUMENT")
            self.assertEqual(self.detail(body, "ErrorInfo")["reason"], "API_KEY_INVALID")

    def test_key_in_query_rejected(self):
        r, body = self.post(GEN % MODEL + "?key=" + KEY, gem_body("hi"))
        self.assert_error(r, body, 400, "INVALID_ARGUMENT")
        self.assertIn("URL", body["error"]["message"])
        r, body = self.post(GEN % MODEL + "?key=" + KEY, gem_body("hi"), headers={})
        self.assertEqual(r.status, 400)

    def test_forbidden_key(self):
        r, body = self.post(GEN % MODEL, gem_body("hi"), headers={"x-goog-api-key": "bad-key"})
        self.assert_error(r, body, 403, "PERMISSION_DENIED")

    def test_unknown_model(self):
        r, body = self.gen("hi", model="gemini-3.6-flahs")
        self.assert_error(r, body, 404, "NOT_FOUND")
        self.assertTrue(body["error"]["message"].startswith(
            "models/gemini-3.6-flahs is not found for API version v1beta"))

    def test_request_validation(self):
        cases = [
            ({"contents": []}, "contents is not specified"),
            ({"contents": [{"role": "user", "parts": [{"text": ""}]}]}, "empty text"),
            ({"contents": [{"role": "user", "parts": [{"text": "x"}]}], "bogus": 1},
             'Unknown name "bogus"'),
            (gem_body("x", openapi={"type": "OBJECT", "additionalProperties": False}),
             'Unknown name "additionalProperties" at \'generation_config.response_schema\''),
            ({"contents": [{"role": "user", "parts": [{"text": "x"}]}],
              "generationConfig": {"responseJsonSchema": {"type": "object"}}},
             "response_mime_type"),
            ({"contents": [{"role": "bot", "parts": [{"text": "x"}]}]}, "valid role"),
        ]
        for body, needle in cases:
            r, resp = self.post(GEN % MODEL, body)
            self.assert_error(r, resp, 400, "INVALID_ARGUMENT")
            self.assertIn(needle, resp["error"]["message"])
        r, resp = self.post(GEN % "gemini-2.5-pro", gem_body("x", thinkingConfig={
            "thinkingBudget": 0}))
        self.assert_error(r, resp, 400, "INVALID_ARGUMENT")
        self.assertIn("Budget 0 is invalid", resp["error"]["message"])
        r, resp = self.post(GEN % MODEL, b"{not json")
        self.assert_error(r, resp, 400, "INVALID_ARGUMENT")
        self.detail(resp, "BadRequest")

    def test_unknown_directive_is_400(self):
        r, body = self.gen("[[fake:frobnicate]]")
        self.assert_error(r, body, 400, "INVALID_ARGUMENT")
        self.assertIn("frobnicate", body["error"]["message"])


class TestDirectives(Base):
    def test_error_statuses(self):
        cases = {"429-bare": (429, "RESOURCE_EXHAUSTED"), "400": (400, "INVALID_ARGUMENT"),
                 "401": (401, "UNAUTHENTICATED"), "403": (403, "PERMISSION_DENIED"),
                 "404": (404, "NOT_FOUND"), "500": (500, "INTERNAL"),
                 "503": (503, "UNAVAILABLE"), "504": (504, "DEADLINE_EXCEEDED"),
                 "429-errorinfo": (429, "RESOURCE_EXHAUSTED")}
        for d, (code, status) in cases.items():
            r, body = self.gen("status test [[fake:%s]]" % d)
            self.assert_error(r, body, code, status)

    def test_429_minute_and_day(self):
        for d, qid in (("429", "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"),
                       ("429-day", "GenerateRequestsPerDayPerProjectPerModel-FreeTier")):
            r, body = self.gen("quota [[fake:%s]]" % d)
            self.assert_error(r, body, 429, "RESOURCE_EXHAUSTED")
            self.assertEqual(self.detail(body, "QuotaFailure")["violations"][0]["quotaId"], qid)
            self.assertEqual(self.detail(body, "RetryInfo")["retryDelay"], "0.250000s")
            self.detail(body, "Help")
        r, body = self.gen("quota [[fake:429,retry=7.5]]")
        self.assertEqual(self.detail(body, "RetryInfo")["retryDelay"], "7.500000s")
        self.assertIn("Please retry in 7.5", body["error"]["message"])

    def test_html_and_408(self):
        for d, code in (("html", 502), ("408", 408)):
            r, raw = self.post(GEN % MODEL, gem_body("[[fake:%s]]" % d), raw=True)
            self.assertEqual(r.status, code)
            self.assertTrue(r.getheader("Content-Type").startswith("text/html"))
            self.assertIn(b"<html", raw)

    def test_badjson(self):
        r, raw = self.post(GEN % MODEL, gem_body("[[fake:badjson]]", schema=PERSON_SCHEMA),
                           raw=True)
        self.assertEqual(r.status, 200)
        self.assertEqual(int(r.getheader("Content-Length")), len(raw))
        with self.assertRaises(ValueError):
            json.loads(raw)

    def test_model_text_faults(self):
        _, resp = self.gen("[[fake:notjson-text]]", schema=PERSON_SCHEMA)
        self.assertEqual(resp["candidates"][0]["finishReason"], "STOP")
        with self.assertRaises(ValueError):
            json.loads(self.text_of(resp))
        _, resp = self.gen("[[fake:schema-violation]]", schema=PERSON_SCHEMA)
        v = json.loads(self.text_of(resp))
        self.assertIn("missing required", validate(v, PERSON_SCHEMA))
        _, resp = self.gen("[[fake:schema-wrong-type]]", schema=PERSON_SCHEMA)
        self.assertIn(" is not ", validate(json.loads(self.text_of(resp)), PERSON_SCHEMA))
        _, resp = self.gen("[[fake:fenced]]", schema=PERSON_SCHEMA)
        self.assertTrue(self.text_of(resp).startswith("```json\n"))
        _, resp = self.gen("[[fake:split]]", schema=PERSON_SCHEMA)
        self.assertEqual(len(resp["candidates"][0]["content"]["parts"]), 2)
        self.assertIsNone(validate(json.loads(self.text_of(resp)), PERSON_SCHEMA))
        _, resp = self.gen("[[fake:nulls]]", schema=PERSON_SCHEMA)
        v = json.loads(self.text_of(resp))
        self.assertNotIn("nickname", v)
        self.assertIsNone(validate(v, PERSON_SCHEMA))

    def test_blocked_and_finish_reasons(self):
        _, resp = self.gen("[[fake:blocked]]", schema=PERSON_SCHEMA)
        self.assertNotIn("candidates", resp)
        self.assertEqual(resp["promptFeedback"]["blockReason"], "SAFETY")
        self.assertTrue(resp["promptFeedback"]["safetyRatings"])
        _, resp = self.gen("[[fake:blocked-message-only]]")
        self.assertEqual(resp["candidates"], [])
        self.assertNotIn("blockReason", resp["promptFeedback"])
        _, resp = self.gen("[[fake:safety]]")
        c = resp["candidates"][0]
        self.assertEqual((c["finishReason"], c["content"]), ("SAFETY", {}))
        _, resp = self.gen("[[fake:max-tokens]]", schema=PERSON_SCHEMA)
        self.assertEqual(resp["candidates"][0]["finishReason"], "MAX_TOKENS")
        with self.assertRaises(ValueError):
            json.loads(self.text_of(resp))
        _, resp = self.gen("[[fake:max-tokens-no-parts]]", schema=PERSON_SCHEMA)
        c = resp["candidates"][0]
        self.assertEqual((c["finishReason"], c["content"]), ("MAX_TOKENS", {"role": "model"}))
        self.assertNotIn("candidatesTokenCount", resp["usageMetadata"])
        _, resp = self.gen("[[fake:recitation]]")
        self.assertEqual(resp["candidates"][0]["finishReason"], "RECITATION")
        self.assertNotIn("content", resp["candidates"][0])
        _, resp = self.gen("[[fake:unknown-finish]]", schema=PERSON_SCHEMA)
        self.assertEqual(resp["candidates"][0]["finishReason"], "FAKE_NEW_FINISH_REASON")
        _, resp = self.gen("[[fake:other]]")
        self.assertEqual(resp["candidates"][0]["finishReason"], "OTHER")
        _, resp = self.gen("[[fake:empty-content]]")
        self.assertEqual(resp["candidates"][0]["content"], {})

    def test_drop_reset_short_body(self):
        with self.assertRaises(http.client.RemoteDisconnected):
            self.gen("[[fake:drop]]")
        with self.assertRaises((ConnectionResetError, http.client.RemoteDisconnected)):
            self.gen("[[fake:reset]]")
        with self.assertRaises(http.client.IncompleteRead):
            self.gen("[[fake:short-body]]")

    def test_hang_until_client_gives_up(self):
        before = self.stats()["no_response"].get("hang", 0)
        c = self.fake.conn(timeout=0.4)
        t = time.monotonic()
        with self.assertRaises(socket.timeout):
            self.post(GEN % MODEL, gem_body("[[fake:hang]]"), conn=c)
        self.assertGreaterEqual(time.monotonic() - t, 0.35)
        c.close()
        deadline = time.monotonic() + 3
        while self.stats()["no_response"].get("hang", 0) == before:
            self.assertLess(time.monotonic(), deadline, "server did not notice the close")
            time.sleep(0.05)

    def test_sleep(self):
        t = time.monotonic()
        r, _ = self.gen("slow [[fake:sleep=300]]")
        self.assertEqual(r.status, 200)
        self.assertGreaterEqual(time.monotonic() - t, 0.29)

    def test_fail_first_n_then_succeed(self):
        prompt = "retry me %f [[fake:500x2]]" % time.time()
        got = [self.gen(prompt, schema=PERSON_SCHEMA)[0].status for _ in range(4)]
        self.assertEqual(got, [500, 500, 200, 200])
        prompt = "sequence %f [[fake:503x1, 429x2]]" % time.time()
        got = [self.gen(prompt)[0].status for _ in range(5)]
        self.assertEqual(got, [503, 429, 429, 200, 200])
        s = self.stats()
        self.assertGreaterEqual(s["max_attempts_per_prompt"], 5)

    def test_directive_in_system_instruction(self):
        r, body = self.gen("plain prompt", system="[[fake:503]]")
        self.assertEqual(r.status, 503)

    def test_chunked_response(self):
        r, raw = self.post(GEN % MODEL, gem_body("[[fake:chunked]]", schema=PERSON_SCHEMA),
                           raw=True)
        self.assertEqual(r.getheader("Transfer-Encoding"), "chunked")
        self.assertIsNone(validate(json.loads(self.text_of(json.loads(raw))), PERSON_SCHEMA))


class TestConnectionsAndStats(Base):
    def test_keep_alive_reuses_one_connection(self):
        c = self.fake.conn()
        c.request("GET", "/_fake/stats")
        n0 = json.loads(c.getresponse().read())["connections_total"]
        sock = c.sock
        for i in range(6):
            kind = ["", "[[fake:500]]", "[[fake:429]]", "[[fake:blocked]]"][i % 4]
            r, _ = self.post(GEN % MODEL, gem_body("keepalive %d %s" % (i, kind)), conn=c)
            self.assertIsNotNone(r.status)
            self.assertIs(c.sock, sock)
        r, _ = self.post(GEN % "nope-model", gem_body("x"), conn=c)   # errors keep it too
        self.assertIs(c.sock, sock)
        c.request("GET", "/_fake/stats")
        self.assertEqual(json.loads(c.getresponse().read())["connections_total"], n0)
        self.assertIs(c.sock, sock)
        r, _ = self.post(GEN % MODEL, gem_body("bye"), conn=c,
                         headers={"x-goog-api-key": KEY, "Connection": "close"})
        self.assertEqual(r.getheader("Connection"), "close")
        c.close()

    def test_expect_continue_and_chunked_request(self):
        body = json.dumps(gem_body("big " * 2000, schema=PERSON_SCHEMA)).encode()
        c = self.fake.conn()
        c.putrequest("POST", GEN % MODEL)
        for k, v in (("x-goog-api-key", KEY), ("Content-Type", "application/json"),
                     ("Transfer-Encoding", "chunked")):
            c.putheader(k, v)
        c.endheaders()
        for i in range(0, len(body), 3000):
            part = body[i:i + 3000]
            c.send(b"%x\r\n%s\r\n" % (len(part), part))
        c.send(b"0\r\n\r\n")
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        r.read()
        r, _ = self.post(GEN % MODEL, body, conn=c, headers={"x-goog-api-key": KEY,
                                                             "Expect": "100-continue"})
        self.assertEqual(r.status, 200)
        c.close()

    def test_stats_and_reset(self):
        c = self.fake.conn()
        c.request("POST", "/_fake/reset")
        self.assertEqual(json.loads(c.getresponse().read()), {"reset": True})
        s = self.stats()
        self.assertEqual(s["requests_total"], 0)
        self.assertEqual(s["by_status"], {})
        self.gen("stats one")
        self.gen("stats two [[fake:429]]")
        self.gen("stats three [[fake:503]]")
        s = self.stats()
        self.assertEqual(s["requests_total"], 3)
        self.assertEqual(s["by_status"], {"200": 1, "429": 1, "503": 1})
        self.assertEqual(s["status_429"], 1)
        self.assertEqual(s["by_fault"], {"429": 1, "503": 1})
        self.assertEqual(s["by_endpoint"], {"generateContent": 3})
        self.assertGreaterEqual(s["in_flight_max"], 1)
        self.assertEqual(s["in_flight"], 0)
        self.assertLessEqual(s["first_request_at"], s["last_request_at"])
        self.assertEqual(sum(s["per_second"].values()), 3)
        for k in ("latency_ms", "handle_ms", "tokens", "connections_total", "config",
                  "distinct_prompts", "rate_limited", "no_response"):
            self.assertIn(k, s)
        s = self.stats()
        c.request("GET", "/_fake/stats?reset=1")
        c.getresponse().read()
        self.assertEqual(self.stats()["requests_total"], 0)
        c.close()


class TestOpenAI(Base):
    def chat(self, prompt, path="/v1beta/openai/chat/completions", key=KEY, schema=None, **kw):
        body = {"model": MODEL, "messages": [{"role": "system", "content": "Extract."},
                                             {"role": "user", "content": prompt}]}
        if schema:
            body["response_format"] = {"type": "json_schema",
                                       "json_schema": {"name": "row", "schema": schema}}
        body.update(kw)
        h = {"Authorization": "Bearer " + key} if key else {}
        return self.post(path, body, headers=h)

    def test_success_all_paths(self):
        for path in ("/chat/completions", "/v1/chat/completions",
                     "/v1beta/openai/chat/completions"):
            r, resp = self.chat("person: Bob", path=path, schema=PERSON_SCHEMA)
            self.assertEqual(r.status, 200)
            self.assertEqual(resp["object"], "chat.completion")
            ch = resp["choices"][0]
            self.assertEqual(ch["finish_reason"], "stop")
            self.assertEqual(ch["message"]["role"], "assistant")
            self.assertIsNone(validate(json.loads(ch["message"]["content"]), PERSON_SCHEMA))
            u = resp["usage"]
            self.assertEqual(u["total_tokens"], u["prompt_tokens"] + u["completion_tokens"])

    def test_auth(self):
        for key in (None, "wrong"):
            r, resp = self.chat("x", key=key)
            self.assertEqual(r.status, 401)
            self.assertEqual(set(resp["error"]) >= {"message", "type", "code"}, True)

    def test_faults(self):
        r, resp = self.chat("[[fake:429]]")
        self.assertEqual(r.status, 429)
        self.assertEqual(resp["error"]["code"], "rate_limit_exceeded")
        self.assertIsNotNone(r.getheader("Retry-After"))
        r, resp = self.chat("[[fake:500]]")
        self.assertEqual((r.status, resp["error"]["type"]), (500, "server_error"))
        _, resp = self.chat("[[fake:max-tokens]]", schema=PERSON_SCHEMA)
        self.assertEqual(resp["choices"][0]["finish_reason"], "length")
        _, resp = self.chat("[[fake:blocked]]")
        self.assertEqual(resp["choices"][0]["finish_reason"], "content_filter")
        r, resp = self.post("/v1/chat/completions", {"model": "gpt-4", "messages": [
            {"role": "user", "content": "x"}]}, headers={"Authorization": "Bearer " + KEY})
        self.assertEqual((r.status, resp["error"]["code"]), (404, "model_not_found"))


class TestImplicitCache(Base):
    """A repeated prefix of 2,048 tokens or more is reported as cached
    (cachedContentTokenCount), in 64-token blocks; a varying start is not."""

    def fixed(self, tag, tokens):
        words = ("%s rule %d: extract the field exactly as written. " % (tag, i)
                 for i in range(tokens))
        return "".join(words)[:tokens * 4]

    def test_fixed_system_instruction_first(self):
        system = self.fixed("sys-first", 3000)
        _, a = self.gen("row: Ada", system=system)
        _, b = self.gen("row: Grace", system=system)
        ua, ub = a["usageMetadata"], b["usageMetadata"]
        self.assertNotIn("cachedContentTokenCount", ua)
        self.assertGreaterEqual(ua["promptTokenCount"], 3000)   # the system counts
        c = ub["cachedContentTokenCount"]
        self.assertGreaterEqual(c, 2048)
        self.assertLessEqual(c, 3000)
        self.assertGreater(c, 3000 - 64)
        self.assertEqual(c % 64, 0)
        self.assertEqual(ub["cacheTokensDetails"], [{"modality": "TEXT", "tokenCount": c}])
        self.assertEqual(ub["totalTokenCount"],
                         ub["promptTokenCount"] + ub.get("candidatesTokenCount", 0))

    def test_fixed_part_first_in_the_prompt_and_schema(self):
        fixed = self.fixed("prompt-first", 2600)
        _, a = self.gen(fixed + "\nrow: Ada", schema=PERSON_SCHEMA)
        _, b = self.gen(fixed + "\nrow: Grace", schema=PERSON_SCHEMA)
        self.assertNotIn("cachedContentTokenCount", a["usageMetadata"])
        self.assertGreaterEqual(b["usageMetadata"]["cachedContentTokenCount"], 2600 - 64)

    def test_row_first_is_not_cached(self):
        fixed = self.fixed("row-first", 3000)
        for name in ("Ada", "Grace", "Edsger"):
            _, r = self.gen("row: %s\n%s" % (name, fixed))
            self.assertNotIn("cachedContentTokenCount", r["usageMetadata"])

    def test_short_prefix_is_not_cached(self):
        fixed = self.fixed("short", 1500)
        self.gen(fixed + "\nrow: Ada")
        _, r = self.gen(fixed + "\nrow: Grace")
        self.assertNotIn("cachedContentTokenCount", r["usageMetadata"])

    def test_openai_endpoint_and_stats(self):
        system = self.fixed("openai", 2500)
        before = self.stats()["tokens"]["cached"]
        for name in ("Ada", "Grace"):
            r, resp = self.post("/v1beta/openai/chat/completions", {
                "model": MODEL, "messages": [{"role": "system", "content": system},
                                             {"role": "user", "content": name}]},
                headers={"Authorization": "Bearer " + KEY})
            self.assertEqual(r.status, 200)
        c = resp["usage"]["prompt_tokens_details"]["cached_tokens"]
        self.assertGreaterEqual(c, 2048)
        self.assertEqual(self.stats()["tokens"]["cached"] - before, c)


class TestEchoKey(Base):
    """The *-echo-key outcomes quote the request's key, as a verbose server or a
    proxy may; rowpool's tests check that it never keeps what they quote."""
    ODD = "Qv7KEYLEAK/+=:&x9 Zq"

    @classmethod
    def setUpClass(cls):
        cls.fake = Fake("--key", cls.ODD)

    def echo(self, directive, oa=False):
        if oa:
            return self.post("/chat/completions", {
                "model": MODEL, "messages": [{"role": "user", "content": directive}]},
                headers={"Authorization": "Bearer " + self.ODD}, raw=True)
        return self.post(GEN % MODEL, gem_body(directive),
                         headers={"x-goog-api-key": self.ODD}, raw=True)

    def test_gemini_json(self):
        for d, code, status in (("400-echo-key", 400, "INVALID_ARGUMENT"),
                                ("401-echo-key", 401, "UNAUTHENTICATED")):
            r, raw = self.echo("[[fake:%s]]" % d)
            body = json.loads(raw)
            self.assert_error(r, body, code, status)
            self.assertIn(self.ODD, body["error"]["message"])
            # = and & are JSON-escaped in the raw body, as Google's are.
            self.assertNotIn(self.ODD.encode(), raw)
            self.assertIn(b"\\u003d:\\u0026", raw)

    def test_url_encoded(self):
        r, raw = self.echo("[[fake:400-echo-key-url]]")
        msg = json.loads(raw)["error"]["message"]
        self.assertEqual(r.status, 400)
        self.assertIn("?key=Qv7KEYLEAK%2F%2B%3D%3A%26x9%20Zq&alt=json", msg)
        self.assertNotIn(self.ODD, msg)

    def test_html_page(self):
        r, raw = self.echo("[[fake:html-echo-key]]")
        self.assertEqual(r.status, 502)
        self.assertTrue(r.getheader("Content-Type").startswith("text/html"))
        page = raw.decode()
        self.assertIn("<title>502 Bad Gateway: upstream refused x-goog-api-key: "
                      "Qv7KEYLEAK/+=:&amp;x9 Zq</title>", page)
        self.assertIn("<pre>x-goog-api-key: Qv7KEYLEAK/+=:&amp;x9 Zq\n", page)

    def test_pad_puts_the_key_further(self):
        _, raw = self.echo("[[fake:400-echo-key,pad=470]]")
        msg = json.loads(raw)["error"]["message"]
        self.assertTrue(msg.startswith("_" * 470 + "API key " + self.ODD), msg)
        _, raw = self.echo("[[fake:html-echo-key pad=3]]")
        self.assertIn(b"<title>___502 Bad", raw)

    def test_openai(self):
        r, raw = self.echo("[[fake:401-echo-key]]", oa=True)
        self.assertEqual(r.status, 401)
        self.assertIn("Authorization: Bearer " + self.ODD,
                      json.loads(raw)["error"]["message"])
        r, raw = self.echo("[[fake:html-echo-key]]", oa=True)
        self.assertEqual(r.status, 502)
        self.assertIn(b"Authorization: Bearer Qv7KEYLEAK/+=:&amp;x9 Zq", raw)


class TestQuotaServers(unittest.TestCase):
    def post(self, fake, prompt, conn=None):
        c = conn or fake.conn()
        c.request("POST", GEN % MODEL, body=json.dumps(gem_body(prompt)),
                  headers={"x-goog-api-key": KEY, "Content-Type": "application/json"})
        r = c.getresponse()
        body = json.loads(r.read())
        if conn is None:
            c.close()
        return r, body

    def quota_detail(self, body):
        d = {x["@type"].rsplit(".", 1)[1]: x for x in body["error"]["details"]}
        return d["QuotaFailure"]["violations"][0], d["RetryInfo"]["retryDelay"]

    def test_rpm_limit(self):
        fake = Fake("--rpm", "3", "--rpm-window-s", "1.5")
        try:
            c = fake.conn()
            got = [self.post(fake, "rpm %d" % i, c)[0].status for i in range(3)]
            self.assertEqual(got, [200, 200, 200])
            r, body = self.post(fake, "rpm 4", c)
            self.assertEqual(r.status, 429)
            self.assertEqual(body["error"]["status"], "RESOURCE_EXHAUSTED")
            v, delay = self.quota_detail(body)
            self.assertEqual(v["quotaId"], "GenerateRequestsPerMinutePerProjectPerModel-FreeTier")
            self.assertEqual(v["quotaValue"], "120")  # 3 per 1.5 s, per minute
            self.assertRegex(delay, r"^\d+\.\d{6}s$")
            d = float(delay[:-1])
            self.assertTrue(0 < d <= 1.5, delay)
            self.assertIn("Please retry in", body["error"]["message"])
            time.sleep(d + 0.05)
            self.assertEqual(self.post(fake, "rpm 5", c)[0].status, 200)
            c.request("GET", "/_fake/stats")
            s = json.loads(c.getresponse().read())
            c.close()
            self.assertEqual(s["rate_limited"]["rpm"], 1)
            self.assertEqual(s["status_429"], 1)
        finally:
            self.assertEqual(fake.stop(), 0)

    def test_rpd_limit_and_seconds_style(self):
        fake = Fake("--rpd", "2", "--retry-delay-style", "seconds")
        try:
            self.assertEqual([self.post(fake, "rpd %d" % i)[0].status for i in range(2)],
                             [200, 200])
            r, body = self.post(fake, "rpd 3")
            self.assertEqual(r.status, 429)
            v, delay = self.quota_detail(body)
            self.assertEqual(v["quotaId"], "GenerateRequestsPerDayPerProjectPerModel-FreeTier")
            self.assertRegex(delay, r"^\d+s$")
            fake_reset = fake.conn()
            fake_reset.request("POST", "/_fake/reset")
            fake_reset.getresponse().read()
            fake_reset.close()
            self.assertEqual(self.post(fake, "rpd 4")[0].status, 200)
        finally:
            self.assertEqual(fake.stop(), 0)

    def test_runtime_config_and_max_conn_requests(self):
        fake = Fake("--max-conn-requests", "3")   # counts every response
        try:
            c = fake.conn()
            c.request("POST", "/_fake/config", body=json.dumps({"rpm": 1}))
            self.assertEqual(json.loads(c.getresponse().read())["rpm"], 1)
            r1, _ = self.post(fake, "cfg 1", c)
            self.assertIsNone(r1.getheader("Connection"))
            r2, body = self.post(fake, "cfg 2", c)
            self.assertEqual((r2.status, r2.getheader("Connection")), (429, "close"))
            c.close()
        finally:
            self.assertEqual(fake.stop(), 0)

    def test_random_errors_latency_port_and_stats_files(self):
        with tempfile.TemporaryDirectory() as tmp:
            pf, sf = os.path.join(tmp, "port"), os.path.join(tmp, "stats.json")
            fake = Fake("--error-rate", "0.5", "--error-kinds", "503,drop:0", "--seed", "7",
                        "--latency-median-ms", "20", "--latency-p99-ratio", "2",
                        "--port-file", pf, "--stats-file", sf)
            try:
                with open(pf) as f:
                    self.assertEqual(int(f.read()), fake.port)
                got = [self.post(fake, "random %d" % i)[0].status for i in range(30)]
                self.assertEqual(set(got), {200, 503})
            finally:
                self.assertEqual(fake.stop(), 0)
            with open(sf) as f:
                s = json.load(f)
            self.assertEqual(s["requests_total"], 30)
            self.assertEqual(s["by_fault"].get("503", 0), got.count(503))
            self.assertTrue(10 <= s["latency_ms"]["p50"] <= 40, s["latency_ms"])
            # same seed -> same fault pattern
            fake = Fake("--error-rate", "0.5", "--error-kinds", "503", "--seed", "7")
            try:
                again = [self.post(fake, "random %d" % i)[0].status for i in range(30)]
            finally:
                fake.stop()
            self.assertEqual(got, again)


if __name__ == "__main__":
    unittest.main()
