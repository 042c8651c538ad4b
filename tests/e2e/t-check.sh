# rowpool check (issue 8): a run's command line checked without the run.
# A good one: every line ok, exit 0, exactly one request, nothing
# written.  Then one cause at a time: its exit status (77 the key
# refused, 78 anything else) and the FAIL line that names the fix; a
# warning (bad rows, a row the model refuses) is exit 0.  The echo
# processor sends nothing; a run going on is told, and left alone.
. "$(dirname "$0")/lib.sh"
start_emulator --key-forbidden forbidden-key-1
export GEMINI_API_KEY=test-key
gen_csv 5 "$T/in.csv"
printf 'Describe {{name}}.\nNote: {{note}}\n' >"$T/p.txt"
printf 'Describe {{name}} at {{adress}}.\n' >"$T/typo.txt"
cat >"$T/s.json" <<'S'
{"type": "object", "properties": {"name": {"type": "string"}},
 "required": ["name"]}
S
printf '{"type": "object", "properties": {"name": {"type": "str"}}}\n' \
    >"$T/bad.json"

# check [ARGS...]: rowpool check into out.jsonl, with the key $KEY
# (none: no key at all), checklist in $T/list, stderr in $T/err; returns
# its exit status.
KEY=test-key
check() {
	if [ "$KEY" = none ]; then
		env -u GEMINI_API_KEY -u GOOGLE_API_KEY "$ROWPOOL" check \
		    --endpoint "$EMU" -o "$T/out.jsonl" "$@" >"$T/list" 2>"$T/err"
	else
		GEMINI_API_KEY=$KEY "$ROWPOOL" check --endpoint "$EMU" \
		    -o "$T/out.jsonl" "$@" >"$T/list" 2>"$T/err"
	fi
}
has() {	# LINE-PATTERN (grep -E) that one line of the list must match
	grep -Eq -- "$1" "$T/list" ||
	    fail "no line like '$1' in: $(cat "$T/list" "$T/err")"
}
requests() { emu_stat 's["requests_total"]'; }

# A good command line: every line ok, one request, nothing written.
expect_exit 0 check --prompt "$T/p.txt" --schema "$T/s.json" "$T/in.csv"
[ "$(wc -l <"$T/list")" -eq 8 ] || fail "8 lines wanted: $(cat "$T/list")"
grep -qv '^ok   ' "$T/list" && fail "not all ok: $(cat "$T/list")"
has "^ok   settings: processor gemini, model gemini-2.5-flash"
has "^ok   input '$T/in.csv': CSV, 5 rows, columns: id, name, note$"
has "^ok   prompt '$T/p.txt': placeholders \{\{name\}\}, \{\{note\}\} all in the input$"
has "^ok   schema '$T/s.json': a valid JSON Schema$"
has "^ok   API key: from GEMINI_API_KEY$"
has "^ok   state '$T/out.jsonl.state': none yet"
has "^ok   output '$T/out.jsonl': its directory is writable$"
has "^ok   request: gemini-2.5-flash at $EMU: answered in [0-9]+ ms \(ok\)$"
[ "$(requests)" -eq 1 ] || fail "requests: $(requests), wanted 1"
[ ! -e "$T/out.jsonl.state" ] || fail "check made the state directory"
[ ! -e "$T/out.jsonl" ] && [ ! -e "$T/out.jsonl.lock" ] || fail "check wrote"
grep -rq test-key "$T/list" "$T/err" && fail "the key was printed"

# An unknown model: the API's 404, and what to fix.
expect_exit 78 check --prompt "$T/p.txt" --model gemini-9 "$T/in.csv"
has "^FAIL request: gemini-9 at $EMU: HTTP 404 NOT_FOUND: .*: check --model"
[ "$(requests)" -eq 2 ] || fail "requests: $(requests), wanted 2"

# A key the API refuses (400 API_KEY_INVALID, 403): 77.
KEY=wrong-key-123
expect_exit 77 check --prompt "$T/p.txt" "$T/in.csv"
has "^FAIL request: .*: the API refused the key \(HTTP 400 INVALID_ARGUMENT: API key not valid.*\): check the key$"
grep -q wrong-key-123 "$T/list" "$T/err" && fail "the key was printed"
KEY=forbidden-key-1
expect_exit 77 check --prompt "$T/p.txt" "$T/in.csv"
has "^FAIL request: .*: the API refused the key \(HTTP 403 PERMISSION_DENIED.*\): check the key$"
[ "$(requests)" -eq 4 ] || fail "requests: $(requests), wanted 4"
KEY=test-key
# The request is made of the first good row: a 401 for it is the key's.
printf 'name,note\nx,[[fake:401]]\n' >"$T/401.csv"
expect_exit 77 check --prompt "$T/p.txt" "$T/401.csv"
has "^FAIL request: .*: the API refused the key \(HTTP 401 UNAUTHENTICATED.*\): check the key$"
# A row the model refuses proves the API works: a warning, exit 0.
printf 'name,note\na,b,c\nx,[[fake:safety]]\n' >"$T/safety.csv"
expect_exit 0 check --prompt "$T/p.txt" "$T/safety.csv"
has "^warn input '$T/safety.csv': CSV, 2 rows, columns: name, note; 1 bad \(the first: $T/safety.csv:2: expected 2 fields, found 3\): they will end failed, kind input$"
has "^warn request: .*: answered in [0-9]+ ms, but row 1 failed: blocked: .*: the API works; check the prompt and the schema against this row$"
[ "$(requests)" -eq 6 ] || fail "requests: $(requests), wanted 6"

# No key at all: 78, and no request sent.
KEY=none
expect_exit 78 check --prompt "$T/p.txt" "$T/in.csv"
has "^FAIL API key: no API key: set GEMINI_API_KEY \(or GOOGLE_API_KEY\), or use --api-key-file FILE$"
has "^skip request: not sent: fix what failed first$"
[ "$(requests)" -eq 6 ] || fail "a request was sent without a key"
KEY=test-key

# A key file others may read.
printf 'test-key\n' >"$T/key"
chmod 644 "$T/key"
expect_exit 78 check --prompt "$T/p.txt" --api-key-file "$T/key" "$T/in.csv"
has "^FAIL API key: --api-key-file '$T/key': readable by others \(mode 0644\); chmod 600 it$"
chmod 600 "$T/key"
KEY=none
expect_exit 0 check --prompt "$T/p.txt" --api-key-file "$T/key" "$T/in.csv"
KEY=test-key
has "^ok   API key: from --api-key-file '$T/key'"

# A placeholder that names no column.
expect_exit 78 check --prompt "$T/typo.txt" "$T/in.csv"
has "^FAIL prompt '$T/typo.txt': line 1, column 22: \{\{adress\}\} names no column \(have: id, name, note\): fix the prompt or the input's header$"

# A schema that is not one.
expect_exit 78 check --prompt "$T/p.txt" --schema "$T/bad.json" "$T/in.csv"
has "^FAIL schema '$T/bad.json': properties.name.type: 'str' is not a JSON Schema type: fix the schema$"
has "^ok   prompt '$T/p.txt'"

# An output in no directory (root may write anywhere: a path under a
# file is what no one can make).
expect_exit 78 check --prompt "$T/p.txt" -o /dev/null/x --state "$T/st" "$T/in.csv"
has "^FAIL output '/dev/null/x': its directory '/dev/null': Not a directory: use another --output$"
has "^ok   state '$T/st': none yet"
expect_exit 78 check --prompt "$T/p.txt" --state /dev/null/st "$T/in.csv"
has "^FAIL state '/dev/null/st': Not a directory: use another --state$"
expect_exit 78 check --prompt "$T/p.txt" --log /dev/null/log "$T/in.csv"
has "^FAIL log '/dev/null/log': its directory '/dev/null': Not a directory: use another --log$"

# An endpoint that refuses connections.
"$ROWPOOL" check --endpoint http://127.0.0.1:1 --prompt "$T/p.txt" \
    -o "$T/out.jsonl" "$T/in.csv" >"$T/list" 2>"$T/err"
rc=$?
[ $rc -eq 78 ] || fail "refused endpoint: exit $rc"
has "^FAIL request: gemini-2.5-flash at http://127.0.0.1:1: .*127.0.0.1 port 1.*: check --endpoint"

# A missing input is a configuration problem here: 78.
expect_exit 78 check --prompt "$T/p.txt" "$T/none.csv"
has "^FAIL input: $T/none.csv: open: No such file or directory: check the INPUT argument$"

# A usage error is one, as for run.
expect_exit 64 check --prompt "$T/p.txt" --temperature warm "$T/in.csv"
grep -q "^rowpool: --temperature: 'warm' is not a number$" "$T/err" || fail "64: $(cat "$T/err")"

# The echo processor sends no request; standard input is read too.
[ "$(requests)" -eq 7 ] || fail "requests: $(requests), wanted 7"
"$ROWPOOL" check --processor echo --format csv -o "$T/e.jsonl" - \
    <"$T/in.csv" >"$T/list" 2>"$T/err" || fail "echo: exit $?: $(cat "$T/list" "$T/err")"
has "^ok   input '\(stdin\)': CSV, 5 rows"
has "^ok   request: none needed \(the echo processor\): row 0 went through a worker"
[ "$(requests)" -eq 7 ] || fail "echo sent a request"

# A run in progress: check takes no lock, says so, and the run goes on.
ROWPOOL_TEST_DELAY_MS=300 "$ROWPOOL" run --processor echo -j 1 -q \
    -o "$T/e.jsonl" "$T/in.csv" &
run=$!
i=0
while [ ! -s "$T/e.jsonl.state/manifest" ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
"$ROWPOOL" check --processor echo -o "$T/e.jsonl" "$T/in.csv" >"$T/list" \
    2>"$T/err" || fail "during a run: exit $?: $(cat "$T/list" "$T/err")"
has "^ok   state '$T/e.jsonl.state': writable \(.*; a run in progress: pid $run\)$"
wait $run || fail "the run under check: exit $?"
verify "$T/in.csv" "$T/e.jsonl"
sum=$(cat "$T/e.jsonl.state/manifest" | cksum)
"$ROWPOOL" check --processor echo -o "$T/e.jsonl" "$T/in.csv" >"$T/list" 2>&1 ||
    fail "after the run: $(cat "$T/list")"
has "^ok   state '$T/e.jsonl.state': writable \(finished: all 5 rows done"
[ "$(cat "$T/e.jsonl.state/manifest" | cksum)" = "$sum" ] || fail "check changed the state"
exit 0
