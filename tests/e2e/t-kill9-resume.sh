# kill -9 of the supervisor at chosen states, each followed by a resume:
# every row exactly once, identical to an uninterrupted run.  A run is
# killed either as it starts (once it holds the state lock: before, while
# or after it recovers what the last kill left), or once the manifest
# counts a random number of rows more than when it started (the kill then
# lands wherever the run is: mid-batch, mid-record, mid-checkpoint).  The
# last row hangs, so no run ends before its kill; the final resume does it.
. "$(dirname "$0")/lib.sh"
KILLS=${ROWPOOL_KILLS:-20}
SEED=${ROWPOOL_SEED:-$$}
echo "seed $SEED: ROWPOOL_SEED=$SEED replays these kill points"
ROWS=$((KILLS * 1500 > 30000 ? KILLS * 1500 : 30000))
S="$T/out.jsonl.state"
gen_csv "$ROWS" "$T/in.csv"
"$ROWPOOL" run --processor echo -j 4 -o "$T/ref.jsonl" "$T/in.csv" || fail "reference run"
# Row timing differs between runs; compare without latency_ms.
strip() { sed 's/,"latency_ms":[0-9]*//' "$1"; }
strip "$T/ref.jsonl" >"$T/ref.stripped"

# step K: the rows run K does before its kill, 0 for a kill as it starts
# (one kill in four).
step() {
	awk -v seed="$SEED" -v k="$1" 'BEGIN {
		srand(seed * 1000 + k)
		print rand() < 0.25 ? 0 : 1 + int(rand() * 300)
	}'
}

export ROWPOOL_TEST_DELAY_MS=1
export ROWPOOL_TEST_FAULT=hang:$((ROWS - 1))
kills=0
while [ "$kills" -lt "$KILLS" ]; do
	done=$(manifest_field "$S" rows_done) || done=0
	n=$(step "$kills")
	"$ROWPOOL" run --processor echo -j 4 --batch-size 7 -o "$T/out.jsonl" "$T/in.csv" \
	    2>>"$T/stderr" &
	pid=$!
	track "$pid"
	if [ "$n" -eq 0 ]; then
		wait_for -p "$pid" "run $kills to hold the state lock" \
		    holds "$S/lock" "$pid"
	else
		want=$((done + n < ROWS - 1 ? done + n : ROWS - 1))
		wait_rows_done -p "$pid" "$S" "$want"
	fi
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	rc=$?
	[ "$rc" -eq 137 ] || fail "run $kills: exit $rc: $(tail -3 "$T/stderr")"
	echo "run $kills: from $done rows, killed at $n more:" \
	    "$(manifest_field "$S" rows_done) committed"
	kills=$((kills + 1))
done
[ ! -e "$T/out.jsonl" ] || fail "a killed run wrote the output"
unset ROWPOOL_TEST_DELAY_MS ROWPOOL_TEST_FAULT
"$ROWPOOL" run --processor echo -j 4 -o "$T/out.jsonl" "$T/in.csv" || fail "final resume exit $?"
strip "$T/out.jsonl" >"$T/out.stripped"
cmp "$T/ref.stripped" "$T/out.stripped" || fail "output differs after $kills kills"
verify "$T/in.csv" "$T/out.jsonl"
echo "$kills kills, $(manifest_field "$S" rows_done) rows"
