# The exec processor's CMD, started or not: one that cannot start stops
# the run (78, naming it); one that dies at once every time stops it on
# the streak (78); --exec-per-row; --exec-cwd; rowpool check.
. "$(dirname "$0")/lib.sh"
. "$HERE/execlib.sh"

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

# A CMD that starts but dies at once, every time: the streak of crashes
# stops the run (78) instead of failing every row.
expect_exit 78 run -- sh -c 'exit 1' 2>"$T/err"
grep -q "exited with status 1" "$T/err" || fail "dies at once: $(cat "$T/err")"

# rowpool check: the command found, one row through a worker.
"$ROWPOOL" check --processor exec -o "$O" "$T/in.csv" -- "$ECHO" --tag "$TAG" \
    >"$T/check" || fail "check: exit $?: $(cat "$T/check")"
grep -q "^ok   command '$ECHO': found, run once per worker" "$T/check" ||
    fail "check: $(cat "$T/check")"

