# Shared by t-crashpoints.sh and t-ioerrors.sh: the job whose every
# durable-I/O point they visit (the test hook in src/io.c), its
# uninterrupted reference run, and lanes that visit the points two at a
# time.  Sourced after lib.sh.

# The interpreter itself: a version manager's shim costs seconds a call.
PY=$(python3 -c 'import sys; print(sys.executable)')
CHECK="$PY $HERE/crashcheck.py"
gen_csv 8 "$T/in.csv"

# The job: 8 rows, checkpoints of 5 rows, so a full cycle is the first
# checkpoint (before any row), one at row 5, one at the end, the output,
# and the checkpoint after it.  The arguments are split on blanks (there
# are none in $T).
JOB="-q --processor echo --format csv -j 2 --batch-size 5"
run() {
	"$ROWPOOL" run $JOB -o "$OUT" "$@"
}

# lane_dirs I: the output and state of lane I (0: the reference's).
lane_dirs() {
	mkdir -p "$T/lane$1"
	OUT=$T/lane$1/out.jsonl
	S=$OUT.state
}

fresh() {
	rm -rf "$OUT" "$S" "$OUT".rowpool-*
}

# reference: runs the job uninterrupted: ref.jsonl, ref.log, its points
# in P, its state in finished.state.
reference() {
	lane_dirs 0
	fresh
	ROWPOOL_TEST_IOLOG=$T/ref.log run "$T/in.csv" || fail "reference run"
	verify "$T/in.csv" "$OUT"
	cp "$OUT" "$T/ref.jsonl"
	cp -a "$S" "$T/finished.state"
	P=$($CHECK points "$T/ref.log")
	[ "$(grep -c " fdatasync ok " "$T/ref.log")" -ge 2 ] &&
	    grep -q " rename ok - - .*rowpool-.* $OUT\$" "$T/ref.log" ||
	    fail "the reference run is not a full cycle: $(cat "$T/ref.log")"
}

# lanes FN: FN LANE NLANES in ROWPOOL_LANES (2) lanes at once, each in
# its own directory (lane_dirs); fails when one does.  FN visits the
# points LANE+1, LANE+1+NLANES...
lanes() {
	_n=${ROWPOOL_LANES:-2} _i=0 _pids=
	while [ "$_i" -lt "$_n" ]; do
		(lane_dirs $((_i + 1)) && "$1" "$_i" "$_n") &
		_pids="$_pids $!"
		track $!
		_i=$((_i + 1))
	done
	_bad=0
	for _p in $_pids; do
		wait "$_p" || _bad=1
	done
	[ "$_bad" -eq 0 ] || fail "$1: a lane failed"
}

# leftovers K: no temp file of the state is left after a resume.
leftovers() {
	[ ! -e "$S/manifest.tmp" ] && [ ! -e "$S/input.tmp" ] &&
	    [ ! -e "$S/settings.json.tmp" ] ||
	    fail "point $1: a temp file is left in $S: $(ls "$S")"
}
