# The Gemini processor against the local emulator: structured answers,
# usage, and one row per line of the failure taxonomy.
. "$(dirname "$0")/lib.sh"
start_emulator --retry-delay-s 1
export GEMINI_API_KEY=test-key
cat >"$T/prompt.txt" <<'P'
Classify this person.
name: {{name}}
note: {{note}}
P
cat >"$T/schema.json" <<'S'
{"type": "object",
 "properties": {"name": {"type": "string"}, "score": {"type": "integer"},
                "tags": {"type": "array", "items": {"type": "string"}}},
 "required": ["name", "score"]}
S
python3 - "$T/in.csv" <<'PY'
import csv, sys
notes = ["", "[[fake:500x2]]", "[[fake:400]]", "[[fake:blocked]]",
         "[[fake:safety]]", "[[fake:max-tokens]]", "[[fake:notjson-text]]",
         "[[fake:schema-violation]]", "[[fake:html]]", "[[fake:429x1,retry=1]]",
         "[[fake:hang]]", "[[fake:drop]]", "[[fake:404]]",
         "[[fake:recitation]]", "[[fake:unknown-finish]]",
         "[[fake:max-tokens-no-parts]]", "[[fake:503x1]]"]
with open(sys.argv[1], "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["name", "note"])
    for i, n in enumerate(notes):
        w.writerow(["person %d" % i, n])
    for i in range(len(notes), 40):
        w.writerow(["person %d" % i, "plain"])
PY
"$ROWPOOL" run --endpoint "$EMU" --prompt "$T/prompt.txt" \
    --schema "$T/schema.json" -j 6 --retries 2 --timeout 3 -q \
    -o "$T/out.jsonl" "$T/in.csv"
rc=$?
[ "$rc" -eq 1 ] || fail "exit $rc"
[ "$(wc -l <"$T/out.jsonl")" -eq 40 ] || fail "line count"
check() {	# ROW STATUS KIND ATTEMPTS
	line=$(sed -n "$(($1 + 1))p" "$T/out.jsonl")
	got=$(field "$line" 'r["status"], r.get("error", {}).get("kind", "-"), r["attempts"]')
	[ "$got" = "('$2', '$3', $4)" ] || fail "row $1: want $2 $3 $4, got $got: $line"
}
check 0 ok - 1
check 1 ok - 3
check 2 failed http 1
check 3 failed blocked 1
check 4 failed blocked 1
check 5 failed truncated 2
check 6 failed invalid_output 3
check 7 failed invalid_output 3
check 8 failed http 3
check 9 ok - 1	# a 429 is not charged to the row
check 10 failed timeout 3
check 11 failed network 3
check 12 failed http 1
check 13 failed blocked 1
check 14 failed blocked 1
check 15 failed truncated 2
check 16 ok - 2
line=$(sed -n 1p "$T/out.jsonl")
[ "$(field "$line" 'sorted(r["data"])')" = "['name', 'score', 'tags']" ] || \
    [ "$(field "$line" 'sorted(r["data"])')" = "['name', 'score']" ] || fail "data: $line"
[ "$(field "$line" 'r["model_version"]')" = "gemini-2.5-flash" ] || fail "model_version: $line"
[ "$(field "$line" 'r["usage"]["prompt_tokens"] > 0')" = True ] || fail "usage: $line"
[ "$(field "$line" 'r["latency_ms"] >= 0')" = True ] || fail "latency: $line"
# Keep-alive: each worker reuses its connection (new ones only after the
# hang, drop and html faults and worker restarts).
[ "$(emu_stat 's["connections_total"] * 2 < s["requests_total"]')" = True ] || \
    fail "connections: $(emu_stat 's["connections_total"], s["requests_total"]')"
# The key is nowhere on disk.
grep -rq "test-key" "$T/out.jsonl" "$T/out.jsonl.state" && fail "key written to disk"
exit 0
