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
printf '{"a":1}\nnot json\n{"a":2}\n' >"$T/bad.jsonl"
expect_exit 1 "$ROWPOOL" run --processor echo -q -o "$T/j.jsonl" "$T/bad.jsonl"
sed -n 2p "$T/j.jsonl" | grep -q '"kind":"input","message":".*bad.jsonl:2: ' || fail "jsonl: $(cat "$T/j.jsonl")"
