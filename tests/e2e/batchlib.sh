# Helpers of the batch-mode tests (t-batch*.sh), on top of lib.sh: the
# emulator's Batch API counters, a people CSV with fault directives in
# chosen rows, a batch-mode command line, and the check that an output
# holds every row exactly once.
. "$(dirname "$0")/lib.sh"
export GEMINI_API_KEY=test-key

# emu_batch EXPR: a Python expression on the emulator's batch counters, b.
emu_batch() {
	emu_stat "(lambda b: $1)(s['batch'])"
}

# batch_ge KEY N: the emulator's batch counter KEY is at least N.
batch_ge() {
	[ "$(emu_batch "b['$1']")" -ge "$2" ]
}

# people N FILE [ROW=NOTE...]: a CSV of N people whose note is "plain",
# or NOTE (a fault directive) for the rows given.
people() {
	python3 - "$@" <<'PY'
import csv, sys
n, path, notes = int(sys.argv[1]), sys.argv[2], dict(a.split("=", 1) for a in sys.argv[3:])
with open(path, "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["name", "note"])
    for i in range(n):
        w.writerow(["person %d" % i, notes.get(str(i), "plain")])
PY
}

cat >"$T/prompt.txt" <<'P'
Classify this person.
name: {{name}}
note: {{note}}
P
cat >"$T/schema.json" <<'S'
{"type": "object",
 "properties": {"name": {"type": "string"}, "score": {"type": "integer"}},
 "required": ["name", "score"]}
S

# brun ARGS...: rowpool run in batch mode against the emulator, the test's
# prompt and schema, output $T/out.jsonl from $T/in.csv.
brun() {
	"$ROWPOOL" run --mode batch --endpoint "$EMU" --prompt "$T/prompt.txt" \
	    --schema "$T/schema.json" --batch-poll 1 -o "$T/out.jsonl" "$@" \
	    "$T/in.csv"
}

# once N: $T/out.jsonl holds rows 0..N-1, each once, in order.
once() {
	python3 - "$T/out.jsonl" "$1" <<'PY' || fail "not every row exactly once"
import json, sys
rows = [json.loads(l)["row"] for l in open(sys.argv[1])]
want = list(range(int(sys.argv[2])))
if rows != want:
    sys.exit("rows %s..., want 0..%d" % (rows[:10], len(want) - 1))
PY
}

# row_is ROW STATUS KIND ATTEMPTS: that row's line says so.
row_is() {
	line=$(sed -n "$(($1 + 1))p" "$T/out.jsonl")
	got=$(field "$line" 'r["status"], r.get("error", {}).get("kind", "-"), r["attempts"]')
	[ "$got" = "('$2', '$3', $4)" ] || fail "row $1: want $2 $3 $4, got $got: $line"
}

# brun_bg ARGS...: brun in the background; pid is its pid (tracked).
brun_bg() {
	"$ROWPOOL" run --mode batch --endpoint "$EMU" --prompt "$T/prompt.txt" \
	    --schema "$T/schema.json" --batch-poll 1 -o "$T/out.jsonl" "$@" \
	    "$T/in.csv" &
	pid=$!
	track "$pid"
}
