# Shards (issue 10): 4 shards started at once do 1/4 of the rows each
# (row % 4), and rowpool merge joins them into the output a single run
# makes; merge refuses a missing or unfinished shard, another input,
# other settings and two shards claiming the same rows, each by name;
# --allow-partial marks the missing rows pending; status sums them.
. "$(dirname "$0")/lib.sh"
start_emulator
export GEMINI_API_KEY=test-key
gen_csv 80 "$T/in.csv"
printf 'Classify {{name}}: {{note}}\n' >"$T/prompt.txt"
printf '{"type":"object","properties":{"name":{"type":"string"},"score":{"type":"integer"}},"required":["name","score"]}\n' >"$T/schema.json"
run() {	# OUT [ARGS...]
	out=$1; shift
	"$ROWPOOL" run --endpoint "$EMU" --prompt "$T/prompt.txt" \
	    --schema "$T/schema.json" -j 3 -q -o "$T/$out" "$@"
}
run single.jsonl "$T/in.csv" || fail "single run"
pids=
for k in 0 1 2 3; do
	run "s$k.jsonl" --shard "$k/4" "$T/in.csv" &
	pids="$pids $!"
done
track $pids
for p in $pids; do wait "$p" || fail "a shard failed"; done
for k in 0 1 2 3; do
	[ "$(wc -l <"$T/s$k.jsonl")" -eq 20 ] || fail "shard $k: not 20 rows"
	python3 -c 'import json, sys
k = int(sys.argv[2])
for l in open(sys.argv[1]):
    assert json.loads(l)["row"] % 4 == k' "$T/s$k.jsonl" "$k" || fail "shard $k: foreign rows"
done
"$ROWPOOL" merge -o "$T/merged.jsonl" "$T/s0.jsonl" "$T/s1.jsonl" \
    "$T/s2.jsonl.state" "$T/s3.jsonl" || fail "merge"
python3 - "$T/single.jsonl" "$T/merged.jsonl" <<'PY' || fail "merged != single"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert len(a) == len(b) == 80, (len(a), len(b))
for x, y in zip(a, b):
    assert x["row"] == y["row"] and x["status"] == y["status"], (x, y)
    assert x.get("data") == y.get("data"), (x, y)
PY
"$ROWPOOL" status "$T/s0.jsonl" "$T/s1.jsonl" "$T/s2.jsonl" "$T/s3.jsonl" >"$T/st" ||
    fail "status of 4 shards"
grep -q "^rows: *80 of 80 done" "$T/st" || fail "status: $(cat "$T/st")"
[ "$(grep -c "^shard '" "$T/st")" -eq 4 ] || fail "status: not a line per shard"

refused() {	# WANT_MESSAGE ARGS...
	want=$1; shift
	"$ROWPOOL" merge -o "$T/bad.jsonl" "$@" 2>"$T/err"
	rc=$?
	[ $rc -eq 65 ] || fail "merge $*: exit $rc: $(cat "$T/err")"
	grep -q "$want" "$T/err" || fail "merge $*: $(cat "$T/err")"
	[ ! -e "$T/bad.jsonl" ] || fail "merge $*: wrote an output"
}
refused "shard 2/4 is missing" "$T/s0.jsonl" "$T/s1.jsonl" "$T/s3.jsonl"
refused "are both shard 1/4" "$T/s0.jsonl" "$T/s1.jsonl" "$T/s1.jsonl.state" "$T/s2.jsonl" "$T/s3.jsonl"
gen_csv 80 "$T/other.csv"
sed -i 's/^3,name 3,/3,name three,/' "$T/other.csv"
run o3.jsonl --shard 3/4 "$T/other.csv" || fail "other input shard"
refused "made from another input" "$T/s0.jsonl" "$T/s1.jsonl" "$T/s2.jsonl" "$T/o3.jsonl"
run m3.jsonl --shard 3/4 --model gemini-2.5-flash-lite "$T/in.csv" || fail "other model shard"
refused "another 'model'" "$T/s0.jsonl" "$T/s1.jsonl" "$T/s2.jsonl" "$T/m3.jsonl"

# An unfinished shard (killed mid-run) is refused, or pending with
# --allow-partial.
emu_config '{"latency_median_ms": 300}'
run u3.jsonl --shard 3/4 -j 1 "$T/in.csv" &
pid=$!
track "$pid"
wait_rows_done -p "$pid" "$T/u3.jsonl.state" 2
kill -9 "$pid"
wait "$pid" 2>/dev/null
refused "shard 3/4 .* is not finished" "$T/s0.jsonl" "$T/s1.jsonl" "$T/s2.jsonl" "$T/u3.jsonl"
"$ROWPOOL" merge --allow-partial -o "$T/partial.jsonl" "$T/s0.jsonl" \
    "$T/s1.jsonl" "$T/s2.jsonl" "$T/u3.jsonl" || fail "partial merge"
[ "$(wc -l <"$T/partial.jsonl")" -eq 80 ] || fail "partial: not 80 lines"
pending=$(grep -c '"status":"pending"' "$T/partial.jsonl")
[ "$pending" -ge 1 ] && [ "$pending" -le 18 ] || fail "partial: $pending pending"

# --shard: bad values, the Slurm array, and a resume with another shard.
"$ROWPOOL" run --processor echo --shard 4/4 -o "$T/x.jsonl" "$T/in.csv" 2>/dev/null
[ $? -eq 64 ] || fail "--shard 4/4 accepted"
"$ROWPOOL" run --processor echo --shard slurm -o "$T/x.jsonl" "$T/in.csv" 2>/dev/null
[ $? -eq 64 ] || fail "--shard slurm outside an array accepted"
SLURM_ARRAY_TASK_ID=7 SLURM_ARRAY_TASK_MIN=5 SLURM_ARRAY_TASK_COUNT=4 \
    "$ROWPOOL" run --processor echo -q --shard slurm -o "$T/sl.jsonl" "$T/in.csv" ||
    fail "--shard slurm"
head -1 "$T/sl.jsonl" | grep -q '"row":2,' || fail "slurm task 7 of 5..8 is not shard 2"
JOB_COMPLETION_INDEX=1 "$ROWPOOL" run --processor echo -q --shard k8s/4 \
    -o "$T/k8.jsonl" "$T/in.csv" || fail "--shard k8s/4"
head -1 "$T/k8.jsonl" | grep -q '"row":1,' || fail "k8s index 1 is not shard 1"
"$ROWPOOL" run --processor echo -q --shard 3/4 -o "$T/sl.jsonl" "$T/in.csv" 2>"$T/err"
[ $? -eq 65 ] || fail "resume with another shard: exit"
grep -q "setting 'shard' changed" "$T/err" || fail "shard change: $(cat "$T/err")"
