# Shared helpers for the end-to-end tests.  Each test is a sh script that
# exits non-zero on failure; run-all counts them.
set -u
: "${ROWPOOL:?set ROWPOOL to the binary under test}"
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/rowpool-e2e.XXXXXX")
trap 'rm -rf "$T"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
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
# EMU (its URL) and EMU_PID; the EXIT trap stops it.
start_emulator() {
	python3 "$HERE/../../scripts/fake-gemini" --port-file "$T/emu.port" \
	    "$@" >"$T/emu.out" 2>"$T/emu.err" &
	EMU_PID=$!
	trap 'kill "$EMU_PID" 2>/dev/null; wait "$EMU_PID" 2>/dev/null; rm -rf "$T"' EXIT
	i=0
	while [ ! -s "$T/emu.port" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -s "$T/emu.port" ] || fail "emulator did not start: $(cat "$T/emu.err")"
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
    headers={"Content-Type": "application/json"})).read()' "$EMU" "$1"
}
