# 100 launches of one command at once, on one state directory: exactly
# one runs; the 99 others exit 75 naming its pid ("in use by pid N"); the
# one that runs finishes, and its output is right.  The launches wait
# behind a FIFO, then all go at once; the winner is stopped (SIGSTOP)
# once it holds the lock until the others have ended, so that none can
# come after it finished and run the finished run again.
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
cat "$T"/err.* | grep -Fvcx "rowpool: state '$T/out.jsonl.state' is in use by pid $w" \
    >"$T/others" && fail "not all said 'in use by pid $w':
$(cat "$T"/err.* | sort | uniq -c)"
[ "$(cat "$T"/err.* | wc -l)" -eq $((N - 1)) ] ||
    fail "want $((N - 1)) lines on stderr: $(cat "$T"/err.* | sort | uniq -c)"
verify "$T/in.csv" "$T/out.jsonl"
echo "$N launches: $w ran, $lost exited 75 naming it"
