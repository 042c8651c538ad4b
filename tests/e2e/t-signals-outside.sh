# Signals outside the pool's loop (issue 6, item 7): during start-up a
# SIGTERM or SIGINT stops the run (exit 75, resumable, nothing left
# behind); during the final output write the output is finished first
# (exit 0); a SIGHUP there reopens the log.  And inputs that are not
# regular files (item 14): standard input, a pipe, a FIFO are spooled into
# the state directory; a FIFO with no writer, or a pipe that never ends,
# still stops on SIGTERM.
. "$(dirname "$0")/lib.sh"
gen_csv 40 "$T/in.csv"
run() { "$ROWPOOL" run --processor echo -j 2 -q -o "$T/out.jsonl" "$@"; }
no_leftovers() {
	ls "$T" | grep -q 'out.jsonl.rowpool-' && fail "temp file left: $(ls "$T")"
	[ ! -e "$T/out.jsonl.lock" ] || fail "output lock left"
}

for sig in TERM INT; do
	rm -rf "$T/out.jsonl" "$T/out.jsonl.state"
	ROWPOOL_TEST_RAISE=startup:$sig run "$T/in.csv" 2>"$T/err"
	rc=$?
	[ "$rc" -eq 75 ] || fail "startup:$sig: exit $rc"
	grep -q "interrupted by SIG$sig" "$T/err" || fail "startup:$sig: $(cat "$T/err")"
	[ ! -e "$T/out.jsonl" ] || fail "startup:$sig: output written"
	no_leftovers
	run "$T/in.csv" || fail "startup:$sig: resume"
	verify "$T/in.csv" "$T/out.jsonl"
done

for sig in TERM INT HUP; do
	rm -rf "$T/out.jsonl" "$T/out.jsonl.state"
	ROWPOOL_TEST_RAISE=output:$sig run "$T/in.csv"
	rc=$?
	[ "$rc" -eq 0 ] || fail "output:$sig: exit $rc"
	verify "$T/in.csv" "$T/out.jsonl"
	no_leftovers
done
grep -q "log reopened" "$T/out.jsonl.state/log" || fail "SIGHUP at the end: no reopen"

# Standard input, spooled: resumable, fingerprinted like a file.
rm -rf "$T/out.jsonl" "$T/out.jsonl.state"
run --format csv - <"$T/in.csv" || fail "stdin"
verify "$T/in.csv" "$T/out.jsonl"
[ -f "$T/out.jsonl.state/input" ] || fail "stdin not spooled"
cat "$T/in.csv" | run --format csv - || fail "stdin, rerun"
verify "$T/in.csv" "$T/out.jsonl"
gen_csv 40 "$T/other.csv"
sed -i "s/^3,name 3,/3,name three,/" "$T/other.csv"
run --format csv - <"$T/other.csv" 2>"$T/err"
rc=$?
[ "$rc" -eq 65 ] || fail "other stdin: exit $rc"
grep -q "input '-' changed" "$T/err" || fail "other stdin: $(cat "$T/err")"

# A FIFO with a writer; then one without a writer, and a pipe that never
# ends: SIGTERM stops them (75), with timeout(1) as a hang guard only.
rm -rf "$T/out.jsonl" "$T/out.jsonl.state"
mkfifo "$T/fifo.csv"
cat "$T/in.csv" >"$T/fifo.csv" &
timeout 60 "$ROWPOOL" run --processor echo -q -o "$T/out.jsonl" "$T/fifo.csv" ||
    fail "fifo"
verify "$T/in.csv" "$T/out.jsonl"
rm -rf "$T/out.jsonl" "$T/out.jsonl.state"
timeout 60 "$ROWPOOL" run --processor echo -q -o "$T/out.jsonl" "$T/fifo.csv" &
pid=$!
sleep 1
kill -TERM $pid
wait $pid
rc=$?
[ "$rc" -eq 75 ] || fail "fifo without a writer: exit $rc"
(sleep 60; echo) | (timeout 60 "$ROWPOOL" run --processor echo -q --format csv \
    -o "$T/out.jsonl" -; echo $? >"$T/rc") &
sleep 1
pkill -TERM -f "rowpool run --processor echo -q --format csv -o $T/out.jsonl -\$"
i=0
while [ ! -s "$T/rc" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(cat "$T/rc")" = 75 ] || fail "endless pipe: exit $(cat "$T/rc")"
pkill -f "sleep 60" 2>/dev/null
true
