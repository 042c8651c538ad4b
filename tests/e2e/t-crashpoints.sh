# Crash points: the supervisor is killed (SIGKILL, by the test hook in
# src/io.c, ROWPOOL_TEST_CRASH=K) at every point of a full cycle, just
# before and just after each write, fsync, fdatasync, rename, unlink and
# ftruncate of its state and its output: the state directory made, the
# journal opened, settings.json, the first checkpoint (before any row),
# one at row 5, one at the end, the output, and the checkpoint after it.
# After each kill, what is on disk is what a power cut would keep
# (crashcheck.py state: a manifest renamed only once fsynced, naming no
# more journal than was fdatasynced; an output renamed only once
# fsynced); the resume finishes; every row is there exactly once; the
# output is byte-identical to the uninterrupted run's, latency_ms aside (a
# measurement: both set to 0); and the rows committed before the kill are
# there with their bytes unchanged, latency_ms included: they were not
# done again.
#
# A second cycle reads standard input and starts with --restart over a
# finished state, up to the journal's recovery: the spooled input and
# --restart's unlinks.  Its resume is the same command without --restart:
# it either resumes, or refuses (65) pointing at --restart, which then
# finishes.
. "$(dirname "$0")/lib.sh"
. "$HERE/points.sh"

# crash K REFLOG ARGS...: run ARGS killed at point K (its log: OUT.k.log).
crash() {
	_k=$1 _log=$2
	shift 2
	rm -f "$OUT.k.log"
	ROWPOOL_TEST_CRASH=$_k ROWPOOL_TEST_IOLOG=$OUT.k.log run "$@" \
	    2>"$OUT.err"
	_rc=$?
	[ "$_rc" -eq 137 ] || fail "point $_k ($($CHECK op "$_log" \
	    $(((_k + 1) / 2)))): exit $_rc, want a kill: $(cat "$OUT.err")"
}

# file_lane LANE N: the file cycle's points LANE+1, LANE+1+N...
file_lane() {
	k=$(($1 + 1))
	while [ "$k" -le "$P" ]; do
		fresh
		crash "$k" "$T/ref.log" "$T/in.csv"
		$CHECK cycle "$k" "$OUT.k.log" "$T/ref.log" "$S" "$OUT" \
		    "$T/ref.jsonl" "$OUT.committed" -- \
		    "$ROWPOOL" run $JOB -o "$OUT" "$T/in.csv" || fail "point $k"
		leftovers "$k"
		k=$((k + $2))
	done
}

# restart_lane LANE N: the same for the cycle from standard input with
# --restart; counts the resumes refused in OUT.refused.
restart_lane() {
	k=$(($1 + 1))
	: >"$OUT.refused"
	while [ "$k" -le "$P2" ]; do
		restart_state
		crash "$k" "$T/ref2.log" --restart - <"$T/in.csv"
		$CHECK cycle "$k" "$OUT.k.log" "$T/ref2.log" "$S" "$OUT" \
		    "$T/ref.jsonl" "$OUT.committed" -- \
		    "$ROWPOOL" run $JOB -o "$OUT" - -- \
		    "$ROWPOOL" run $JOB -o "$OUT" --restart - \
		    <"$T/in.csv" >>"$OUT.refused" || fail "point $k"
		leftovers "$k"
		k=$((k + $2))
	done
}

restart_state() {
	fresh
	cp -a "$T/finished.state" "$S"
	cp "$T/ref.jsonl" "$OUT"
}

start=$(date +%s)
reference
lanes file_lane
echo "file input: $P points, $(($(date +%s) - start)) s"

start=$(date +%s)
lane_dirs 0
restart_state
ROWPOOL_TEST_IOLOG=$T/ref2.log run --restart - <"$T/in.csv" ||
    fail "reference run with --restart"
grep -q " unlink ok - - $S/journal\$" "$T/ref2.log" &&
    grep -q " rename ok - - $S/input.tmp " "$T/ref2.log" ||
    fail "the --restart run does not spool or unlink: $(cat "$T/ref2.log")"
# Up to the journal's recovery: the rest is the file cycle's.
n=$(grep -n " ftruncate ok " "$T/ref2.log" | head -1 | cut -d: -f1)
P2=$((n * 2))
lanes restart_lane
echo "stdin and --restart: $P2 points ($(cat "$T"/lane*/out.jsonl.refused |
    grep -c refused) resumes refused, then --restart)," \
    "$(($(date +%s) - start)) s"
