# kill -9 of the supervisor: its workers exit too (EOF on their channel,
# PR_SET_PDEATHSIG as a backstop).  And a stale lock never blocks.
. "$(dirname "$0")/lib.sh"
gen_csv 2000 "$T/in.csv"
ROWPOOL_TEST_DELAY_MS=50 "$ROWPOOL" run --processor echo -j 6 -o "$T/out.jsonl" "$T/in.csv" &
pid=$!
track "$pid"
# All six workers up, and one of them at a row (titled by setproctitle).
wait_for -p "$pid" "6 workers of pid $pid" workers_at "$pid" 6
wait_for -p "$pid" "a worker of pid $pid at a row" \
    workers_at "$pid" 1 'worker: row [0-9]*'
kids=$(ps -o pid= --ppid "$pid" | tr -d ' ')
kill -9 "$pid"
wait "$pid" 2>/dev/null
rc=$?
[ "$rc" -eq 137 ] || fail "killed supervisor: exit $rc"
[ ! -e "$T/out.jsonl" ] || fail "the killed run finished"
# orphans: the workers of the killed run that still run.
orphans() {
	left=
	for k in $kids; do
		ps -o args= -p "$k" 2>/dev/null | grep -q "^rowpool: worker" &&
		    alive "$k" && left="$left $k"
	done
	[ -z "$left" ]
}
poll orphans || fail "orphan workers ($POLL_WHY):$left"
# The lock of the killed run does not block the next one.
"$ROWPOOL" run --processor echo -j 4 -o "$T/out.jsonl" "$T/in.csv" || fail "resume exit $?"
verify "$T/in.csv" "$T/out.jsonl"
