# Shared helpers for the end-to-end tests.  Each test is a sh script that
# exits non-zero on failure; run-all counts them.
#
# A test waits for states, never for time: the machine is shared and
# noisy, so "sleep 1; kill" is a flaky test.  wait_for polls a condition
# (the manifest's counts, a lock holding a pid, workers at a row) and
# fails the test, saying what it waited for, when the state never comes.
# Every process a test starts in the background is tracked: the EXIT trap
# kills it and its children, so a failing test leaves nothing running.
set -u
: "${ROWPOOL:?set ROWPOOL to the binary under test}"
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/rowpool-e2e.XXXXXX")
TRACKED=
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# track PID...: the EXIT trap kills PID (a child of this shell) and all
# its descendants if PID still runs.
track() {
	TRACKED="$TRACKED $*"
}

# descendants PID: the pids of PID's children, theirs, and so on.
descendants() {
	for _d in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		echo "$_d"
		descendants "$_d"
	done
}

# A tracked pid that is no longer this shell's child has been reaped and
# may belong to someone else by now: it is left alone.  All are killed
# before any is waited for: the shell waits for a whole pipeline.
cleanup() {
	_mine=
	for _p in $TRACKED; do
		[ "$(ps -o ppid= -p "$_p" 2>/dev/null | tr -d ' ')" = "$$" ] &&
		    _mine="$_mine $_p $(descendants "$_p")"
	done
	[ -z "$_mine" ] || kill -KILL $_mine 2>/dev/null
	for _p in $TRACKED; do
		wait "$_p" 2>/dev/null
	done
	rm -rf "$T"
}

# alive PID: PID runs (a zombie has ended).
alive() {
	case $(ps -o stat= -p "$1" 2>/dev/null) in
	'' | *Z*) return 1 ;;
	esac
	return 0
}

# ended PID: PID has ended, or has never been.
ended() {
	! alive "$1"
}

# poll [-p PID] CMD...: runs CMD every 0.05 s until it succeeds.  Status
# 1, with the reason in POLL_WHY, when CMD has not succeeded within
# $WAIT_LIMIT seconds (30), or as soon as process PID has ended without it.
poll() {
	_pl_pid=
	if [ "$1" = -p ]; then
		_pl_pid=$2
		shift 2
	fi
	_pl_end=$(($(date +%s) + ${WAIT_LIMIT:-30}))
	POLL_WHY=
	until "$@"; do
		if [ -n "$_pl_pid" ] && ended "$_pl_pid"; then
			"$@" && return 0
			POLL_WHY="pid $_pl_pid ended"
			return 1
		fi
		if [ "$(date +%s)" -ge "$_pl_end" ]; then
			"$@" && return 0
			POLL_WHY="not within ${WAIT_LIMIT:-30} s"
			return 1
		fi
		sleep 0.05
	done
}

# wait_for [-p PID] DESC CMD...: polls CMD; fails the test naming DESC, the
# state it waited for, when the state never comes.
wait_for() {
	_wf_p=
	if [ "$1" = -p ]; then
		_wf_p="-p $2"
		shift 2
	fi
	_wf_desc=$1
	shift
	poll $_wf_p "$@" || fail "waiting for $_wf_desc: $POLL_WHY"
}

# manifest_field STATE KEY: prints the number KEY of the manifest in the
# state directory STATE; status 1 while there is no manifest yet.  sed, not
# Python, so that polling stays cheap: the manifest is one line of JSON,
# replaced whole (rename) at each checkpoint.
manifest_field() {
	_mf=$(sed -n "s/.*\"$2\": *\(-\{0,1\}[0-9][0-9]*\).*/\1/p" \
	    "$1/manifest" 2>/dev/null) && [ -n "$_mf" ] && echo "$_mf"
}

# rows_done_ge STATE N: the manifest in STATE counts at least N rows done.
rows_done_ge() {
	_rd=$(manifest_field "$1" rows_done) && [ "$_rd" -ge "$2" ]
}

# wait_rows_done [-p PID] STATE N: waits until the manifest in STATE
# counts at least N rows done (it is replaced at each checkpoint).
wait_rows_done() {
	if [ "$1" = -p ]; then
		wait_for -p "$2" "$4 rows done in $3/manifest" rows_done_ge "$3" "$4"
	else
		wait_for "$2 rows done in $1/manifest" rows_done_ge "$1" "$2"
	fi
}

# holds FILE TEXT: FILE (a lock, a pid file) holds exactly TEXT.
holds() {
	[ "$(cat "$1" 2>/dev/null)" = "$2" ]
}

# workers PID: the titles of PID's children that are rowpool workers, one a
# line, without the "rowpool: " ("worker: row 12", "worker: idle").
workers() {
	ps -o args= --ppid "$1" 2>/dev/null |
	    sed -n 's/^rowpool: \(worker: .*[^ .]\)[ .]*$/\1/p'
}

# workers_at PID N [TITLE]: PID has at least N workers whose whole title
# matches the basic regular expression TITLE (any worker by default).
workers_at() {
	[ "$(workers "$1" | grep -cx -- "${3:-worker: .*}")" -ge "$2" ]
}

# wchan_is PID PATTERN: PID sleeps in a kernel function matching the shell
# PATTERN (wait_for_partner: open(2) of a FIFO with no writer).
wchan_is() {
	case $(cat "/proc/$1/wchan" 2>/dev/null) in
	$2) return 0 ;;
	esac
	return 1
}

# gen_csv N FILE: a CSV of N rows with quoting, commas and newlines.
gen_csv() {
	python3 - "$1" "$2" <<'PY'
import csv, sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["id", "name", "note"])
    for i in range(n):
        w.writerow([str(i), "name %d" % i, 'a "quoted", multi\nline %d' % i if i % 7 == 0 else "plain %d" % i])
PY
}

# verify INPUT OUTPUT [FAILED_ROW...]: one line per row, in order, ok rows
# echo the input row, listed rows failed.
verify() {
	python3 "$HERE/verify.py" "$@" || fail "verify $*"
}

# expect_exit CODE CMD...: runs CMD, checks its exit status.
expect_exit() {
	want=$1
	shift
	"$@"
	got=$?
	[ "$got" -eq "$want" ] || fail "expected exit $want, got $got: $*"
}

# start_emulator [ARGS...]: starts scripts/fake-gemini on 127.0.0.1, sets
# EMU (its URL) and EMU_PID; the EXIT trap stops it.  It writes its port
# file once it listens.
start_emulator() {
	python3 "$HERE/../../scripts/fake-gemini" --port-file "$T/emu.port" \
	    "$@" >"$T/emu.out" 2>"$T/emu.err" &
	EMU_PID=$!
	track "$EMU_PID"
	poll -p "$EMU_PID" test -s "$T/emu.port" ||
	    fail "emulator did not start ($POLL_WHY): $(cat "$T/emu.err")"
	EMU="http://127.0.0.1:$(cat "$T/emu.port")"
}

# field LINE EXPR: evaluates a Python expression on the JSON line as r.
field() {
	python3 -c 'import json, sys; r = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}

# emu_stat EXPR: evaluates a Python expression on the emulator's stats as s.
emu_stat() {
	python3 -c 'import json, sys, urllib.request
s = json.load(urllib.request.urlopen(sys.argv[1] + "/_fake/stats"))
print(eval(sys.argv[2]))' "$EMU" "$1"
}

# emu_config JSON: changes the emulator's settings at run time.
emu_config() {
	python3 -c 'import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/_fake/config",
    data=sys.argv[2].encode(), method="POST",
    headers={"Content-Type": "application/json"})).read()' "$EMU" "$1" ||
	    fail "emulator config $1"
}

# emu_reset: clears the emulator's stats, attempt counts and quota windows.
emu_reset() {
	python3 -c 'import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/_fake/reset",
    data=b"", method="POST")).read()' "$EMU" || fail "emulator reset"
}
