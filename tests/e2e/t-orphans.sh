# kill -9 of the supervisor: its workers exit too (EOF on their channel,
# PR_SET_PDEATHSIG as a backstop).  And a stale lock never blocks.
. "$(dirname "$0")/lib.sh"
gen_csv 2000 "$T/in.csv"
ROWPOOL_TEST_DELAY_MS=50 "$ROWPOOL" run --processor echo -j 6 -o "$T/out.jsonl" "$T/in.csv" &
pid=$!
sleep 1
kids=$(ps -o pid= --ppid "$pid" | tr -d ' ')
[ -n "$kids" ] || fail "no workers seen"
ps -o args= --ppid "$pid" | grep -q "worker: row" || fail "no worker title"
kill -9 "$pid"
wait "$pid" 2>/dev/null
i=0
while [ $i -lt 50 ]; do
	left=""
	for k in $kids; do kill -0 "$k" 2>/dev/null && left="$left $k"; done
	[ -z "$left" ] && break
	sleep 0.1
	i=$((i + 1))
done
[ -z "$left" ] || fail "orphan workers:$left"
# The lock of the killed run does not block the next one.
"$ROWPOOL" run --processor echo -j 4 -o "$T/out.jsonl" "$T/in.csv" || fail "resume exit $?"
verify "$T/in.csv" "$T/out.jsonl"
