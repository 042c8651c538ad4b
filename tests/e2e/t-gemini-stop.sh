# Errors that stop a run: a refused key (77), a daily quota (75, resumable),
# and configuration errors caught before any request (78).
. "$(dirname "$0")/lib.sh"
start_emulator --retry-delay-s 1
printf 'Name: {{name}}\nNote: {{note}}\n' >"$T/prompt.txt"
python3 -c 'import csv, sys
w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow(["name", "note"])
for i in range(30): w.writerow(["p%d" % i, "[[fake:429-day]]" if i == 12 else "x"])' >"$T/in.csv"
run() { "$ROWPOOL" run --endpoint "$EMU" --prompt "$T/prompt.txt" -j 2 "$@"; }

GEMINI_API_KEY=wrong-key run -o "$T/a.jsonl" "$T/in.csv" 2>"$T/err"
rc=$?
[ "$rc" -eq 77 ] || fail "bad key: exit $rc"
grep -q "the API refused the key" "$T/err" || fail "bad key message: $(cat "$T/err")"
grep -q "wrong-key" "$T/err" && fail "key in the message"
[ ! -e "$T/a.jsonl" ] || fail "bad key: output written"
[ "$(manifest_field "$T/a.jsonl.state" rows_done)" = 0 ] || fail "bad key: rows charged"

export GEMINI_API_KEY=test-key
run -o "$T/q.jsonl" "$T/in.csv" 2>"$T/err"
rc=$?
[ "$rc" -eq 75 ] || fail "per-day quota: exit $rc"
grep -q "daily quota exhausted" "$T/err" || fail "quota message: $(cat "$T/err")"
[ -f "$T/q.jsonl" ] && fail "output written"
[ "$(manifest_field "$T/q.jsonl.state" failed)" = 0 ] || fail "per-day quota: a row charged"
# Tomorrow (here: the directive is gone) the same command resumes.
sed -i 's/\[\[fake:429-day\]\]/x/' "$T/in.csv"
run --restart -o "$T/q.jsonl" "$T/in.csv" || fail "rerun exit $?"
[ "$(wc -l <"$T/q.jsonl")" -eq 30 ] || fail "rerun lines"

# Configuration errors: exit 78 before any request.
sent=$(emu_stat 's["requests_total"]')
GEMINI_API_KEY="$(printf 'test-key\r\nX-Injected: 1')" run -o "$T/c.jsonl" "$T/in.csv" 2>"$T/err"
[ $? -eq 78 ] || fail "a key with CR LF was accepted"
grep -q "holds a control character" "$T/err" || fail "control key message: $(cat "$T/err")"
unset GEMINI_API_KEY GOOGLE_API_KEY
expect_exit 78 run -o "$T/c.jsonl" "$T/in.csv" 2>"$T/err"
grep -q "no API key" "$T/err" || fail "no key message"
printf 'test-key\n' >"$T/key"
chmod 644 "$T/key"
expect_exit 78 run --api-key-file "$T/key" -o "$T/c.jsonl" "$T/in.csv" 2>"$T/err"
grep -q "readable by others" "$T/err" || fail "key file message: $(cat "$T/err")"
chmod 600 "$T/key"
printf 'Hello {{nmae}}\n' >"$T/bad-prompt.txt"
expect_exit 78 "$ROWPOOL" run --endpoint "$EMU" --api-key-file "$T/key" \
    --prompt "$T/bad-prompt.txt" -o "$T/c.jsonl" "$T/in.csv" 2>"$T/err"
grep -q "nmae" "$T/err" || fail "placeholder message: $(cat "$T/err")"
[ "$(emu_stat 's["requests_total"]')" -eq "$sent" ] ||
    fail "requests sent by runs with configuration errors"
[ ! -e "$T/c.jsonl" ] || fail "output written by a run with a configuration error"
run --api-key-file "$T/key" -o "$T/k.jsonl" "$T/in.csv" || fail "key file run exit $?"
