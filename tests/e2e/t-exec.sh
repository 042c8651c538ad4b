# The exec processor (README, "The exec processor"), with the programs of
# tests/exec as CMD: every row answered by a loop; each way CMD can fail
# costs its row one attempt (kind, attempts) and nothing else; CMD's
# stderr in the log with the row; usage in the manifest's tokens; a CMD
# that cannot start stops the run (78, naming it); --exec-per-row;
# --exec-cwd; CMD is a setting (a resume with another is refused); every
# row exactly once across kill -9 of the supervisor, and no CMD left
# running after a run, a timeout or a kill.
. "$(dirname "$0")/lib.sh"
EXEC=$(cd "$HERE/../exec" && pwd -P)
ECHO="$EXEC/echo.py"
TAG="rowpool-e2e-exec-$$"	# in every CMD's arguments: ps finds them
O="$T/out.jsonl"
S="$O.state"
gen_csv 300 "$T/in.csv"

# run [OPTIONS] -- CMD...: a fresh run of the 300 rows.
run() {
	rm -rf "$O" "$S"
	"$ROWPOOL" run --processor exec -j 4 -q -o "$O" "$T/in.csv" "$@"
}
# cmds: this test's commands still running (zombies have ended).  The
# tag goes through the environment: awk's own arguments must not hold it.
cmds() {
	ps -eo stat=,args= |
	    TAG="$TAG" awk 'index($0, ENVIRON["TAG"]) && $1 !~ /^Z/'
}
no_cmds() {
	[ -z "$(cmds)" ]
}
# row_field N EXPR: EXPR on line N + 1 of the output, as r.
row_field() {
	field "$(sed -n "$(($1 + 1))p" "$O")" "$2"
}

# A loop: every row, usage counted, CMD's stderr in the log with the row.
run -- "$ECHO" --stderr --usage --tag "$TAG" || fail "echo loop: exit $?"
verify "$T/in.csv" "$O"
[ "$(manifest_field "$S" total_tokens)" = 3600 ] &&
    [ "$(manifest_field "$S" prompt_tokens)" = 3000 ] ||
    fail "tokens: $(cat "$S/manifest")"
grep -q "row 17: echo.py: seen row 17 in $(pwd -P)\$" "$S/log" ||
    fail "stderr line of row 17: $(grep 'row 17' "$S/log")"
"$ROWPOOL" status --json "$O" | grep -q '"total_tokens": *3600' ||
    fail "status: $("$ROWPOOL" status --json "$O")"
wait_for "the commands of a finished run to end" no_cmds

# Each fault on row 17: that row fails with its kind after its attempts
# (2; 1 for the slow ones), every other row is ok; the hanging CMD dies
# with its worker.
for f in crash garbage long two-lines wrong-row fail:oops hang; do
	case $f in
	fail:*) args="--fail 17:${f#fail:}" ;;
	*) args="--$f 17" ;;
	esac
	tmo=60 retries=1 attempts=2
	[ "$f" = long ] && retries=0 attempts=1
	# The deadline is generous: the other rows, slow as this machine
	# may be, must answer in time; only row 17 waits for it.
	[ "$f" = hang ] && tmo=30 retries=0 attempts=1
	run --timeout $tmo --retries $retries -- "$ECHO" $args --tag "$TAG"
	rc=$?
	[ "$rc" -eq 1 ] || fail "$f: exit $rc"
	verify "$T/in.csv" "$O" 17
	case $f in
	crash) kind=crash want="command '$ECHO' killed by signal 11 (SIGSEGV)" ;;
	garbage) kind=protocol want="answered row 17 badly: not JSON" ;;
	long) kind=protocol want="more than 67043328 bytes on a line" ;;
	two-lines) kind=protocol want="answered row 17 with more than one line" ;;
	wrong-row) kind=protocol want="the answer is for row 18" ;;
	fail:oops) kind=protocol want="'kind' 'oops' is not one of rowpool's" ;;
	hang) kind=timeout want="no answer within 30000 ms" ;;
	esac
	got=$(row_field 17 'r["error"]["kind"], r["attempts"]')
	[ "$got" = "('$kind', $attempts)" ] || fail "$f: row 17: $got"
	got=$(row_field 17 'r["error"]["message"]')
	case $got in
	*"$want"*) ;;
	*) fail "$f: row 17: $got" ;;
	esac
	[ "$f" != crash ] ||
	    grep -q "row 17: echo.py: about to crash on row 17\$" "$S/log" ||
	    fail "the crash's stderr line: $(grep 'row 17' "$S/log")"
	wait_for "the commands of the $f run to end" no_cmds
done

# CMD's own failure: its kind, its retry; then --retry-failed does the
# row again (the fault comes from the environment: the command, a
# setting, is the same).
ECHO_OPTS="--fail 17:blocked" run -- "$ECHO" --tag "$TAG"
[ $? -eq 1 ] || fail "blocked: exit"
got=$(row_field 17 'r["error"]["kind"], r["attempts"], r["error"]["message"]')
[ "$got" = "('blocked', 1, 'told to fail')" ] || fail "blocked: $got"
"$ROWPOOL" run --processor exec -j 4 -q --retry-failed -o "$O" "$T/in.csv" \
    -- "$ECHO" --tag "$TAG" || fail "--retry-failed: exit $?"
verify "$T/in.csv" "$O"

# A CMD that exits after 100 rows: the next row it is given is charged
# a crash, CMD starts afresh, every row ends ok.
run -j 2 -- "$ECHO" --exit-after 100 --tag "$TAG" || fail "exit-after: exit $?"
verify "$T/in.csv" "$O"
grep -q '"attempts":2' "$O" || fail "exit-after: no row was charged"
grep -q "crash: command '$ECHO' exited with status 0; retry in" "$S/log" ||
    fail "exit-after: $(grep crash "$S/log")"

# A CMD that cannot start stops the run at once, 78, naming it.
for c in rowpool-no-such-cmd "$EXEC/notexec.py" "$EXEC/badinterp.py"; do
	expect_exit 78 run -- "$c" 2>"$T/err"
	case $c in
	*/notexec.py) want="command '$c': Permission denied" ;;
	*/badinterp.py) want="command '$c': its interpreter '/nonexistent/python3': No such file or directory" ;;
	*) want="command '$c': not found in PATH" ;;
	esac
	grep -qF "rowpool: $want" "$T/err" || fail "$c: $(cat "$T/err")"
done
expect_exit 78 run --exec-cwd "$T/nonexistent" -- ./echo.py 2>"$T/err"
grep -qF "exec-cwd '$T/nonexistent': No such file or directory" "$T/err" ||
    fail "--exec-cwd: $(cat "$T/err")"
expect_exit 64 run 2>"$T/err"
grep -qF "runs a command: INPUT -- CMD" "$T/err" || fail "no command: $(cat "$T/err")"

# Per row, in sh: row 13 makes it exit 3.
run --exec-per-row -- "$EXEC/once.sh" "$TAG"
[ $? -eq 1 ] || fail "per row: exit"
got=$(row_field 13 'r["error"]["kind"], r["attempts"], r["error"]["message"]')
[ "$got" = "('crash', 4, \"command '$EXEC/once.sh' exited with status 3\")" ] ||
    fail "per row: row 13: $got"
[ "$(row_field 5 'r["data"]["row"], r["data"]["id"]')" = "(5, '5')" ] ||
    fail "per row: row 5: $(sed -n 6p "$O")"
grep -q "row 13: once.sh: row 13: giving up\$" "$S/log" || fail "per row: stderr"

# --exec-cwd: CMD runs there, and a relative CMD is found there.
run --exec-cwd "$EXEC" -- ./echo.py --stderr --tag "$TAG" ||
    fail "--exec-cwd: exit $?"
grep -q "row 0: echo.py: seen row 0 in $EXEC\$" "$S/log" ||
    fail "--exec-cwd: $(grep 'row 0' "$S/log")"

# Pacing as for any processor: --rpm and --tpm taken, every row ok; a
# CMD that says rate_limited (row 5, once) pauses dispatch and cuts the
# rows in flight, as a 429 does, and the row is done again, uncharged.
gen_csv 11 "$T/11.csv"
"$ROWPOOL" run --processor exec -q --rpm 600 --tpm 100000 \
    -o "$T/11.jsonl" "$T/11.csv" -- "$ECHO" --usage --tag "$TAG" ||
    fail "--rpm: exit $?"
verify "$T/11.csv" "$T/11.jsonl"
run -- "$ECHO" --throttle "5:$T/throttled" --tag "$TAG" || fail "rate_limited: exit $?"
verify "$T/in.csv" "$O"
grep -q "rate limited: pausing dispatch" "$S/log" ||
    fail "rate_limited: no pause: $(grep -i rate "$S/log")"
[ "$(row_field 5 'r["attempts"]')" = 1 ] ||
    fail "rate_limited: row 5: $(sed -n 6p "$O")"

# A CMD that starts but dies at once, every time: the streak of crashes
# stops the run (78) instead of failing every row.
expect_exit 78 run -- sh -c 'exit 1' 2>"$T/err"
grep -q "exited with status 1" "$T/err" || fail "dies at once: $(cat "$T/err")"

# rowpool check: the command found, one row through a worker.
"$ROWPOOL" check --processor exec -o "$O" "$T/in.csv" -- "$ECHO" --tag "$TAG" \
    >"$T/check" || fail "check: exit $?: $(cat "$T/check")"
grep -q "^ok   command '$ECHO': found, run once per worker" "$T/check" ||
    fail "check: $(cat "$T/check")"

# kill -9 of the supervisor at chosen states, then resumes: every row
# exactly once, as in a run never killed; no CMD outlives its run.  A
# resume with another command, or per row, is refused (65).
ROWS=3000
gen_csv $ROWS "$T/big.csv"
"$ROWPOOL" run --processor exec -j 4 -o "$T/ref.jsonl" "$T/big.csv" \
    -- "$ECHO" --tag "$TAG" || fail "reference run"
strip() { sed 's/,"latency_ms":[0-9]*//' "$1"; }
strip "$T/ref.jsonl" >"$T/ref.stripped"
rm -rf "$O" "$S"
kills=0
for n in 150 400 250 600; do
	done=$(manifest_field "$S" rows_done) || done=0
	ROWPOOL_TEST_DELAY_MS=1 ROWPOOL_TEST_FAULT=hang:$((ROWS - 1)) \
	    "$ROWPOOL" run --processor exec -j 4 --batch-size 7 -o "$O" \
	    "$T/big.csv" -- "$ECHO" --tag "$TAG" 2>>"$T/stderr" &
	pid=$!
	track "$pid"
	wait_rows_done -p "$pid" "$S" $((done + n))
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	[ $? -eq 137 ] || fail "kill $kills: $(tail -3 "$T/stderr")"
	wait_for "the commands of killed run $kills to end" no_cmds
	kills=$((kills + 1))
done
expect_exit 65 "$ROWPOOL" run --processor exec -o "$O" "$T/big.csv" \
    -- "$ECHO" --usage --tag "$TAG" 2>"$T/err"
grep -q "setting 'command' changed (was \[\"$ECHO\",\"--tag\",\"$TAG\"\]; now" "$T/err" ||
    fail "another command: $(cat "$T/err")"
expect_exit 65 "$ROWPOOL" run --processor exec --exec-per-row -o "$O" \
    "$T/big.csv" -- "$ECHO" --tag "$TAG" 2>"$T/err"
grep -q "setting 'exec_per_row' changed (was false; now true)" "$T/err" ||
    fail "per row: $(cat "$T/err")"
"$ROWPOOL" run --processor exec -j 4 -o "$O" "$T/big.csv" \
    -- "$ECHO" --tag "$TAG" || fail "final resume: exit $?"
strip "$O" >"$T/out.stripped"
cmp "$T/ref.stripped" "$T/out.stripped" || fail "output differs after $kills kills"
verify "$T/big.csv" "$O"
wait_for "the commands of the last run to end" no_cmds
