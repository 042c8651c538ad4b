# Resume refuses a changed input or setting (exit 65, saying what
# changed) unless --restart.
. "$(dirname "$0")/lib.sh"
gen_csv 3000 "$T/in.csv"
S="$T/out.jsonl.state"
# A run killed once it has committed rows (at 20 ms a row it needs 30 s
# for all 3000): a resumable state.
ROWPOOL_TEST_DELAY_MS=20 "$ROWPOOL" run --processor echo -j 2 -o "$T/out.jsonl" "$T/in.csv" &
pid=$!
track "$pid"
wait_rows_done -p "$pid" "$S" 20
kill -9 "$pid"
wait "$pid" 2>/dev/null
rc=$?
[ "$rc" -eq 137 ] || fail "killed run: exit $rc"
[ ! -e "$T/out.jsonl" ] || fail "the killed run finished"
cp "$S/journal" "$T/journal.killed"
cp "$S/manifest" "$T/manifest.killed"
# refused WHAT: the state the killed run left is untouched.
refused() {
	cmp -s "$S/journal" "$T/journal.killed" || fail "$1: journal changed"
	cmp -s "$S/manifest" "$T/manifest.killed" || fail "$1: manifest changed"
	[ ! -e "$T/out.jsonl" ] || fail "$1: output written"
}
cp "$T/in.csv" "$T/orig.csv"
sed -i 's/^5,name 5,/5,name five,/' "$T/in.csv"	# not an append
expect_exit 65 "$ROWPOOL" run --processor echo -j 2 -o "$T/out.jsonl" "$T/in.csv" 2>"$T/err"
grep -q "input '.*in.csv' changed" "$T/err" || fail "input message: $(cat "$T/err")"
refused "changed input"
cp "$T/orig.csv" "$T/in.csv"
expect_exit 65 "$ROWPOOL" run --processor echo -j 2 --max-row-bytes 4096 -o "$T/out.jsonl" "$T/in.csv" 2>"$T/err"
grep -q "setting 'max_row_bytes' changed (was 1048576; now 4096)" "$T/err" || fail "setting message: $(cat "$T/err")"
refused "changed setting"
# Settings that do not change results may change on resume.
"$ROWPOOL" run --processor echo -j 3 --batch-size 50 --timeout 9 -o "$T/out.jsonl" "$T/in.csv" || fail "resume exit $?"
verify "$T/in.csv" "$T/out.jsonl"
echo "3000,added,row" >>"$T/in.csv"
"$ROWPOOL" run --processor echo --restart -j 2 -o "$T/out.jsonl" "$T/in.csv" || fail "restart exit $?"
verify "$T/in.csv" "$T/out.jsonl"
