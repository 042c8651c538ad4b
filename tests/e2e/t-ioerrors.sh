# I/O errors: every point of the crash-point cycle (t-crashpoints.sh)
# fails in turn with EIO (the test hook in src/io.c,
# ROWPOOL_TEST_IOERR=K:ERR): before the operation, so it is not done, and
# after it, so it is done and fails all the same (a rename that happened,
# an fsync that reported an error); and every point before an operation
# fails with ENOSPC, the disk full (rowpool treats the two alike: these
# runs check the message and the exit).  Each time: exit 74 naming the
# error; the last checkpoint intact, as a power cut would keep it
# (crashcheck.py state); no fsync of the failed file again, and nothing
# but the removal of temp files at all (crashcheck.py nofsync); a clean
# resume; every row exactly once; the output byte-identical to the
# uninterrupted run's, latency_ms aside; the committed rows not done again.
. "$(dirname "$0")/lib.sh"
. "$HERE/points.sh"

# fails K ERR: the job with point K failing with ERR, then its checks.
fails() {
	case $2 in
	EIO) _msg="Input/output error" ;;
	ENOSPC) _msg="No space left on device" ;;
	esac
	fresh
	rm -f "$OUT.k.log"
	ROWPOOL_TEST_IOERR=$1:$2 ROWPOOL_TEST_IOLOG=$OUT.k.log \
	    run "$T/in.csv" 2>"$OUT.err"
	_rc=$?
	[ "$_rc" -eq 74 ] && grep -q "$_msg" "$OUT.err" ||
	    fail "point $1 ($2 at $($CHECK op "$T/ref.log" $((($1 + 1) / 2)))):" \
	    "exit $_rc, want 74: $(cat "$OUT.err")"
	$CHECK cycle "$1" "$OUT.k.log" "$T/ref.log" "$S" "$OUT" \
	    "$T/ref.jsonl" "$OUT.committed" -- \
	    "$ROWPOOL" run $JOB -o "$OUT" "$T/in.csv" || fail "point $1 ($2)"
	leftovers "$1"
}

# error_lane LANE N: points LANE+1, LANE+1+N...: EIO, and ENOSPC when
# before an operation (odd).
error_lane() {
	k=$(($1 + 1))
	while [ "$k" -le "$P" ]; do
		fails "$k" EIO
		[ $((k % 2)) -eq 0 ] || fails "$k" ENOSPC
		k=$((k + $2))
	done
}

start=$(date +%s)
reference
lanes error_lane
echo "$P points with EIO, $((P / 2)) with ENOSPC: $(($(date +%s) - start)) s"
