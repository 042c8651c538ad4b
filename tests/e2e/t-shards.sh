# Shards (issue 10): 4 shards started at once do 1/4 of the rows each
# (row % 4), and rowpool merge joins them into the output a single run
# makes; merge refuses a missing or unfinished shard, another input,
# other settings and two shards claiming the same rows, each by name;
# --allow-partial marks the missing rows pending; status sums them;
# export of the shards is the merged output (JSONL) and the single run's
# export (CSV), refuses what merge refuses, and exports a stopped shard's
# rows pending.
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

# export of the 4 shards, in any order: the merged output, byte for byte;
# as CSV with the input, the single run's CSV export, byte for byte.
"$ROWPOOL" export "$T/s3.jsonl" "$T/s1.jsonl.state" "$T/s0.jsonl" \
    "$T/s2.jsonl" >"$T/exp.jsonl" || fail "export of 4 shards: exit $?"
cmp -s "$T/exp.jsonl" "$T/merged.jsonl" || fail "export of the shards != merge"
"$ROWPOOL" export --with-input -o "$T/single.csv" "$T/single.jsonl" ||
    fail "export of the single run"
"$ROWPOOL" export --with-input -o "$T/shards.csv" "$T/s0.jsonl" \
    "$T/s1.jsonl" "$T/s2.jsonl" "$T/s3.jsonl" || fail "CSV export of 4 shards"
cmp -s "$T/single.csv" "$T/shards.csv" ||
    fail "CSV export of the shards != the single run's: $(diff "$T/single.csv" "$T/shards.csv" | head -5)"
# A temp file a shard, open at once: a soft open-file limit too low for
# them is raised toward the hard one.
(ulimit -Sn 8 && "$ROWPOOL" merge -o "$T/low.jsonl" "$T/s0.jsonl" \
    "$T/s1.jsonl" "$T/s2.jsonl" "$T/s3.jsonl") || fail "merge under ulimit -Sn 8"
cmp -s "$T/low.jsonl" "$T/merged.jsonl" || fail "merge under ulimit -Sn 8 differs"
# A shard alone is its own rows: its output.
"$ROWPOOL" export "$T/s2.jsonl" | cmp -s - "$T/s2.jsonl" ||
    fail "export of shard 2 alone != its output"
# A missing shard is refused as merge refuses it; --allow-partial: pending.
"$ROWPOOL" export -o "$T/bad.jsonl" "$T/s0.jsonl" "$T/s1.jsonl" \
    "$T/s3.jsonl" 2>"$T/err"
[ $? -eq 65 ] || fail "export without shard 2: exit"
grep -q "shard 2/4 is missing" "$T/err" || fail "export: $(cat "$T/err")"
[ ! -e "$T/bad.jsonl" ] || fail "a refused export wrote an output"
"$ROWPOOL" export --allow-partial "$T/s0.jsonl" "$T/s1.jsonl" \
    "$T/s3.jsonl" >"$T/p.jsonl" || fail "export --allow-partial"
[ "$(grep -c '"status":"pending"' "$T/p.jsonl")" -eq 20 ] ||
    fail "export --allow-partial: not shard 2's 20 rows pending"
[ "$(wc -l <"$T/p.jsonl")" -eq 80 ] || fail "export --allow-partial: not 80 rows"

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
status_refused() {	# WANT_STATUS WANT_MESSAGE ARGS...
	want=$1 msg=$2; shift 2
	"$ROWPOOL" status "$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc -eq "$want" ] || fail "status $*: exit $rc: $(cat "$T/err")"
	grep -q "$msg" "$T/err" || fail "status $*: $(cat "$T/err")"
	[ ! -s "$T/out" ] || fail "status $*: printed $(cat "$T/out")"
}
status_refused 65 "made from another input" "$T/s0.jsonl" "$T/o3.jsonl"
status_refused 64 "named twice" "$T/s0.jsonl" "$T/s1.jsonl" "$T/s1.jsonl.state"
status_refused 64 "is not a shard" "$T/s0.jsonl" "$T/single.jsonl"
run m3.jsonl --shard 3/4 --model gemini-2.5-flash-lite "$T/in.csv" || fail "other model shard"
refused "another 'model'" "$T/s0.jsonl" "$T/s1.jsonl" "$T/s2.jsonl" "$T/m3.jsonl"
status_refused 65 "is shard 3/4 again" "$T/s3.jsonl" "$T/m3.jsonl"

# An unfinished shard (killed mid-run) is refused, or pending with
# --allow-partial.
emu_config '{"latency_median_ms": 300}'
# (exec: $! is then rowpool itself, not a subshell running it)
(exec "$ROWPOOL" run --endpoint "$EMU" --prompt "$T/prompt.txt" \
    --schema "$T/schema.json" -j 1 -q -o "$T/u3.jsonl" --shard 3/4 \
    "$T/in.csv") &
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
# export takes the stopped shard as it is: its rows not done pending.
"$ROWPOOL" export "$T/s0.jsonl" "$T/s1.jsonl" "$T/s2.jsonl" \
    "$T/u3.jsonl" | cmp -s - "$T/partial.jsonl" ||
    fail "export with a stopped shard != merge --allow-partial"
# ...but another input, other settings and a shard twice, as merge.
for bad in o3 m3 s1; do
	"$ROWPOOL" export -o "$T/bad.jsonl" "$T/s0.jsonl" "$T/s1.jsonl" \
	    "$T/s2.jsonl" "$T/$bad.jsonl" 2>"$T/err"
	[ $? -eq 65 ] || fail "export with $bad: exit"
	grep -q "another input\|another 'model'\|are both shard 1/4" "$T/err" ||
	    fail "export with $bad: $(cat "$T/err")"
	[ ! -e "$T/bad.jsonl" ] || fail "a refused export wrote an output"
done

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
