# Cron: a successful -q run in cron's environment (env -i
# PATH=/usr/bin:/bin: no HOME, TERM, LANG, USER or TMPDIR) writes nothing
# at all, on stdout or stderr: cron mails any output.  So do its rerun
# once finished, and a resume after a kill -9; for the echo processor
# and for gemini (the key from --api-key-file).
. "$(dirname "$0")/lib.sh"
gen_csv 300 "$T/in.csv"
cd "$T" || fail "cd $T"

# cron NAME ARGS...: the run in cron's environment, its output in NAME.out
# and NAME.err; fails unless it exits 0 and both are empty.
cron() {
	_n=$1
	shift
	env -i PATH=/usr/bin:/bin "$ROWPOOL" run -q "$@" >"$_n.out" 2>"$_n.err"
	_rc=$?
	[ "$_rc" -eq 0 ] || fail "$_n: exit $_rc: $(cat "$_n.err")"
	[ ! -s "$_n.out" ] || fail "$_n: stdout: $(cat "$_n.out")"
	[ ! -s "$_n.err" ] || fail "$_n: stderr: $(cat "$_n.err")"
}

cron echo --processor echo -o echo.jsonl in.csv
verify "$T/in.csv" echo.jsonl
cron echo-again --processor echo -o echo.jsonl in.csv

# Killed mid-run, then resumed by the next night's cron.
ROWPOOL_TEST_DELAY_MS=20 "$ROWPOOL" run -q --processor echo -j 2 \
    -o killed.jsonl in.csv 2>/dev/null &
pid=$!
track "$pid"
wait_rows_done -p "$pid" killed.jsonl.state 20
kill -9 "$pid"
wait "$pid" 2>/dev/null
cron resumed --processor echo -o killed.jsonl in.csv
verify "$T/in.csv" killed.jsonl

start_emulator
printf 'test-key\n' >key
chmod 600 key
printf 'Who is it?\nname: {{name}}\n' >prompt.txt
printf '{"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}\n' \
    >schema.json
cron gemini --api-key-file key --endpoint "$EMU" --prompt prompt.txt \
    --schema schema.json -o gemini.jsonl in.csv
[ "$(grep -c '"status":"ok"' gemini.jsonl)" -eq 300 ] || fail "gemini: not 300 ok rows"
cron gemini-again --api-key-file key --endpoint "$EMU" --prompt prompt.txt \
    --schema schema.json -o gemini.jsonl in.csv
