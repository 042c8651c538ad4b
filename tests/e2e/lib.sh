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
