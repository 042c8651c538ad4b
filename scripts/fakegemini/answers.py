"""Deterministic answers that conform to the request's schema.

The same prompt and schema always give the same answer: every choice comes
from a hash of the prompt (without its directives) and the value's path in
the schema.  Strings come from the prompt ('name: value' lines or JSON pairs
whose key matches a property, else words of the prompt).  Both endpoints
use make_text; the schema may be OpenAPI (Gemini responseSchema, snake_case
or camelCase) or JSON Schema (responseJsonSchema, OpenAI json_schema).
"""

import hashlib
import json
import math
import re

from .faults import DIRECTIVE_RE, strip_directives

WORD_RE = re.compile(r"[^\W_][\w'\-]*", re.U)
KV_LINE_RE = re.compile(r"^\s*[-*]?\s*([A-Za-z][\w .\-/]{0,60}?)\s*[:=]\s*(\S.*?)\s*$", re.M)
KV_JSON_RE = re.compile(r'"([^"\\]{1,64})"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?'
                        r'(?:[eE][+-]?\d+)?|true|false|null)')
STOPWORDS = set("""a an and are as at be by for from has have in is it its me of on or
that the this to was were what which who with you your tell about please extract return
give json schema following text row field fields value values""".split())
SCHEMA_MAP_KEYS = {"properties", "$defs", "definitions", "patternProperties",
                   "dependentSchemas"}
SCHEMA_LITERAL_KEYS = {"enum", "required", "propertyOrdering", "default", "example",
                       "examples", "const"}


def camel(k):
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), k)


def norm_key(k):
    return re.sub(r"[^0-9a-z]+", "_", k.lower()).strip("_")


def norm_schema(s):
    """snake_case keywords -> camelCase; leaves property names and literals alone."""
    if isinstance(s, list):
        return [norm_schema(x) for x in s]
    if not isinstance(s, dict):
        return s
    out = {}
    for k, v in s.items():
        ck = k if k.startswith("$") else camel(k)
        if ck in SCHEMA_MAP_KEYS and isinstance(v, dict):
            out[ck] = {pk: norm_schema(pv) for pk, pv in v.items()}
        elif ck in SCHEMA_LITERAL_KEYS:
            out[ck] = v
        else:
            out[ck] = norm_schema(v)
    return out


class Answerer:
    """Generates values for a schema, deterministically from the prompt."""

    DEEP = 6     # below this depth: no optional properties, minimal arrays (recursion)

    def __init__(self, prompt, nulls=False):
        self.prompt = strip_directives(prompt)
        self.raw = DIRECTIVE_RE.sub(" ", prompt)
        self.base = hashlib.sha256(self.prompt.encode("utf-8")).digest()
        self.nulls = nulls
        words = [w for w in WORD_RE.findall(self.prompt) if len(w) >= 2]
        words = [w for w in words if w.lower() not in STOPWORDS] or words
        self.words = [w for w in words if not w.isdigit()] or words or ["value"]
        self.kv = {}
        for m in KV_JSON_RE.finditer(prompt):
            raw = m.group(2)
            try:
                val = json.loads(raw)
            except ValueError:
                continue
            self.kv.setdefault(norm_key(m.group(1)), val)
        for m in KV_LINE_RE.finditer(DIRECTIVE_RE.sub("", prompt)):
            self.kv.setdefault(norm_key(m.group(1)), m.group(2))
        self.root = None

    def h(self, path):
        d = hashlib.sha256(self.base + path.encode("utf-8")).digest()
        return int.from_bytes(d[:8], "big")

    def phrase(self, path):
        h = self.h(path)
        n = 1 + h % 3
        ws = [self.words[(h >> (8 * i + 4)) % len(self.words)] for i in range(n)]
        return " ".join(ws)

    # -- schema walking -------------------------------------------------------
    def resolve(self, ref):
        if not ref.startswith("#"):
            return {}
        node = self.root
        for part in ref[1:].split("/"):
            if not part:
                continue
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            else:
                return {}
        return node if isinstance(node, dict) else {}

    def generate(self, schema):
        self.root = schema if isinstance(schema, dict) else {}
        return self.gen(schema, "$", None, 0)

    def gen(self, s, path, name, depth):
        if not isinstance(s, dict) or depth > 24:
            return None if depth > 24 else self.gen_string({}, path, name)
        if "$ref" in s:
            merged = dict(self.resolve(s["$ref"]))
            merged.update({k: v for k, v in s.items() if k != "$ref"})
            return self.gen(merged, path, name, depth + 1)
        if "allOf" in s and isinstance(s["allOf"], list):
            merged = {k: v for k, v in s.items() if k != "allOf"}
            for sub in s["allOf"]:
                if isinstance(sub, dict) and "$ref" in sub:
                    sub = self.resolve(sub["$ref"])
                if not isinstance(sub, dict):
                    continue
                for k, v in sub.items():
                    if k == "properties" and isinstance(v, dict):
                        merged.setdefault("properties", {}).update(v)
                    elif k == "required" and isinstance(v, list):
                        merged["required"] = list(merged.get("required", [])) + v
                    else:
                        merged.setdefault(k, v)
            return self.gen(merged, path, name, depth + 1)
        if "const" in s:
            return s["const"]
        variants = s.get("anyOf") or s.get("oneOf")
        if isinstance(variants, list) and variants:
            def is_null(v):
                return isinstance(v, dict) and str(v.get("type", "")).lower() == "null"
            nulls = [v for v in variants if is_null(v)]
            others = [v for v in variants if not is_null(v)]
            if (self.nulls and nulls) or not others:
                return None
            pick = others[self.h(path + "|anyOf") % len(others)]
            return self.gen(pick, path, name, depth + 1)
        t = s.get("type")
        nullable = bool(s.get("nullable"))
        if isinstance(t, list):
            types = [str(x).lower() for x in t]
            nullable = nullable or "null" in types
            non_null = [x for x in types if x != "null"]
            t = non_null[0] if non_null else "null"
        t = str(t).lower() if t is not None else None
        if self.nulls and nullable:
            return None
        if isinstance(s.get("enum"), list) and s["enum"]:
            return self.gen_enum(s["enum"], path, name)
        if t is None:
            if "properties" in s:
                t = "object"
            elif "items" in s or "prefixItems" in s:
                t = "array"
            else:
                t = "string"
        if t == "object":
            return self.gen_object(s, path, depth)
        if t == "array":
            return self.gen_array(s, path, name, depth)
        if t == "integer":
            return self.gen_number(s, path, name, True)
        if t == "number":
            return self.gen_number(s, path, name, False)
        if t == "boolean":
            return self.gen_bool(path, name)
        if t == "null":
            return None
        return self.gen_string(s, path, name)

    def lookup(self, name):
        """Value for property `name` found in the prompt ('name: value' etc.), or None."""
        if name is None:
            return None
        k = norm_key(name)
        if k in self.kv:
            return self.kv[k]
        if not k:
            return None
        pat = r"[\s_-]*".join(re.escape(w) for w in k.split("_"))
        m = re.search(r"(?i)(?<![\w])%s\s*[:=]\s*([^\n;|]+?)(?=\s*(?:[\n;|]|,\s*[A-Za-z_][\w ]{0,30}"
                      r"\s*[:=]|$))" % pat, self.raw)
        self.kv[k] = m.group(1).strip().strip('"\'') if m else None
        return self.kv[k]

    def gen_enum(self, values, path, name):
        v = self.lookup(name)
        if v is not None:
            for e in values:
                if str(e).lower() == str(v).strip().lower():
                    return e
        return values[self.h(path + "|enum") % len(values)]

    def gen_object(self, s, path, depth):
        props = s.get("properties") if isinstance(s.get("properties"), dict) else {}
        required = s.get("required") if isinstance(s.get("required"), list) else []
        order = [p for p in (s.get("propertyOrdering") or []) if p in props]
        order += [p for p in props if p not in order]
        out = {}
        for p in order:
            if p not in required and (self.nulls or depth >= self.DEEP):
                continue
            out[p] = self.gen(props[p], path + "." + p, p, depth + 1)
        for p in required:          # required names without a property schema
            if p not in out:
                out[p] = self.gen_string({}, path + "." + p, p)
        return out

    def gen_array(self, s, path, name, depth):
        lo = s.get("minItems", 0)
        hi = s.get("maxItems")
        lo = lo if isinstance(lo, int) else 0
        items = s.get("items", {})
        prefix = s.get("prefixItems") if isinstance(s.get("prefixItems"), list) else None
        if isinstance(items, list):     # draft-4 tuple form
            prefix, items = items, {}
        v = self.lookup(name)
        it = items if isinstance(items, dict) else {}
        it_type = str(it.get("type", "string")).lower()
        if (isinstance(v, str) and not prefix and it_type == "string"
                and "properties" not in it and not it.get("enum")):
            parts = [x.strip() for x in re.split(r"[;,]", v) if x.strip()]
            if parts:
                if isinstance(hi, int):
                    parts = parts[:hi]
                while len(parts) < lo:
                    parts.append(self.phrase("%s[%d]" % (path, len(parts))))
                return parts
        n = 1 + self.h(path + "|len") % 3 if depth < self.DEEP else 0
        n = max(n, lo, len(prefix or []))
        if isinstance(hi, int):
            n = min(n, max(hi, 0))
        out = []
        for i in range(n):
            sub = prefix[i] if prefix and i < len(prefix) else items
            out.append(self.gen(sub, "%s[%d]" % (path, i), name, depth + 1))
        return out

    def gen_number(self, s, path, name, integer):
        def num(x):
            return x if isinstance(x, (int, float)) and not isinstance(x, bool) else None
        lo, hi = num(s.get("minimum")), num(s.get("maximum"))
        emin, emax = num(s.get("exclusiveMinimum")), num(s.get("exclusiveMaximum"))
        step = 1 if integer else 0.01
        if emin is not None:
            lo = emin + step if lo is None else max(lo, emin + step)
        if emax is not None:
            hi = emax - step if hi is None else min(hi, emax - step)
        if integer:
            lo = math.ceil(lo) if lo is not None else None
            hi = math.floor(hi) if hi is not None else None
        if lo is not None and hi is not None and hi < lo:
            hi = lo
        v = self.lookup(name)
        val = None
        if num(v) is not None:
            val = v
        elif isinstance(v, str):
            m = re.search(r"-?\d+(?:\.\d+)?", v.replace(",", ""))
            if m:
                val = float(m.group(0))
        if val is None:
            glo = lo if lo is not None else (hi - 1000 if hi is not None else 0)
            ghi = hi if hi is not None else glo + 1000
            h = self.h(path + "|num")
            if integer:
                val = glo + h % (int(ghi - glo) + 1)
            else:
                val = round(glo + (ghi - glo) * ((h % 100000) / 100000.0), 2)
        if lo is not None:
            val = max(val, lo)
        if hi is not None:
            val = min(val, hi)
        return int(round(val)) if integer else float(val)

    def gen_bool(self, path, name):
        v = self.lookup(name)
        if isinstance(v, bool):
            return v
        if isinstance(v, str) and v.strip().lower() in ("yes", "true", "y", "1", "no",
                                                           "false", "n", "0"):
            return v.strip().lower() in ("yes", "true", "y", "1")
        return bool(self.h(path + "|bool") & 1)

    def gen_string(self, s, path, name):
        fmt = str(s.get("format", "")).lower()
        h = self.h(path + "|str")
        v = self.lookup(name)
        if fmt in ("date", "date-time", "time"):
            y, mo, d = 2000 + h % 26, 1 + (h >> 8) % 12, 1 + (h >> 16) % 28
            hh, mm, ss = (h >> 24) % 24, (h >> 32) % 60, (h >> 40) % 60
            if fmt == "date":
                return "%04d-%02d-%02d" % (y, mo, d)
            if fmt == "time":
                return "%02d:%02d:%02d" % (hh, mm, ss)
            return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (y, mo, d, hh, mm, ss)
        if fmt == "email":
            return "user%d@example.com" % (h % 10000)
        if fmt in ("uri", "url"):
            return "https://example.com/%x" % (h % 0xFFFFFF)
        if fmt == "uuid":
            x = "%032x" % (h * 0x9E3779B97F4A7C15 % (1 << 128))
            return "%s-%s-4%s-a%s-%s" % (x[:8], x[8:12], x[13:16], x[17:20], x[20:32])
        if fmt == "ipv4":
            return "10.%d.%d.%d" % ((h >> 8) % 256, (h >> 16) % 256, (h >> 24) % 256)
        if fmt == "hostname":
            return "host%d.example.com" % (h % 1000)
        if v is not None and not isinstance(v, (dict, list)):
            out = str(v) if not isinstance(v, bool) else ("true" if v else "false")
        else:
            out = self.phrase(path)
        lo = s.get("minLength")
        hi = s.get("maxLength")
        if isinstance(hi, int) and hi >= 0:
            out = out[:hi]
        if isinstance(lo, int) and len(out) < lo:
            out = out + "x" * (lo - len(out))
        return out


def violate(value, schema, wrong_type_only=False):
    """Make an answer that breaks the schema (missing required field / wrong type)."""
    s = schema if isinstance(schema, dict) else {}
    if isinstance(value, dict):
        req = [r for r in (s.get("required") or []) if r in value]
        if req and not wrong_type_only:
            del value[req[0]]
            return value
        if value:
            k = next(iter(value))
            value[k] = 12345 if isinstance(value[k], str) else "not-a-%s" % type(
                value[k]).__name__
            return value
        return ["unexpected", "array"]
    if isinstance(value, list):
        return {"unexpected": "object instead of array"}
    if isinstance(value, str):
        return 12345
    return "not-a-%s" % type(value).__name__


def tokens(text):
    """The token count the emulator reports for text: about 4 characters each."""
    return max(1, (len(text) + 3) // 4) if text else 0


def make_text(user_text, schema, json_mode, fault, mods):
    """(model text, answer value or None, normalised schema or None) for a
    prompt, given the schema (or None), whether JSON was asked for, the fault
    (notjson-text, schema-violation, schema-wrong-type change the text) and
    the active modifiers (nulls, fenced)."""
    ans = Answerer(user_text, nulls="nulls" in mods)
    clean = ans.prompt
    schema_n = norm_schema(schema) if schema is not None else None
    if fault == "notjson-text":
        return ("Sure! Here is what I found about %s: it looks fine to me." % (
            clean[:60] or "your request"), None, schema_n)
    if schema_n is not None:
        value = ans.generate(schema_n)
    elif json_mode:
        value = {"answer": clean[:80]}
    else:
        return ("Echo: %s" % clean[:80], None, None)
    if fault in ("schema-violation", "schema-wrong-type"):
        root = schema_n if isinstance(schema_n, dict) else {}
        if "$ref" in root:
            root = ans.resolve(root["$ref"])
        value = violate(value, root, fault == "schema-wrong-type")
    if ans.h("|fmt") & 1:
        text = json.dumps(value, indent=2, ensure_ascii=False)
    else:
        text = json.dumps(value, ensure_ascii=False)
    if "fenced" in mods:
        text = "```json\n%s\n```" % text
    return text, value, schema_n
