# --retry-failed (issue 8): only the rows that ended failed are done again
# (optionally only some kinds), their new results replace the old ones,
# and a kill -9 in the middle still leaves every row exactly once.
. "$(dirname "$0")/lib.sh"
gen_csv 200 "$T/in.csv"
S="$T/out.jsonl.state"
run() { "$ROWPOOL" run --processor echo -j 3 --retries 0 --timeout 1 -q \
    -o "$T/out.jsonl" "$@" "$T/in.csv"; }

ROWPOOL_TEST_FAULT=crash:3,crash:50,hang:7,badjson:120 run
[ $? -eq 1 ] || fail "first run: exit"
verify "$T/in.csv" "$T/out.jsonl" 3 7 50 120
grep -q '"failed_by_kind": *{"crash": *2, *"timeout": *1, *"protocol": *1}' "$S/manifest" ||
    grep -q '"crash": *2' "$S/manifest" || fail "failed_by_kind: $(cat "$S/manifest")"

# A plain rerun does nothing again; only crash rows with =crash (other
# rows would crash if they were sent: all faults stay armed but 3 and 50).
ROWPOOL_TEST_FAULT=crash:7,crash:120 run
[ $? -eq 1 ] || fail "plain rerun: exit"
verify "$T/in.csv" "$T/out.jsonl" 3 7 50 120
ROWPOOL_TEST_FAULT=crash:7,crash:120 run --retry-failed=crash
[ $? -eq 1 ] || fail "retry crash: exit"
verify "$T/in.csv" "$T/out.jsonl" 7 120
grep -q -- "--retry-failed: 2 failed rows to do again" "$S/log" || fail "log: retry"
grep -q '"failed": *2' "$S/manifest" || fail "manifest failed count"

# A kill -9 while the failed rows are being done again: each row still
# once; the resumed --retry-failed finishes them.
ROWPOOL_TEST_DELAY_MS=3000 "$ROWPOOL" run --processor echo -j 1 --retries 0 \
    -q --batch-size 1 -o "$T/out.jsonl" --retry-failed "$T/in.csv" &
pid=$!
i=0
until grep -q '"failed": *1,' "$S/manifest" 2>/dev/null || [ $i -ge 400 ]; do
	sleep 0.05; i=$((i + 1))
done
[ $i -lt 400 ] || fail "the first row done again never committed"
kill -9 $pid || fail "the run ended before the kill"
wait $pid 2>/dev/null
run --retry-failed || fail "resumed retry: exit $?"
verify "$T/in.csv" "$T/out.jsonl"
grep -q '"rows_done": *200' "$S/manifest" || fail "rows_done"
grep -q '"failed": *0' "$S/manifest" || fail "failed count"

# The journal now holds replacements; a restart-free rerun keeps them.
run || fail "rerun: exit $?"
verify "$T/in.csv" "$T/out.jsonl"
"$ROWPOOL" run --processor echo --retry-failed=nonsense -o "$T/out.jsonl" "$T/in.csv" 2>"$T/err"
[ $? -eq 64 ] || fail "bad kind: exit"
grep -q "'nonsense' is not an error kind" "$T/err" || fail "bad kind: $(cat "$T/err")"
