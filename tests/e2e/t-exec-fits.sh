# The exec processor fits the rest as any processor does: pacing
# (--rpm, --tpm, a CMD's rate_limited), shards and merge, status and
# export; and every row exactly once across kill -9 of the supervisor,
# no CMD outliving its run; CMD is a setting (a resume with another
# command, or per row, is refused).
. "$(dirname "$0")/lib.sh"
. "$HERE/execlib.sh"

# Pacing as for any processor: --rpm and --tpm taken, every row ok; a
# CMD that says rate_limited (row 5, once) pauses dispatch and cuts the
# rows in flight, as a 429 does, and the row is done again, uncharged.
gen_csv 11 "$T/11.csv"
"$ROWPOOL" run --processor exec -q --rpm 600 --tpm 100000 \
    -o "$T/11.jsonl" "$T/11.csv" -- "$ECHO" --usage --tag "$TAG" ||
    fail "--rpm: exit $?"
verify "$T/11.csv" "$T/11.jsonl"
run -- "$ECHO" --throttle "5:$T/throttled" --tag "$TAG" || fail "rate_limited: exit $?"
verify "$T/in.csv" "$O"
grep -q "rate limited: pausing dispatch" "$S/log" ||
    fail "rate_limited: no pause: $(grep -i rate "$S/log")"
[ "$(row_field 5 'r["attempts"]')" = 1 ] ||
    fail "rate_limited: row 5: $(sed -n 6p "$O")"

# export reads an exec run as any other: its JSON lines are OUTPUT; as
# CSV, each row's data beside its input.
"$ROWPOOL" export "$O" >"$T/e.jsonl" || fail "export: exit $?"
cmp "$O" "$T/e.jsonl" || fail "export differs from OUTPUT"
"$ROWPOOL" export --format csv --with-input "$O" >"$T/e.csv" ||
    fail "export as CSV: exit $?"
python3 - "$T/in.csv" "$T/e.csv" <<'PY' || fail "export as CSV: $(head -3 "$T/e.csv")"
import csv, json, sys
want = list(csv.DictReader(open(sys.argv[1], newline="")))
got = list(csv.DictReader(open(sys.argv[2], newline="")))
assert len(got) == len(want) == 300, len(got)
for g, w in zip(got, want):
    assert g["status"] == "ok" and g["note"] == w["note"], (g, w)
    assert json.loads(g["data"]) == w, (g, w)
PY

# Shards: each does its 1/2 of the rows with its own CMDs; merged, they
# are the output one run makes; status sums them; their export is their
# merge.
for k in 0 1; do
	"$ROWPOOL" run --processor exec -j 2 -q --shard "$k/2" \
	    -o "$T/s$k.jsonl" "$T/in.csv" -- "$ECHO" --usage --tag "$TAG" ||
	    fail "shard $k: exit $?"
done
"$ROWPOOL" merge -o "$T/merged.jsonl" "$T/s0.jsonl" "$T/s1.jsonl" ||
    fail "merge: exit $?"
verify "$T/in.csv" "$T/merged.jsonl"
"$ROWPOOL" status --json "$T/s0.jsonl" "$T/s1.jsonl" >"$T/status" ||
    fail "status of the shards: exit $?"
python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))["total"]
assert s["ok"] == s["rows_total"] == 300, s
assert s["tokens"]["total_tokens"] == 3600, s' \
    "$T/status" || fail "status of the shards: $(cat "$T/status")"
"$ROWPOOL" export "$T/s0.jsonl" "$T/s1.jsonl" >"$T/e.jsonl" ||
    fail "export of the shards: exit $?"
cmp "$T/merged.jsonl" "$T/e.jsonl" || fail "export of the shards is not their merge"

# kill -9 of the supervisor at chosen states, then resumes: every row
# exactly once, as in a run never killed; no CMD outlives its run.  A
# resume with another command, or per row, is refused (65).
ROWS=3000
gen_csv $ROWS "$T/big.csv"
"$ROWPOOL" run --processor exec -j 4 -o "$T/ref.jsonl" "$T/big.csv" \
    -- "$ECHO" --tag "$TAG" || fail "reference run"
strip() { sed 's/,"latency_ms":[0-9]*//' "$1"; }
strip "$T/ref.jsonl" >"$T/ref.stripped"
rm -rf "$O" "$S"
kills=0
for n in 150 400 250 600; do
	done=$(manifest_field "$S" rows_done) || done=0
	ROWPOOL_TEST_DELAY_MS=1 ROWPOOL_TEST_FAULT=hang:$((ROWS - 1)) \
	    "$ROWPOOL" run --processor exec -j 4 --batch-size 7 -o "$O" \
	    "$T/big.csv" -- "$ECHO" --tag "$TAG" 2>>"$T/stderr" &
	pid=$!
	track "$pid"
	wait_rows_done -p "$pid" "$S" $((done + n))
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	[ $? -eq 137 ] || fail "kill $kills: $(tail -3 "$T/stderr")"
	wait_for "the commands of killed run $kills to end" no_cmds
	kills=$((kills + 1))
done
expect_exit 65 "$ROWPOOL" run --processor exec -o "$O" "$T/big.csv" \
    -- "$ECHO" --usage --tag "$TAG" 2>"$T/err"
grep -q "setting 'command' changed (was \[\"$ECHO\",\"--tag\",\"$TAG\"\]; now" "$T/err" ||
    fail "another command: $(cat "$T/err")"
expect_exit 65 "$ROWPOOL" run --processor exec --exec-per-row -o "$O" \
    "$T/big.csv" -- "$ECHO" --tag "$TAG" 2>"$T/err"
grep -q "setting 'exec_per_row' changed (was false; now true)" "$T/err" ||
    fail "per row: $(cat "$T/err")"
"$ROWPOOL" run --processor exec -j 4 -o "$O" "$T/big.csv" \
    -- "$ECHO" --tag "$TAG" || fail "final resume: exit $?"
strip "$O" >"$T/out.stripped"
cmp "$T/ref.stripped" "$T/out.stripped" || fail "output differs after $kills kills"
verify "$T/big.csv" "$O"
wait_for "the commands of the last run to end" no_cmds

