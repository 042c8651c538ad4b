# Hygiene over 10,000 worker recycles (--worker-max-rows 1: a fresh
# worker per row): the supervisor's open files are the same after 1,000
# rows and after 9,999 (its files, and at most one channel a worker), its
# dead workers are reaped (never more zombies than workers at a time, and
# none once it waits), and every row is in the output.  The last row hangs
# so that the run is still there to look at after 9,999 recycles.
. "$(dirname "$0")/lib.sh"
N=${ROWPOOL_RECYCLES:-10000}
J=4
S="$T/out.jsonl.state"
awk -v n="$N" 'BEGIN { print "id,v"; for (i = 0; i < n; i++) print i ",x" i }' \
    >"$T/in.csv"
ROWPOOL_TEST_FAULT=hang:$((N - 1)) "$ROWPOOL" run --processor echo -j "$J" \
    --worker-max-rows 1 --batch-size 100 --grace 1 -q \
    -o "$T/out.jsonl" "$T/in.csv" 2>"$T/err" &
pid=$!
track "$pid"

# fds: the supervisor's open files but its worker channels (sockets),
# one a line; SOCKETS: how many channels.
fds() {
	SOCKETS=0
	for _f in /proc/"$pid"/fd/*; do
		_l=$(readlink "$_f") || continue
		case $_l in
		socket:*) SOCKETS=$((SOCKETS + 1)) ;;
		pipe:* | anon_inode:*) echo "${_f##*/} ${_l%%:*}" ;;
		*/manifest.tmp | "$S") ;;	# a checkpoint under way
		*) echo "${_f##*/} $_l" ;;
		esac
	done
}

# zombies: how many of the supervisor's children are zombies.
zombies() {
	ps -o stat= --ppid "$pid" | grep -c '^Z'
}

# progress AT: waits until the manifest counts AT rows done.  A fork costs
# milliseconds on a loaded machine, so the whole wait may take minutes:
# it fails only when no row is committed for WAIT_LIMIT seconds (30), or
# when the run ends.
progress() {
	_last=-1
	until rows_done_ge "$S" "$1"; do
		_now=$(manifest_field "$S" rows_done) || _now=0
		if [ "$_now" -ne "$_last" ]; then
			_last=$_now
			_stall=$(($(date +%s) + ${WAIT_LIMIT:-30}))
		fi
		alive "$pid" || fail "the run ended at $_now rows: $(cat "$T/err")"
		[ "$(date +%s)" -lt "$_stall" ] ||
		    fail "no row committed for ${WAIT_LIMIT:-30} s at $_now rows;" \
		    "$(zombies) zombie workers"
		sleep 0.2
	done
}

# sample AT: the supervisor's files at AT rows done, in $T/fds.AT; fails
# on more channels or zombies than workers.
sample() {
	progress "$1"
	fds >"$T/fds.$1"
	z=$(zombies)
	echo "at $1 rows done: $(($(wc -l <"$T/fds.$1") + SOCKETS)) fds" \
	    "($SOCKETS worker channels), $z zombies"
	[ "$SOCKETS" -le "$J" ] || fail "$SOCKETS channels for $J workers at $1 rows"
	[ "$z" -le "$J" ] || fail "$z zombie workers at $1 rows"
}

sample 1000
sample $((N - 1))
diff "$T/fds.1000" "$T/fds.$((N - 1))" ||
    fail "the supervisor's files changed between 1000 and $((N - 1)) rows"
# Only the hung row is left: every worker that ended has been reaped.
no_zombies() { [ "$(zombies)" -eq 0 ]; }
wait_for -p "$pid" "no zombie worker of pid $pid" no_zombies
kill -TERM "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 75 ] || fail "SIGTERM: exit $rc: $(cat "$T/err")"
"$ROWPOOL" run --processor echo -j "$J" -q -o "$T/out.jsonl" "$T/in.csv" ||
    fail "resume: exit $?"
verify "$T/in.csv" "$T/out.jsonl"
