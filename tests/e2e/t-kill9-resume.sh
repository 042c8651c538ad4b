# kill -9 of the supervisor at random moments, each followed by a resume:
# every row exactly once, identical to an uninterrupted run.
. "$(dirname "$0")/lib.sh"
KILLS=${ROWPOOL_KILLS:-20}
# Enough rows that the run outlasts the kills (a killed run gets through
# a few hundred rows).
ROWS=$((KILLS * 1500 > 30000 ? KILLS * 1500 : 30000))
gen_csv "$ROWS" "$T/in.csv"
"$ROWPOOL" run --processor echo -j 4 -o "$T/ref.jsonl" "$T/in.csv" || fail "reference run"
# Row timing differs between runs; compare without latency_ms.
strip() { sed 's/,"latency_ms":[0-9]*//' "$1"; }
strip "$T/ref.jsonl" >"$T/ref.stripped"

export ROWPOOL_TEST_DELAY_MS=1
kills=0
while [ "$kills" -lt "$KILLS" ]; do
	"$ROWPOOL" run --processor echo -j 4 --batch-size 7 -o "$T/out.jsonl" "$T/in.csv" \
	    2>>"$T/stderr" &
	pid=$!
	sleep "0.$(awk 'BEGIN { srand(); printf "%03d", 20 + int(rand() * 300) }')"
	if kill -9 "$pid" 2>/dev/null; then
		kills=$((kills + 1))
	fi
	wait "$pid" 2>/dev/null
	[ -f "$T/out.jsonl" ] && break	# finished before the kill
done
unset ROWPOOL_TEST_DELAY_MS
"$ROWPOOL" run --processor echo -j 4 -o "$T/out.jsonl" "$T/in.csv" || fail "final resume exit $?"
strip "$T/out.jsonl" >"$T/out.stripped"
cmp "$T/ref.stripped" "$T/out.stripped" || fail "output differs after $kills kills"
verify "$T/in.csv" "$T/out.jsonl"
echo "$kills kills"
[ "$kills" -ge "$KILLS" ] || fail "only $kills kills landed"
