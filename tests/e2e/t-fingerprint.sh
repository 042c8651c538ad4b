# Resume refuses a changed input or setting (exit 65, saying what
# changed) unless --restart.
. "$(dirname "$0")/lib.sh"
gen_csv 3000 "$T/in.csv"
ROWPOOL_TEST_DELAY_MS=5 "$ROWPOOL" run --processor echo -j 2 -o "$T/out.jsonl" "$T/in.csv" &
pid=$!
sleep 0.7
kill -9 "$pid"; wait "$pid" 2>/dev/null
cp "$T/in.csv" "$T/orig.csv"
sed -i 's/^5,name 5,/5,name five,/' "$T/in.csv"	# not an append
expect_exit 65 "$ROWPOOL" run --processor echo -j 2 -o "$T/out.jsonl" "$T/in.csv" 2>"$T/err"
grep -q "input '.*in.csv' changed" "$T/err" || fail "input message: $(cat "$T/err")"
cp "$T/orig.csv" "$T/in.csv"
expect_exit 65 "$ROWPOOL" run --processor echo -j 2 --max-row-bytes 4096 -o "$T/out.jsonl" "$T/in.csv" 2>"$T/err"
grep -q "setting 'max_row_bytes' changed (was 1048576; now 4096)" "$T/err" || fail "setting message: $(cat "$T/err")"
# Settings that do not change results may change on resume.
"$ROWPOOL" run --processor echo -j 3 --batch-size 50 --timeout 9 -o "$T/out.jsonl" "$T/in.csv" || fail "resume exit $?"
verify "$T/in.csv" "$T/out.jsonl"
echo "3000,added,row" >>"$T/in.csv"
"$ROWPOOL" run --processor echo --restart -j 2 -o "$T/out.jsonl" "$T/in.csv" || fail "restart exit $?"
verify "$T/in.csv" "$T/out.jsonl"
