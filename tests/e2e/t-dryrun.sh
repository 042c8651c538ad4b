# --dry-run (issue 8): sends nothing (the emulator counts zero requests),
# writes nothing (no state directory, no output), shows the first 3
# prompts rendered, counts the rows and estimates the tokens; no key is
# needed for it.
. "$(dirname "$0")/lib.sh"
start_emulator
gen_csv 50 "$T/in.csv"
printf 'Classify {{name}}.\n' >"$T/prompt.txt"
env -u GEMINI_API_KEY -u GOOGLE_API_KEY "$ROWPOOL" run --dry-run \
    --endpoint "$EMU" --prompt "$T/prompt.txt" --max-output-tokens 100 \
    -o "$T/out.jsonl" "$T/in.csv" >"$T/stdout" 2>"$T/stderr"
rc=$?
[ $rc -eq 0 ] || fail "exit $rc: $(cat "$T/stderr")"
[ "$(emu_stat 's["requests_total"]')" = 0 ] || fail "a request was sent"
[ ! -e "$T/out.jsonl.state" ] && [ ! -e "$T/out.jsonl" ] || fail "files written"
[ "$(grep -c '^--- row ' "$T/stdout")" -eq 3 ] || fail "not 3 prompts: $(cat "$T/stdout")"
grep -qx "Classify name 0." "$T/stdout" || fail "prompt 0 not rendered"
grep -qx "Classify name 2." "$T/stdout" || fail "prompt 2 not rendered"
grep -q "dry run: 50 rows (0 bad)" "$T/stdout" || fail "row count: $(cat "$T/stdout")"
grep -q "at most 5,000 output tokens" "$T/stdout" || fail "output estimate"
