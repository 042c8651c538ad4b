# rowpool status, from another process: running (with the supervisor's
# pid) while a run goes on, finished after it, stopped after a kill -9;
# the text and --json forms; its exit statuses.
. "$(dirname "$0")/lib.sh"
gen_csv 40 "$T/in.csv"

# wait_done STATE: until a manifest in STATE counts a row done (polled,
# with a deadline).
wait_done() {
	i=0
	while ! grep -qs '"rows_done":[1-9]' "$1/manifest"; do
		i=$((i + 1))
		[ "$i" -lt 600 ] || fail "no row committed in '$1' in 60 s"
		sleep 0.1
	done
}

# check_json FILE EXPR: the Python expression EXPR holds for the object r.
check_json() {
	python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" ||
	    fail "status --json: not $2: $(cat "$1")"
}

# status_of ARG: runs `rowpool status ARG` and `status --json ARG` into
# $T/st and $T/st.json.
status_of() {
	"$ROWPOOL" status "$1" >"$T/st" 2>"$T/st.err" ||
	    fail "status '$1': exit $?: $(cat "$T/st.err")"
	"$ROWPOOL" status --json "$1" >"$T/st.json" 2>"$T/st.err" ||
	    fail "status --json '$1': exit $?: $(cat "$T/st.err")"
}

export ROWPOOL_TEST_DELAY_MS=200

# A run going on: its pid, from the lock.
"$ROWPOOL" run --processor echo -j 2 -o "$T/out.jsonl" "$T/in.csv" \
    2>"$T/run.err" &
pid=$!
wait_done "$T/out.jsonl.state"
# Looked at three ways at once, while it runs (about 3 s more); checked
# after.
status_of "$T/out.jsonl"
"$ROWPOOL" status "$T/out.jsonl.state" >"$T/st.dir" ||
    fail "status of the state directory: exit $?"
grep -q "^state: *running (pid $pid)" "$T/st" ||
    fail "not 'running (pid $pid)': $(cat "$T/st")"
grep -q "^rows: *[1-9][0-9]* of .* done" "$T/st" || fail "rows: $(cat "$T/st")"
grep -q "^state: *running (pid $pid)" "$T/st.dir" ||
    fail "status of the state directory: $(cat "$T/st.dir")"
check_json "$T/st.json" "r['version'] == 1 and r['state'] == 'running'"
check_json "$T/st.json" "r['pid'] == $pid and r['rows_done'] > 0"
check_json "$T/st.json" "r['state_dir'].endswith('out.jsonl.state')"

# The same run, ended.
wait "$pid" || fail "run exit $?: $(cat "$T/run.err")"
status_of "$T/out.jsonl"
grep -q "^state: *finished" "$T/st" || fail "not finished: $(cat "$T/st")"
grep -q "^rows: *40 of 40 done (100.0%), 40 ok, 0 failed" "$T/st" ||
    fail "rows when finished: $(cat "$T/st")"
check_json "$T/st.json" "r['state'] == 'finished' and r['pid'] is None"
check_json "$T/st.json" "r['rows_done'] == r['rows_total'] == 40"

# Another run, killed mid-way: its lock is left, no one holds it.
"$ROWPOOL" run --processor echo -j 2 -o "$T/k.jsonl" "$T/in.csv" \
    2>/dev/null &
pid=$!
wait_done "$T/k.jsonl.state"
kill -9 "$pid"
wait "$pid" 2>/dev/null
[ -e "$T/k.jsonl.state/lock" ] || fail "no stale lock after kill -9"
status_of "$T/k.jsonl"
grep -q "^state: *stopped" "$T/st" || fail "not stopped: $(cat "$T/st")"
check_json "$T/st.json" "r['state'] == 'stopped' and r['pid'] is None"
check_json "$T/st.json" "0 < r['rows_done'] < 40"
unset ROWPOOL_TEST_DELAY_MS

# Exit statuses: 64 usage, 66 nothing there (yet), 65 not JSON.
# status_exit WANT ARG...: `rowpool status ARG...` exits WANT; its
# standard error is in $T/err.
status_exit() {
	want=$1
	shift
	"$ROWPOOL" status "$@" >/dev/null 2>"$T/err"
	got=$?
	[ "$got" -eq "$want" ] ||
	    fail "status $*: exit $got, not $want: $(cat "$T/err")"
}
status_exit 64
status_exit 64 --nope "$T/out.jsonl"
status_exit 64 "$T/out.jsonl" "$T/k.jsonl"
status_exit 66 "$T/nothing"
grep -q "'$T/nothing' is not a state directory" "$T/err" ||
    fail "message: $(cat "$T/err")"
mkdir "$T/new.state"
status_exit 66 "$T/new"
grep -q "no run has committed in '$T/new.state' yet" "$T/err" ||
    fail "message: $(cat "$T/err")"
mkdir "$T/bad.state"
printf '{"version": 1,' >"$T/bad.state/manifest"
status_exit 65 --json "$T/bad.state"
grep -q "manifest '$T/bad.state/manifest': line" "$T/err" ||
    fail "message: $(cat "$T/err")"
"$ROWPOOL" status --help | grep -q "usage: rowpool status" || fail "--help"
exit 0
