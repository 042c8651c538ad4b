# kill -9 of the supervisor: no worker is left, whether it waits for its
# next row (end of file on its channel) or is stuck in an API call that
# will not answer for ten minutes (PR_SET_PDEATHSIG).  The test waits for
# that state (up to WAIT_LIMIT, 30 s: far less than the hang) and prints
# how long it took: no timing is asserted on a loaded machine.  And a
# stale lock never blocks.
. "$(dirname "$0")/lib.sh"
gen_csv 2000 "$T/in.csv"

# live PID...: those that still run (a zombie has ended), from /proc: a ps
# per poll is slow on a loaded machine.
live() {
	for _p in "$@"; do
		read -r _s 2>/dev/null <"/proc/$_p/stat" || continue
		case ${_s##*) } in
		Z* | X*) ;;
		*) echo "$_p" ;;
		esac
	done
}

# none_live PID...: none of them runs.
none_live() {
	[ -z "$(live "$@")" ]
}

# kill9 PID: kills the supervisor PID, then waits until none of its
# workers runs; prints how long that took.
kill9() {
	_kids=$(ps -o pid= --ppid "$1" | tr -d ' ')
	[ -n "$_kids" ] || fail "pid $1 has no workers"
	kill -9 "$1"
	_t0=$(date +%s%N)
	wait "$1" 2>/dev/null
	_rc=$?
	[ "$_rc" -eq 137 ] || fail "killed supervisor: exit $_rc"
	poll none_live $_kids ||
	    fail "workers of $1 alive after the kill ($POLL_WHY):" $(live $_kids)
	echo "workers of $1 gone $((($(date +%s%N) - _t0) / 1000000)) ms after the kill"
}

# Workers at rows or waiting for the next one.
ROWPOOL_TEST_DELAY_MS=50 "$ROWPOOL" run --processor echo -j 6 -o "$T/out.jsonl" "$T/in.csv" &
pid=$!
track "$pid"
# All six workers up, and one of them at a row (titled by setproctitle).
wait_for -p "$pid" "6 workers of pid $pid" workers_at "$pid" 6
wait_for -p "$pid" "a worker of pid $pid at a row" \
    workers_at "$pid" 1 'worker: row [0-9]*'
kill9 "$pid"
[ ! -e "$T/out.jsonl" ] || fail "the killed run finished"
# The lock of the killed run does not block the next one.
"$ROWPOOL" run --processor echo -j 4 -o "$T/out.jsonl" "$T/in.csv" || fail "resume exit $?"
verify "$T/in.csv" "$T/out.jsonl"

# Workers in an API call that never answers: they read nothing from their
# channel, only PR_SET_PDEATHSIG ends them.
start_emulator
printf 'x: {{id}} [[fake:hang]]\n' >"$T/prompt.txt"
GEMINI_API_KEY=test-key "$ROWPOOL" run --endpoint "$EMU" --prompt "$T/prompt.txt" \
    --timeout 600 -j 4 -o "$T/hang.jsonl" "$T/in.csv" 2>"$T/hang.err" &
pid=$!
track "$pid"
hung() { [ "$(emu_stat 's["in_flight"]')" -ge 4 ]; }
wait_for -p "$pid" "4 requests hanging in the emulator" hung
kill9 "$pid"
