# SIGHUP reopens the log file (for logrotate): after the old one is moved
# away, the run writes a new one.
. "$(dirname "$0")/lib.sh"
gen_csv 600 "$T/in.csv"
ROWPOOL_TEST_DELAY_MS=10 "$ROWPOOL" run --processor echo -j 2 -v \
    --log "$T/run.log" -o "$T/out.jsonl" "$T/in.csv" 2>/dev/null &
pid=$!
track "$pid"
wait_for -p "$pid" "'starting' in the log" grep -qs starting "$T/run.log"
# Stopped, the run cannot end before it has the SIGHUP: it takes the
# signal when it runs again, rows (3 s of them) still to do.
kill -STOP "$pid"
alive "$pid" || fail "the run ended before the SIGHUP"
mv "$T/run.log" "$T/run.log.1"
kill -HUP "$pid"
kill -CONT "$pid"
wait "$pid" || fail "exit $?"
grep -q "starting" "$T/run.log.1" || fail "old log"
grep -q "log reopened" "$T/run.log" || fail "no new log: $(ls "$T")"
grep -q "600 rows in .*: 600 ok" "$T/run.log" || fail "summary not in the new log"
verify "$T/in.csv" "$T/out.jsonl"
