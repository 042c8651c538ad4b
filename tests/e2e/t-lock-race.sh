# 100 launches of one command at once, on one state directory: exactly
# one runs; the 99 others exit 75 naming it: "in use by pid N", or, when
# one looks in the moment between the winner's flock and its pid written
# (libbsd's pidfile_open waits 100 ms for the pid: a loaded machine can
# take longer), "in use by another run (its pid not written yet)".  The
# one that runs finishes, and its output is right.  The launches wait
# behind a FIFO, then all go at once; the winner is stopped (SIGSTOP)
# once it holds the lock until the others have ended, so that none can
# come after it finished and run the finished run again.  Last, a lock
# held with no pid in it (flock(1)) gives that second message at once.
. "$(dirname "$0")/lib.sh"
N=100
gen_csv 500 "$T/in.csv"
mkfifo "$T/go"
i=0
pids=
while [ "$i" -lt "$N" ]; do
	(exec 3<"$T/go" && exec 3<&- &&
	    exec "$ROWPOOL" run --processor echo -j 2 -q \
	    -o "$T/out.jsonl" "$T/in.csv") >"$T/out.$i" 2>"$T/err.$i" &
	pids="$pids $!"
	track "$!"
	i=$((i + 1))
done
# at_fifo: every launch waits in open(2) of the FIFO (/proc read by the
# shell: a hundred cat or ps a poll would take seconds).
at_fifo() {
	for p in $pids; do
		_w=
		read -r _w 2>/dev/null <"/proc/$p/wchan"
		case $_w in
		wait_for_partner* | fifo_open*) ;;
		*) return 1 ;;
		esac
	done
}
wait_for "$N launches at the FIFO" at_fifo
exec 4>"$T/go"	# they all go
exec 4>&-
# winner: the lock holds the pid of one of the launches.
winner() {
	w=$(cat "$T/out.jsonl.state/lock" 2>/dev/null) || return 1
	case " $pids " in
	*" $w "*) return 0 ;;
	esac
	return 1
}
wait_for "a launch to hold the lock" winner
kill -STOP "$w"
lost=0
for p in $pids; do
	[ "$p" = "$w" ] && continue
	wait "$p"
	rc=$?
	[ "$rc" -eq 75 ] || fail "launch $p: exit $rc, not 75 (winner $w)"
	lost=$((lost + 1))
done
kill -CONT "$w"
wait "$w" || fail "the winner $w: exit $?"
TRACKED=	# all reaped: the EXIT trap need not look at a hundred pids
[ "$lost" -eq $((N - 1)) ] || fail "$lost launches lost, want $((N - 1))"
i=0
while [ "$i" -lt "$N" ]; do
	[ ! -s "$T/out.$i" ] || fail "launch $i wrote on stdout: $(cat "$T/out.$i")"
	i=$((i + 1))
done
BUSY="rowpool: state '$T/out.jsonl.state' is in use by"
NOPID="another run (its pid not written yet)"
cat "$T"/err.* | grep -Fvx -e "$BUSY pid $w" -e "$BUSY $NOPID" >"$T/others" &&
    fail "not all said 'in use by pid $w' (or by $NOPID):
$(cat "$T"/err.* | sort | uniq -c)"
[ "$(cat "$T"/err.* | wc -l)" -eq $((N - 1)) ] ||
    fail "want $((N - 1)) lines on stderr: $(cat "$T"/err.* | sort | uniq -c)"
verify "$T/in.csv" "$T/out.jsonl"
nopid=$(cat "$T"/err.* | grep -Fcx "$BUSY $NOPID")
echo "$N launches: $w ran, $lost exited 75 naming it ($nopid before its pid was written)"

# A lock taken (flock) by a process that writes no pid in it.
rm -rf "$T/out.jsonl" "$T/out.jsonl.state"
mkdir "$T/out.jsonl.state"
: >"$T/out.jsonl.state/lock"
flock -x "$T/out.jsonl.state/lock" sleep 600 &
track "$!"
held() { ! flock -n -x "$T/out.jsonl.state/lock" true; }
wait_for "flock(1) to hold the lock" held
expect_exit 75 "$ROWPOOL" run --processor echo -q -o "$T/out.jsonl" "$T/in.csv" \
    2>"$T/err.nopid"
[ "$(cat "$T/err.nopid")" = "$BUSY $NOPID" ] ||
    fail "a lock without a pid: $(cat "$T/err.nopid")"
