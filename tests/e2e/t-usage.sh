# Usage and set-up errors: each with its exit status and a clear message.
. "$(dirname "$0")/lib.sh"
gen_csv 10 "$T/in.csv"
expect_exit 64 "$ROWPOOL" run --processor echo "$T/in.csv" 2>"$T/err"
grep -q -- "--output FILE is required" "$T/err" || fail "no --output message"
expect_exit 64 "$ROWPOOL" run --processor echo -o "$T/o" --workers 0 "$T/in.csv" 2>/dev/null
expect_exit 64 "$ROWPOOL" run --processor echo -o "$T/o" --timeout abc "$T/in.csv" 2>/dev/null
expect_exit 64 "$ROWPOOL" run --processor echo -o "$T/o" "$T/in.txt" 2>"$T/err"
grep -q "use --format" "$T/err" || fail "format message"
expect_exit 64 "$ROWPOOL" frobnicate 2>/dev/null
expect_exit 78 "$ROWPOOL" run --processor echo --processor nope -o "$T/o" "$T/in.csv" 2>/dev/null
expect_exit 66 "$ROWPOOL" run --processor echo -o "$T/o.jsonl" "$T/missing.csv" 2>"$T/err"
grep -q "missing.csv" "$T/err" || fail "missing input message"
expect_exit 73 "$ROWPOOL" run --processor echo -o "$T/no/such/dir/o.jsonl" "$T/in.csv" 2>"$T/err"
grep -q "no/such/dir" "$T/err" || fail "output dir message"
"$ROWPOOL" --help | grep -q "Exit status" || fail "--help"
"$ROWPOOL" --version | grep -q "^rowpool " || fail "--version"
