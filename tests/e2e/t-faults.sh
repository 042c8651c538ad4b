# Faults injected into workers of the real binary: only row r is
# affected, the run completes, exit 1 when r ends failed.
. "$(dirname "$0")/lib.sh"
gen_csv 300 "$T/in.csv"
for f in crash:17 hang:17 garbage:17 oversized:17 exit:17 badjson:17; do
	kind=${f%%:*}
	rm -rf "$T/out.jsonl" "$T/out.jsonl.state"
	ROWPOOL_TEST_FAULT=$f "$ROWPOOL" run --processor echo -j 4 --timeout 1 --retries 2 -q \
	    -o "$T/out.jsonl" "$T/in.csv"
	rc=$?
	[ "$rc" -eq 1 ] || fail "$f: exit $rc"
	verify "$T/in.csv" "$T/out.jsonl" 17
	line=$(sed -n 18p "$T/out.jsonl")
	case $kind in
	crash) want='"kind":"crash","message":"worker killed by signal 11 (SIGSEGV)"' ;;
	hang) want='"kind":"timeout"' ;;
	exit) want='"kind":"crash","message":"worker exited with status 3"' ;;
	*) want='"kind":"protocol"' ;;
	esac
	echo "$line" | grep -qF "$want" || fail "$f: $line"
	echo "$line" | grep -qF '"attempts":3' || fail "$f attempts: $line"
done
# The failure summary names the count and the kinds.
rm -rf "$T/out.jsonl" "$T/out.jsonl.state"
ROWPOOL_TEST_FAULT=crash:3,crash:5 "$ROWPOOL" run --processor echo -j 2 --retries 0 \
    -o "$T/out.jsonl" "$T/in.csv" 2>"$T/err"
rc=$?
[ "$rc" -eq 1 ] || fail "crash:3,crash:5: exit $rc"
verify "$T/in.csv" "$T/out.jsonl" 3 5
for n in 4 6; do
	sed -n "${n}p" "$T/out.jsonl" | grep -qF '"attempts":1,"error":{"kind":"crash"' ||
	    fail "crash:3,crash:5: $(sed -n "${n}p" "$T/out.jsonl")"
done
grep -q "2 of 300 rows failed (this run: crash 2)" "$T/err" || fail "summary: $(cat "$T/err")"
