# Quota control: --rpm keeps under a server's limit (no 429); without it,
# 429s pause dispatch and cut the rows in flight (AIMD) and every row still
# ends ok; an outage opens the breaker and, past --max-outage, the run
# commits and stops with 75, resumable.
. "$(dirname "$0")/lib.sh"
start_emulator --rpm 120 --rpm-window-s 60
export GEMINI_API_KEY=test-key
printf 'name: {{name}}\n' >"$T/prompt.txt"
python3 -c 'print("name"); [print("p%d" % i) for i in range(30)]' >"$T/in.csv"
run() { "$ROWPOOL" run --endpoint "$EMU" --prompt "$T/prompt.txt" "$@"; }

run -j 8 --rpm 120 -o "$T/a.jsonl" "$T/in.csv" || fail "--rpm run exit $?"
[ "$(emu_stat 's["status_429"]')" = 0 ] || fail "429s with --rpm: $(emu_stat 's["by_status"]')"
# --tpm paces by estimated tokens (corrected by usage): 30 rows of ~10
# tokens under 60000 a minute (1000 a second) go through.
run -j 8 --tpm 60000 -o "$T/t.jsonl" "$T/in.csv" || fail "--tpm run exit $?"
[ "$(grep -c '"status":"ok"' "$T/t.jsonl")" -eq 30 ] || fail "--tpm rows not ok"

# A server limit of 10 per 3 s, no --rpm, 8 workers: 429s, then it adapts.
emu_config '{"rpm": 10, "rpm_window_s": 3}'
emu_reset
run -j 8 --log "$T/b.log" -o "$T/b.jsonl" "$T/in.csv" || fail "429 run exit $?"
[ "$(emu_stat 's["status_429"] > 0')" = True ] || fail "no 429 seen"
grep -q "rate limited: at most [0-9]* rows in flight" "$T/b.log" || fail "no AIMD cut: $(cat "$T/b.log")"
grep -q "rate limited: pausing dispatch" "$T/b.log" || fail "no pause"
[ "$(grep -c '"status":"ok"' "$T/b.jsonl")" -eq 30 ] || fail "rows not ok"

# An outage: every request fails with 503.  The breaker opens; after
# --max-outage the run stops with 75; once the API is back it resumes.
emu_config '{"rpm": 0, "error_rate": 1.0, "error_kinds": "503"}'
run -j 4 --max-outage 3 --log "$T/c.log" -o "$T/c.jsonl" "$T/in.csv" 2>"$T/err"
rc=$?
[ "$rc" -eq 75 ] || fail "outage exit $rc: $(cat "$T/err")"
grep -q "the API has been failing" "$T/err" || fail "outage message: $(cat "$T/err")"
[ ! -e "$T/c.jsonl" ] || fail "outage: output written"
[ "$(manifest_field "$T/c.jsonl.state" failed)" = 0 ] || fail "outage: rows charged"
emu_config '{"error_rate": 0}'
run -j 4 -o "$T/c.jsonl" "$T/in.csv" || fail "resume after outage exit $?"
[ "$(grep -c '"status":"ok"' "$T/c.jsonl")" -eq 30 ] || fail "rows not ok after outage"
