# JSONL rows the worker could not take are input errors in the reader: a
# raw NUL (jansson drops one after a number), a raw control byte in a
# string, nesting past 1024 levels (the result that holds the row is one
# level deeper, past jansson's 2048 for the 2,048 of issue 6).  Each is a
# failed row of kind input, attempts 0, naming file:line; the rows around
# them, one exactly 1024 deep, are ok.
. "$(dirname "$0")/lib.sh"
python3 - "$T/bad.jsonl" <<'PY'
import sys
def deep(n, bottom):
    return '{"a":' + "[" * (n - 1) + bottom + "]" * (n - 1) + "}"
rows = [
    '{"id":1}',
    '{"c":3\0}',
    '{"c":"x\0y"}',
    '{"c":"a\x01b"}',
    deep(1024, "1"),
    deep(2048, ""),
    deep(1025, "1"),
    '{"id":8}',
]
with open(sys.argv[1], "w", newline="") as f:
    f.write("".join(r + "\n" for r in rows))
PY
expect_exit 1 "$ROWPOOL" run --processor echo -j 2 -q -o "$T/out.jsonl" "$T/bad.jsonl"
python3 - "$T/bad.jsonl" "$T/out.jsonl" <<'PY' || fail "output: $(cut -c1-300 "$T/out.jsonl")"
import json, sys
sys.setrecursionlimit(20000)
inp, out = sys.argv[1], sys.argv[2]
bad = {
    2: "NUL byte at column 7",
    3: "NUL byte at column 8",
    4: "invalid JSON at column ",
    6: "nested deeper than 1024 levels",
    7: "nested deeper than 1024 levels",
}
want = open(inp, encoding="utf-8").read().split("\n")[:-1]
got = [json.loads(l) for l in open(out, encoding="utf-8")]
if len(got) != len(want):
    sys.exit("%d lines, want %d" % (len(got), len(want)))
for i, g in enumerate(got):
    line = i + 1
    if g["row"] != i:
        sys.exit("line %d: row %r" % (line, g["row"]))
    if line not in bad:
        if g["status"] != "ok" or g["data"] != json.loads(want[i]):
            sys.exit("line %d: want ok, got %s" % (line, str(g)[:200]))
        continue
    e = g.get("error", {})
    msg = "%s:%d: %s" % (inp, line, bad[line])
    if (g["status"], g["attempts"], e.get("kind")) != ("failed", 0, "input") \
            or not e.get("message", "").startswith(msg):
        sys.exit("line %d: want %r, got %s" % (line, msg, str(g)[:300]))
PY
# --strict stops at the first of them, with its file and line.
expect_exit 65 "$ROWPOOL" run --processor echo -j 2 --strict -o "$T/s.jsonl" "$T/bad.jsonl" 2>"$T/err"
grep -q "bad.jsonl:2: NUL byte at column 7" "$T/err" || fail "strict message: $(cat "$T/err")"
[ ! -e "$T/s.jsonl" ] || fail "strict run wrote output"
