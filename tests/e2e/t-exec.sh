# The exec processor (README, "The exec processor"), with the programs of
# tests/exec as CMD: every row answered by a loop; each way CMD can fail
# (crash, garbage, a line over the limit, two lines, another row, an
# unknown kind, a hang) costs its row one attempt (kind, attempts) and
# nothing else; CMD's stderr in the log with the row; usage in the
# manifest's tokens; the environment passed; --retry-failed; a CMD that
# exits after N rows; no CMD left running after a run or a timeout.
. "$(dirname "$0")/lib.sh"
. "$HERE/execlib.sh"

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
# (When the supervisor reaps the worker before it reads the worker's
# last RESULT, as under heavy load, the row's message is the worker's
# exit status 4, "restart", instead: the row is charged a crash either way.)
grep -Eq "crash: (command '$ECHO' exited with status 0|worker exited with status 4); retry in" "$S/log" ||
    fail "exit-after: $(grep crash "$S/log")"

