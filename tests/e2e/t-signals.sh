# SIGTERM: rows in flight finish, the run commits and exits 75; the same
# command resumes.  A second SIGINT stops at once.  Lock contention: 75.
. "$(dirname "$0")/lib.sh"
gen_csv 3000 "$T/in.csv"
export ROWPOOL_TEST_DELAY_MS=20
"$ROWPOOL" run --processor echo -j 4 -o "$T/out.jsonl" "$T/in.csv" 2>"$T/err1" &
pid=$!
sleep 1
# The lock: a second run on the same state exits 75 at once, naming the pid.
expect_exit 75 "$ROWPOOL" run --processor echo -j 4 -o "$T/out.jsonl" "$T/in.csv" 2>"$T/err2"
grep -q "in use by pid $pid" "$T/err2" || fail "lock message: $(cat "$T/err2")"
kill -TERM "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 75 ] || fail "SIGTERM exit $rc"
grep -q "interrupted by SIGTERM" "$T/err1" || fail "no interrupt message"
[ -f "$T/out.jsonl" ] && fail "output written by an interrupted run"
done1=$(sed 's/.*"rows_done":\([0-9]*\).*/\1/' "$T/out.jsonl.state/manifest")
[ "$done1" -gt 0 ] || fail "nothing committed"

# Second SIGINT: kill now, still commit, still 75.
"$ROWPOOL" run --processor echo -j 4 --grace 30 -o "$T/out.jsonl" "$T/in.csv" 2>"$T/err3" &
pid=$!
sleep 1
kill -INT "$pid"; sleep 0.2; kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 75 ] || fail "double SIGINT exit $rc"
done2=$(sed 's/.*"rows_done":\([0-9]*\).*/\1/' "$T/out.jsonl.state/manifest")
[ "$done2" -gt "$done1" ] || fail "second run committed nothing ($done1 -> $done2)"

unset ROWPOOL_TEST_DELAY_MS
"$ROWPOOL" run --processor echo -j 4 -o "$T/out.jsonl" "$T/in.csv" || fail "resume exit $?"
verify "$T/in.csv" "$T/out.jsonl"
