# A mistyped --endpoint port: connection refused before the API ever
# answered stops the run within unreachable time (20 s) with exit 69,
# naming the host and the error, and charges no row (issue 6, item 16).
. "$(dirname "$0")/lib.sh"
gen_csv 30 "$T/in.csv"
printf 'Say {{name}}\n' >"$T/prompt.txt"
GEMINI_API_KEY=test-key timeout 120 "$ROWPOOL" run --endpoint http://127.0.0.1:1 \
    --prompt "$T/prompt.txt" -j 4 -o "$T/out.jsonl" "$T/in.csv" 2>"$T/err"
rc=$?
[ "$rc" -eq 69 ] || fail "exit $rc: $(cat "$T/err")"
grep -q "cannot reach the API at 'http://127.0.0.1:1'.*127.0.0.1 port 1" "$T/err" ||
    fail "message: $(cat "$T/err")"
grep -q '"rows_done":0' "$T/out.jsonl.state/manifest" || fail "rows were charged"
[ ! -e "$T/out.jsonl" ] || fail "output written"
