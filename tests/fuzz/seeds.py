#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz harnesses that take a binary or
composite input (tests/fuzz/corpus/NAME/), in each harness's input format
(see the comment at the top of tests/fuzz/fuzz_NAME.c).  The files are
committed; run this again, from the repo root, after changing a format:

    tests/fuzz/seeds.py [NAME...]
"""
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xFFFFFFFF


def frame(ftype, fid, payload, magic=0x5250):
    return struct.pack("<HHIQ", magic, ftype, len(payload), fid) + payload


def frame_seeds():
    ok = (frame(1, 0, b"{}") + frame(2, 7, b'{"a":"1"}') +
          frame(3, 42, b'{"status":"ok","data":{"x":[1,2,3]}}') +
          frame(4, 0, b"no processor") + frame(3, 2**64 - 1, b""))
    res = b'{"status":"failed","error":{"kind":"http","message":"x"}}'
    # byte 0: the maximum (index into maxes[]), bytes 1-4: the chunk seed.
    return {
        "stream": b"\x0a\x01\x02\x03\x04" + ok,
        "stream-max100": b"\x06\x05\x06\x07\x08" + ok,
        "truncated": b"\x0a\x11\x22\x33\x44" + ok[:-3],
        "header-only": b"\x0a\x00\x00\x00\x01" + ok[:10],
        "bad-magic": b"\x0a\x01\x01\x01\x01" + frame(3, 1, b"{}", 0x5052),
        "bad-type": b"\x0a\x01\x01\x01\x01" + frame(1, 0, b"{}") +
                    frame(9, 0, b"{}"),
        "type0": b"\x0a\x01\x01\x01\x01" + frame(0, 0, b"{}"),
        "oversized": b"\x07\x01\x01\x01\x01" + frame(3, 1, res) +
                     struct.pack("<HHIQ", 0x5250, 3, 0xFFFFFFFF, 1),
        "max0": b"\x00\x09\x09\x09\x09" + frame(1, 0, b"") +
                frame(2, 3, b"x"),
        "big": b"\x0a\xff\x00\xff\x00" + frame(3, 5, b"y" * 5000) +
               frame(1, 0, b"{}"),
        "lying-256k": b"\x0a\x01\x00\x00\x00" +
                     struct.pack("<HHIQ", 0x5250, 3, 1 << 18, 1) + b"{}",
        "lying-64m": b"\x0a\x01\x00\x00\x00" +
                     struct.pack("<HHIQ", 0x5250, 3, 64 << 20, 1) + b"{}",
    }


def jrec(row, payload, replaces=False):
    if replaces:
        row |= 1 << 63
    body = struct.pack("<Q", row) + payload
    return struct.pack("<II", len(payload), crc32c(body)) + body


def recipe(*recs):
    """(ctl, row, payload) triples in the fuzz_journal recipe format."""
    return b"".join(bytes([ctl, row, len(p)]) + p for ctl, row, p in recs)


OK = b'{"row":%d,"status":"ok","attempts":1,"data":{"text":"x"}}'
FAILED = (b'{"row":%d,"status":"failed","attempts":4,"error":{"kind":'
          b'"%s","message":"HTTP 500"}}')


def journal_seeds():
    seeds = {}
    # Recipes: byte 0 = 0 (recipe, committed = the file size).
    three = recipe((0, 0, OK % 0), (0, 1, FAILED % (1, b"http")),
                   (0, 2, OK % 2))
    seeds["recipe-3"] = b"\x00\x00\x00" + three
    seeds["recipe-boundary"] = b"\x02\x02\x00" + three
    seeds["recipe-any"] = b"\x04\x50\x00" + three
    seeds["recipe-past-end"] = b"\x06\x05\x00" + three
    seeds["recipe-cancel"] = b"\x08\x01\x00" + three
    seeds["recipe-badcrc"] = b"\x00\x00\x00" + recipe(
        (0, 0, OK % 0), (2, 1, OK % 1), (0, 2, OK % 2))
    seeds["recipe-longlen"] = b"\x00\x00\x00" + recipe(
        (0, 0, OK % 0), (4, 1, OK % 1))
    seeds["recipe-replace"] = b"\x00\x01\x00" + recipe(
        (0, 3, FAILED % (3, b"rate_limited")), (1, 3, OK % 3),
        (8, 9, b""))
    seeds["recipe-torn"] = b"\x00\x00\x00" + three + b"\x10\x00\x00"
    # Raw files: byte 0 = 1 (raw bytes, committed = the file size).
    raw = jrec(0, OK % 0) + jrec(1, FAILED % (1, b"timeout"))
    seeds["raw-2"] = b"\x01\x00\x00" + raw
    seeds["raw-torn"] = b"\x01\x00\x00" + raw + jrec(2, OK % 2)[:-5]
    seeds["raw-huge-len"] = (b"\x01\x00\x00" + raw +
                             struct.pack("<IIQ", 0xFFFFFFFF, 0, 2))
    seeds["raw-empty"] = b"\x01\x00\x00"
    data = os.path.join(HERE, "..", "data", "state-v1")
    for d in sorted(os.listdir(data)):
        j = os.path.join(data, d, "journal")
        if os.path.isfile(j):
            with open(j, "rb") as f:
                seeds["state-v1-" + d] = b"\x01\x00\x00" + f.read()
    return seeds


def manifest(**over):
    m = ('{"version":1,"input":{"path":"in.csv","fingerprint":"@FP@"},'
         '"settings":@SETTINGS@,"journal_length":@LEN@,"rows_done":@ROWS@,'
         '"ok":@OK@,"failed":@FAILED@,"rows_total":3,"tokens":'
         '{"prompt_tokens":22,"output_tokens":26,"total_tokens":48},'
         '"cost_usd":0.0001}')
    for k, v in over.items():
        m = m.replace(k, v)
    return m.encode()


def state_seeds():
    three = recipe((0, 0, OK % 0), (0, 1, FAILED % (1, b"http")),
                   (0, 2, OK % 2))
    replace = recipe((0, 0, OK % 0), (0, 1, FAILED % (1, b"timeout")),
                     (1, 1, OK % 1), (0, 2, FAILED % (2, b"blocked")))
    unknown = recipe((0, 0, OK % 0), (0, 1, FAILED % (1, b"newkind")),
                     (1, 1, OK % 1))
    # manifest NUL flags kinds journal (flags: 1 no journal, 2 raw,
    # 4 no manifest, 8 --restart; kinds: 0 none, 255 all, else one).
    seeds = {
        "good": manifest() + b"\0\0\0" + three,
        "good-retry-all": manifest() + b"\0\0\xff" + three,
        "good-retry-http": manifest() + b"\0\0\x07" + three,
        "replaced": manifest() + b"\0\0\x02" + replace,
        "unknown-kind": manifest() + b"\0\0\x00" + unknown,
        "torn-tail": manifest() + b"\0\0\0" + three + b"\x00\x07",
        "appended": manifest(**{"@FP@": "@FPA@"}) + b"\0\0\0" + three,
        "appended-b": manifest(**{"@FP@": "@FPB@"}) + b"\0\0\0" + three,
        "appended-midline": manifest(**{"@FP@": "@FPM@"}) + b"\0\0\0" +
        three,
        "other-input": manifest(**{"@FP@": "33:0000000000000000"}) +
        b"\0\0\0" + three,
        "long-committed": manifest(**{"@LEN@": "@SIZE@0"}) + b"\0\0\0" +
        three,
        "no-journal": manifest(**{"@LEN@": "0"}) + b"\0\x01\0",
        "no-journal-committed": manifest() + b"\0\x01\0" + three,
        "no-manifest": b"\0\x04\0",
        "no-manifest-journal": b"\0\x04\0" + three,
        "restart": manifest() + b"\0\x08\0" + three,
        "version2": manifest(**{'"version":1': '"version":2'}) +
        b"\0\0\0" + three,
        "negative": manifest(**{'"ok":@OK@': '"ok":-1'}) + b"\0\0\0" +
        three,
        "rows-total-low": manifest(**{'"rows_total":3': '"rows_total":1'}) +
        b"\0\0\0" + three,
        "rows-total-null": manifest(**{'"rows_total":3': '"rows_total":null'}) +
        b"\0\0\0" + three,
        "tokens-array": manifest(**{'"tokens":{': '"tokens":[{'}) +
        b"\0\0\0" + three,
        "settings-changed": manifest(**{"@SETTINGS@": '{"processor":"echo"}'})
        + b"\0\0\0" + three,
        "dup-key": manifest(**{'"ok":': '"ok":0,"ok":'}) + b"\0\0\0" +
        three,
        "not-object": b"[1,2,3]\0\0\0" + three,
        "empty": b"\0\0\0" + three,
        "syntax": b'{"version":1,\0\0\0' + three,
        "dup-row": manifest() + b"\0\0\0" + recipe((0, 0, OK % 0),
                                                   (0, 0, OK % 0)),
        "replace-undone": manifest() + b"\0\0\0" + recipe((1, 4, OK % 4)),
        "big-row": manifest() + b"\0\0\0" + recipe((8, 1, OK % 1)),
        "row-past-input": manifest() + b"\0\0\0" + recipe((0, 250, OK % 1)),
        "last-row": manifest() + b"\0\0\0" + recipe((0, 249, OK % 1)),
    }
    data = os.path.join(HERE, "..", "data", "state-v1")
    for d in sorted(os.listdir(data)):
        m = os.path.join(data, d, "manifest")
        if os.path.isfile(m):
            with open(m, "rb") as f, open(os.path.join(data, d, "journal"),
                                          "rb") as j:
                seeds["state-v1-" + d] = f.read() + b"\0\x02\0" + j.read()
    return seeds


def tmpl(text, row=b"", err=0):
    """fuzz_template's input: the message buffer's size, the template's
    length, the template, the row."""
    return bytes([err]) + struct.pack("<H", len(text)) + text + row


def template_seeds():
    return {
        "plain": tmpl(b"hello\n", b"{}"),
        "one": tmpl(b"Hi {{name}}!", b'{"name":"Ann"}'),
        "blanks": tmpl(b"{{ name }}|{{\tname  }}", b'{"name":"Ann"}'),
        "spaces-in-name": tmpl(b"Date: {{Resignation Date}}.",
                               b'{"Resignation Date":"1/15/2018"}'),
        "adjacent": tmpl(b"{{a}}{{b}}{{a}}", b'{"a":"1","b":2}'),
        "escape": tmpl(b"{{{{a}}{{{{{{b}}{{{c}}}", b'{"a":"v","b":"w"}'),
        "braces": tmpl(b"{a} } { a}}b}} x{", b"{}"),
        "numbers": tmpl(b"{{i}} {{r}} {{t}} {{n}} {{o}} {{l}}",
                        b'{"i":42,"r":0.1,"t":true,"n":null,'
                        b'"o":{"x":[1,2.5,1e300]},"l":[0.30000000000000004]}'),
        "utf8": tmpl("Ünïcødé {{名前}} ok".encode(),
                     '{"名前":"値\u0000x"}'.encode()),
        "missing": tmpl(b"{{a}} {{b}}", b'{"a":"1"}'),
        "not-object": tmpl(b"x{{a}}y", b"[1,2]"),
        "no-row": tmpl(b"{{a}}{{b}}", b""),
        "multiline": tmpl(b"line1\n  {{col}}\n\t{{ other }}\n",
                          b'{"col":"c","other":"o"}'),
        "unclosed": tmpl(b"ab\ncd {{x", b"{}"),
        "unclosed-lf": tmpl(b"{{x\n}}", b"{}"),
        "unclosed-nul": tmpl(b"{{x\0}}", b"{}"),
        "single-brace": tmpl("é {{x}y}}".encode(), b"{}"),
        "empty-name": tmpl(b"{{ \t }}", b"{}", 3),
        "long-name": tmpl(b"{{" + b"n" * 600 + b"}}", b'{"a":1}', 2),
        "long-error-utf8": tmpl(("é" * 300 + "{{x").encode(), b"", 4),
        "small-buffer": tmpl(b"{{missing}}", b'{"a":1,"b":2}', 6),
    }


def schema_seeds():
    person = {"type": "object", "required": ["name", "age"],
              "properties": {"name": {"type": "string"},
                             "age": {"type": "INTEGER", "nullable": True},
                             "tags": {"type": "array",
                                      "items": {"enum": ["a", "b", 1]}},
                             "first name": {"type": ["string", "null"]},
                             "code": {"anyOf": [{"type": "string"},
                                                {"type": "number"}]}}}
    pairs = [
        ("person-ok", person, {"name": "Ann", "age": 3, "tags": ["a", 1],
                               "first name": None, "code": 2.5}),
        ("person-bad-age", person, {"name": "Ann", "age": 3.0}),
        ("person-missing", person, {"age": None}),
        ("person-deep", person, {"name": "x", "age": 1, "tags": ["a", "c"]}),
        ("true", True, [1, {"x": None}]),
        ("false", False, 1),
        ("bad-type", {"type": "int"}, 1),
        ("empty-types", {"type": []}, 1),
        ("tuple", {"items": [{"type": "string"}]}, ["x"]),
        ("empty-enum", {"enum": []}, 1),
        ("nullable-str", {"nullable": "yes"}, None),
        ("oneof", {"oneOf": [{"type": "string"}, {"required": ["a"]}]},
         {"b": 1}),
        ("anyof-deep", {"anyOf": [{"type": "object", "properties": {
            "a": {"type": "object", "properties": {"b": {"enum": [1]}}}}},
            {"type": "string"}]}, {"a": {"b": 2}}),
        ("not-schema", [1, 2], 3),
        ("required-num", {"required": [1, "x"]}, {"x": 1}),
        ("props-bad", {"properties": {"a": 3}}, {"a": 1}),
        ("long-path", {"properties": {"k" * 120: {"properties": {
            "é\'" * 40: {"type": "string"}}}}},
         {"k" * 120: {"é\'" * 40: 5}}),
        ("long-enum", {"enum": ["v" * 100, "w" * 100]}, "x" * 200),
    ]
    seeds = {}
    for i, (name, schema, value) in enumerate(pairs):
        seeds[name] = (bytes([i % 6]) + json.dumps(schema).encode() + b" " +
                       json.dumps(value).encode())
    nested = "x"
    for _ in range(300):
        nested = '{"anyOf":[%s,{"type":"null"}]}' % nested.replace(
            "x", '{"type":"string"}', 1) if nested == "x" else \
            '{"anyOf":[%s]}' % nested
    seeds["nested-anyof"] = b"\0" + nested.encode() + b" 5"
    return seeds


def retry_seeds():
    def r(delay, msg, tail=b"\x0f\x0a\x3c\x03\x00", quota=b"15"):
        return delay + b"\0" + msg + b"\0" + quota + b"\0" + tail
    return {
        "gemini": r(b"58.217843437s", b"Please retry in 58.217843437s."),
        "whole": r(b"45s", b"Resource has been exhausted"),
        "half": r(b"0.5s", b"x"),
        "tiny": r(b"0.0001s", b"x"),
        "zero": r(b"0s", b"Please retry in 0s."),
        "bad-dot": r(b"5.s", b"Please try again in 600ms."),
        "lead-dot": r(b".5s", b"Please try again in 1.5ms, thanks"),
        "neg": r(b"-1s", b"RETRY IN 3S"),
        "space": r(b" 5s", b"retry in 5sec"),
        "no-unit": r(b"5", b"try again in 20s; retry in 2s"),
        "unit-ms": r(b"5ms", b"retry in 5 s"),
        "huge": r(b"9223372036854775s", b"retry in 99999999999999999999s"),
        "big-ok": r(b"922337203685476s", b"try again in 9223372036854775807ms"),
        "long-outage": r(b"7200s", b"x", b"\x01\x01\x01\x01"),
        "utf8": r("58s".encode(), "Réessayez: retry in 1.25s.".encode()),
        "not-utf8": r(b"1s", b"retry in 2s \xff"),
        "quota-big": r(b"1s", b"x", quota=b"5000000000"),
        "quota-int": r(b"1s", b"x", quota=b"-3"),
        "delay-past-proto": r(b"9223336018427387s", b"x"),
    }


def proto_seeds():
    # byte 0: --tpm (% 5) and --rpm (/ 5 % 4), byte 1: the model's price;
    # then RESULT payloads, each ended by a NUL.
    def rows(opts, *payloads):
        return opts + b"\0".join(payloads)
    ok = b'{"ok":true,"data":{"a":1},"model_version":"m","usage":' \
        b'{"prompt_tokens":12,"output_tokens":3,"thoughts_tokens":0,' \
        b'"total_tokens":15}}'
    cached = b'{"ok":true,"data":null,"usage":{"prompt_tokens":4000,' \
        b'"cached_tokens":3000,"output_tokens":7,"thoughts_tokens":40,' \
        b'"total_tokens":4047}}'
    rate = b'{"ok":false,"kind":"rate_limited","message":"HTTP 429",' \
        b'"retry_after_ms":1500,"quota_rpm":60,"retry":"yes"}'
    return {
        "ok": rows(b"\x07\x00", ok),
        "ok-usage-big": rows(b"\x01\x01", b'{"ok":true,"data":1,"usage":'
                             b'{"total_tokens":1000000000}}'),
        "cached": rows(b"\x02\x02", cached, cached),
        "nodata": rows(b"\x00\x00", b'{"ok":true}'),
        "http": rows(b"\x00\x00", b'{"ok":false,"kind":"http",'
                     b'"message":"HTTP 503"}'),
        "rate": rows(b"\x0b\x00", rate, rate, ok),
        "rate-max": rows(b"\x03\x00", b'{"ok":false,"kind":"rate_limited",'
                         b'"message":"q","retry_after_ms":'
                         b'4611686018427387903,"quota_rpm":1000000000}'),
        "unreach": rows(b"\x00\x00", b'{"ok":false,"kind":"network",'
                        b'"message":"refused","unreachable":true,'
                        b'"retry":"yes"}'),
        "mixed": rows(b"\x11\x03", ok, b'{"ok":false,"kind":"timeout",'
                      b'"message":"x","retry":"once"}', b'not json', cached,
                      b'{"ok":false,"kind":"bogus"}', ok),
    }


def req(bits, answer, prompt=b"Name: {{name}}\nNote: {{note}}\n",
        system=b"You extract fields.", schema=b"", dialect=b"json",
        temp=b"0.5", maxtok=b"100", think=b"0", model=b"gemini-2.5-flash",
        endpoint=b"http://127.0.0.1:8080/", row=b'{"name":"Ada","note":1}',
        body=b'={"name":"Ada"}', key=b"AIzaSyTESTKEY0123456789abcdefghijklm"):
    """fuzz_request's input; bits: 1 openai, 2 system, 4 schema,
    8 dialect, 16 temperature, 32 max tokens, 64 thinking, 128 model."""
    return bytes([bits, answer]) + b"\0".join(
        [prompt, system, schema, dialect, temp, maxtok, think, model,
         endpoint, row, body, key])


def request_seeds():
    schema = json.dumps({"type": "object", "required": ["name"],
                         "properties": {"name": {"type": "string"}}}).encode()
    err429 = json.dumps({"error": {"code": 429, "status":
                         "RESOURCE_EXHAUSTED", "message": "retry in 5s",
                         "details": [{"retryDelay": "5s"}]}}).encode()
    echo = json.dumps({"error": {"code": 400, "message":
                       "API key not valid: AIzaSyTESTKEY0123456789abcdefghijklm"
                       }}).encode()
    return {
        "gemini-plain": req(0, 0),
        "gemini-all": req(0xfe, 0, schema=schema),
        "gemini-openapi": req(0x0c, 1, schema=schema, dialect=b"openapi"),
        "gemini-schema-bad-answer": req(0x04, 2, schema=schema,
                                        body=b'={"name":5}'),
        "gemini-not-json-answer": req(0x04, 0, schema=schema,
                                      body=b"=not json"),
        "gemini-429": req(0, 3, body=err429),
        "gemini-key-echo": req(0, 4, body=echo),
        "gemini-key-echo-answer": req(0, 0, body=b"=your key is "
                                      b"AIzaSyTESTKEY0123456789abcdefghijklm"),
        "gemini-timeout": req(0, 8),
        "gemini-unreachable": req(0, 11),
        "gemini-bad-template": req(0, 0, prompt=b"{{unclosed"),
        "gemini-thinking-none": req(0x40, 0, think=b"-1"),
        "gemini-bad-temp": req(0x10, 0, temp=b"hot"),
        "gemini-long-endpoint": req(0, 0, endpoint=b"http://x/" * 300),
        "gemini-row-values": req(0, 0, prompt=b"{{a}} {{b}} {{c}}",
                                 row=b'{"a":0.1,"b":[1,{"x":null}],"c":true}'),
        "openai-plain": req(1, 0, model=b"gpt-4o-mini"),
        "openai-all": req(0xff, 0, schema=schema, model=b"gpt-4o-mini",
                          endpoint=b"http://127.0.0.1:8080/v1//"),
        "openai-429": req(1, 3, body=json.dumps({"error": {
            "message": "Please try again in 600ms.", "type": "requests",
            "code": "rate_limit_exceeded"}}).encode()),
        "openai-no-endpoint": req(1, 0, endpoint=b""),
        "openai-key-header": req(1, 5, body=b"<html>Authorization: Bearer "
                                 b"sk-TESTKEY0123456789abcdefghijkl</html>",
                                 key=b"sk-TESTKEY0123456789abcdefghijkl"),
    }


def cmd(args, files=()):
    """fuzz_cmdline's input: the number of arguments, the arguments, the
    contents of the scratch files f0-f3 ("/0" names f0, "/1" f1...; f4
    does not exist)."""
    return bytes([len(args)]) + b"".join(a + b"\0" for a in args) + \
        b"\0".join(files)


def cmdline_seeds():
    prompt = b"Name: {{name}}\n"
    schema = b'{"type":"object","properties":{"a":{"type":"string"}}}'
    key = b"AIzaSyFUZZKEY0123456789abcdefghijklmn\n"
    price = b'{"my-model":{"input":0.1,"output":0.4}}'
    return {
        "run-gemini": cmd([b"run", b"--prompt", b"/0", b"--api-key-file",
                           b"/2", b"-o", b"out.jsonl", b"in.csv"],
                          [prompt, schema, key, price]),
        "run-all": cmd([b"run", b"--prompt=/0", b"--schema", b"/1",
                        b"--schema-dialect", b"openapi", b"--temperature",
                        b"0.2", b"--max-output-tokens", b"100",
                        b"--thinking-budget", b"-1", b"--model", b"m",
                        b"--system", b"/0", b"--api-key-file=/2", b"-j",
                        b"4", b"--batch-size", b"5", b"--timeout", b"1.5",
                        b"--retries", b"0", b"--rpm", b"60", b"--tpm",
                        b"1000", b"--max-cost", b"0.5", b"--price-file",
                        b"/3", b"--retry-failed=http,timeout", b"--state",
                        b"st", b"--log", b"none", b"-v", b"-q",
                        b"--format", b"jsonl", b"-o", b"o", b"in"],
                       [prompt, schema, key, price]),
        "openai": cmd([b"--processor", b"openai", b"--endpoint",
                       b"http:x", b"--prompt", b"/0", b"-o", b"o",
                       b"in.jsonl"], [prompt]),
        "echo-dry": cmd([b"--processor", b"echo", b"--dry-run", b"-o", b"o",
                         b"in.csv"]),
        "check": cmd([b"check", b"--prompt", b"/0", b"-o", b"o", b"i.csv"],
                     [prompt]),
        "help": cmd([b"--help"]),
        "version": cmd([b"-V"]),
        "no-output": cmd([b"in.csv"]),
        "unknown-opt": cmd([b"--bogus", b"in.csv"]),
        "unknown-cmd": cmd([b"frobnicate"]),
        "bad-count": cmd([b"-j", b"0", b"-o", b"o", b"in.csv"]),
        "bad-seconds": cmd([b"--timeout", b"-1", b"-o", b"o", b"in.csv"]),
        "bad-kind": cmd([b"--retry-failed=nope", b"-o", b"o", b"in.csv"]),
        "bad-format": cmd([b"-o", b"o", b"in.txt"]),
        "other-proc-opt": cmd([b"--processor", b"echo", b"--model", b"x",
                               b"-o", b"o", b"in.csv"]),
        "no-key": cmd([b"--prompt", b"/0", b"-o", b"o", b"in.csv"],
                      [prompt]),
        "bad-schema": cmd([b"--prompt", b"/0", b"--schema", b"/1",
                           b"--api-key-file", b"/2", b"-o", b"o", b"in.csv"],
                          [prompt, b'{"type":"int"}', key]),
        "missing-file": cmd([b"--prompt", b"/4", b"-o", b"o", b"in.csv"]),
        "named": cmd([b"\x01\x05", b"x", b"\x02\x00o", b"in.csv"]),
        "exec": cmd([b"run", b"--processor", b"exec", b"--exec-per-row",
                     b"--exec-cwd", b"/0", b"-o", b"o", b"in.csv", b"--",
                     b"./x.py", b"--flag", b"-o"]),
        "exec-no-cmd": cmd([b"--processor", b"exec", b"-o", b"o",
                            b"in.csv"]),
        "cmd-to-echo": cmd([b"--processor", b"echo", b"-o", b"o", b"in.csv",
                            b"--", b"cat"]),
    }


def execproto_seeds():
    """fuzz_execproto's input: the row's number (a byte), then the answer
    line CMD writes (also a row, when it is a JSON object)."""
    def line(row, text):
        return bytes([row]) + text
    return {
        "ok": line(7, b'{"ok": true, "data": {"a": 1}}'),
        "ok-row": line(7, b'{"ok":true,"data":null,"row":7}'),
        "wrong-row": line(7, b'{"ok":true,"data":1,"row":8}'),
        "usage": line(0, b'{"ok":true,"data":1,"usage":{"prompt_tokens":10,'
                      b'"output_tokens":2,"thoughts_tokens":1}}'),
        "usage-huge": line(0, b'{"ok":true,"data":1,"usage":{"prompt_tokens":'
                           b'9223372036854775807,"output_tokens":'
                           b'9223372036854775807}}'),
        "failed": line(3, b'{"ok":false,"kind":"blocked","message":'
                       b'"caf\u00e9\nx","retry":true}'),
        "unknown-kind": line(3, b'{"ok":false,"kind":"oops"}'),
        "garbage": line(1, b"garbage, not JSON"),
        "array": line(1, b"[1, 2]"),
        "row-field": line(1, b'{"row": "mine", "name": "x"}'),
        "row": line(9, b'{"name": "Ada", "city": "London", "n": 3}'),
    }


CORPORA = {
    "execproto": execproto_seeds,
    "frame": frame_seeds,
    "proto": proto_seeds,
    "journal": journal_seeds,
    "state": state_seeds,
    "template": template_seeds,
    "schema": schema_seeds,
    "retry": retry_seeds,
    "request": request_seeds,
    "cmdline": cmdline_seeds,
}


def main(names):
    for name in names or sorted(CORPORA):
        d = os.path.join(HERE, "corpus", name)
        os.makedirs(d, exist_ok=True)
        for fname, data in CORPORA[name]().items():
            with open(os.path.join(d, fname), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main(sys.argv[1:])
