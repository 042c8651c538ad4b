# Rows that break the API on their own (a hang, an HTML error page), at
# the end of the input, open the circuit breaker; they must still end
# failed and the run complete (exit 1), not be probed uncharged until
# --max-outage (exit 75, the same on every rerun).  Issue 6, item 1.
. "$(dirname "$0")/lib.sh"
printf 'id\n' >"$T/in.csv"
seq 0 19 >>"$T/in.csv"
ROWPOOL_TEST_FAULT=hang:17,hang:18,hang:19 "$ROWPOOL" run --processor echo \
    -j 2 --timeout 1 --max-outage 20 -q -o "$T/out.jsonl" "$T/in.csv"
rc=$?
[ "$rc" -eq 1 ] || fail "hung rows: exit $rc"
verify "$T/in.csv" "$T/out.jsonl" 17 18 19
for n in 18 19 20; do
	sed -n "${n}p" "$T/out.jsonl" | grep -qF '"attempts":4,"error":{"kind":"timeout"' ||
	    fail "hung row: $(sed -n "${n}p" "$T/out.jsonl")"
done

# The same with rows whose answer is an HTML page (a retryable http error).
start_emulator
export GEMINI_API_KEY=test-key
printf 'Say {{id}}\n' >"$T/prompt.txt"
{ printf 'id\n'; seq 0 16; printf '%s\n' 'x[[fake:html]]' 'y[[fake:html]]' 'z[[fake:html]]'; } >"$T/html.csv"
"$ROWPOOL" run --endpoint "$EMU" --prompt "$T/prompt.txt" -j 2 --timeout 5 \
    --max-outage 20 -q -o "$T/html.jsonl" "$T/html.csv"
rc=$?
[ "$rc" -eq 1 ] || fail "html rows: exit $rc"
[ "$(grep -c '"status":"ok"' "$T/html.jsonl")" -eq 17 ] || fail "html: ok rows"
[ "$(grep -c '"attempts":4,"error":{"kind":"http"' "$T/html.jsonl")" -eq 3 ] ||
    fail "html: $(tail -3 "$T/html.jsonl")"
