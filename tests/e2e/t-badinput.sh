# Bad rows: a failed result of kind "input" naming file and line, the run
# goes on (exit 1); with --strict the run stops with 65 and keeps what is
# done.  A file-level problem stops before any work.
. "$(dirname "$0")/lib.sh"
printf 'a,b\n1,2\n3,4,5\n6,7\n"8,9\n' >"$T/bad.csv"
expect_exit 1 "$ROWPOOL" run --processor echo -j 2 -q -o "$T/out.jsonl" "$T/bad.csv"
[ "$(wc -l <"$T/out.jsonl")" -eq 4 ] || fail "want 4 lines"
sed -n 2p "$T/out.jsonl" | grep -q '"kind":"input","message":".*bad.csv:3: expected 2 fields, found 3"' \
    || fail "field count: $(sed -n 2p "$T/out.jsonl")"
sed -n 4p "$T/out.jsonl" | grep -q '"kind":"input","message":".*bad.csv:5: unterminated' \
    || fail "quote: $(sed -n 4p "$T/out.jsonl")"
expect_exit 65 "$ROWPOOL" run --processor echo -j 2 --strict -o "$T/s.jsonl" "$T/bad.csv" 2>"$T/err"
grep -q "bad.csv:3: expected 2 fields, found 3" "$T/err" || fail "strict message: $(cat "$T/err")"
[ -f "$T/s.jsonl" ] && fail "strict run wrote output"
printf '\377\376a\000,\000b\000\n\000' >"$T/u16.csv"
expect_exit 65 "$ROWPOOL" run --processor echo -o "$T/u.jsonl" "$T/u16.csv" 2>"$T/err"
grep -q "UTF-16" "$T/err" || fail "utf16 message: $(cat "$T/err")"
[ ! -e "$T/u.jsonl" ] || fail "utf16: output written"
# A JSONL file with a UTF-8 BOM reads like one without.
printf '\357\273\277{"a":1}\n{"a":2}\n' >"$T/bom.jsonl"
"$ROWPOOL" run --processor echo -o "$T/bom.out" "$T/bom.jsonl" || fail "BOM jsonl exit $?"
verify "$T/bom.jsonl" "$T/bom.out"
# A row within --max-row-bytes whose JSON is too big to send to a worker:
# a bad row of kind input, not a crash.
python3 -c 'import sys; sys.stdout.write("v\n" + "\x01" * 6000000 + "\nok\n")' >"$T/big.csv"
expect_exit 1 "$ROWPOOL" run --processor echo -q --max-row-bytes 8000000 -o "$T/big.out" "$T/big.csv"
sed -n 1p "$T/big.out" | grep -q '"kind":"input","message":".*big.csv:2: row is [0-9]* bytes as JSON, more than the 33554432 a worker takes' \
    || fail "too big: $(head -c 300 "$T/big.out")"
sed -n 2p "$T/big.out" | grep -q '"status":"ok"' || fail "row after the big one"
printf '{"a":1}\nnot json\n{"a":2}\n' >"$T/bad.jsonl"
expect_exit 1 "$ROWPOOL" run --processor echo -q -o "$T/j.jsonl" "$T/bad.jsonl"
sed -n 2p "$T/j.jsonl" | grep -q '"kind":"input","message":".*bad.jsonl:2: ' || fail "jsonl: $(cat "$T/j.jsonl")"
