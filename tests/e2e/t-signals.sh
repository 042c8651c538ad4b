# SIGTERM: rows in flight finish, the run commits and exits 75; the same
# command resumes.  A second SIGINT stops at once.  Lock contention: 75.
. "$(dirname "$0")/lib.sh"
gen_csv 3000 "$T/in.csv"
S="$T/out.jsonl.state"
# 20 ms a row: a run needs 15 s for all 3000, the signals come long before.
export ROWPOOL_TEST_DELAY_MS=20
"$ROWPOOL" run --processor echo -j 4 -o "$T/out.jsonl" "$T/in.csv" 2>"$T/err1" &
pid=$!
track "$pid"
# The lock: a second run on the same state exits 75 at once, naming the pid.
wait_for -p "$pid" "the state lock to hold pid $pid" holds "$S/lock" "$pid"
expect_exit 75 "$ROWPOOL" run --processor echo -j 4 -o "$T/out.jsonl" "$T/in.csv" 2>"$T/err2"
grep -q "in use by pid $pid" "$T/err2" || fail "lock message: $(cat "$T/err2")"
holds "$S/lock" "$pid" || fail "the second run took the lock"
wait_rows_done -p "$pid" "$S" 20
kill -TERM "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 75 ] || fail "SIGTERM exit $rc"
grep -q "interrupted by SIGTERM" "$T/err1" || fail "no interrupt message"
[ -f "$T/out.jsonl" ] && fail "output written by an interrupted run"
done1=$(manifest_field "$S" rows_done) || fail "no manifest"
[ "$done1" -ge 20 ] || fail "committed $done1 rows, fewer than were done"

# Second SIGINT: kill now, still commit, still 75.  Row $hung hangs, so
# after the first SIGINT the run would wait out the grace (an hour).
hung=$((done1 + 100))
ROWPOOL_TEST_FAULT=hang:$hung "$ROWPOOL" run --processor echo -j 4 --grace 3600 \
    -o "$T/out.jsonl" "$T/in.csv" 2>"$T/err3" &
pid=$!
track "$pid"
wait_for -p "$pid" "a worker at row $hung" workers_at "$pid" 1 "worker: row $hung"
wait_rows_done -p "$pid" "$S" $((done1 + 1))
kill -INT "$pid"
wait_for -p "$pid" "the first SIGINT to start the drain" \
    grep -q "rowpool\[$pid\]: SIGINT: finishing" "$S/log"
kill -INT "$pid"
wait_for "the run to stop at the second SIGINT (grace 3600 s)" ended "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 75 ] || fail "double SIGINT exit $rc"
[ -f "$T/out.jsonl" ] && fail "output written by an interrupted run"
done2=$(manifest_field "$S" rows_done) || fail "no manifest"
[ "$done2" -gt "$done1" ] || fail "second run committed nothing ($done1 -> $done2)"

unset ROWPOOL_TEST_DELAY_MS
"$ROWPOOL" run --processor echo -j 4 -o "$T/out.jsonl" "$T/in.csv" || fail "resume exit $?"
verify "$T/in.csv" "$T/out.jsonl"
