# The response cache (issue 11): rows that render to the same request are
# sent once within a run; a rerun of a finished job with --restart --cache
# sends no request at all; another job over overlapping rows sends only
# the requests not seen before; hits are "cached": true, counted by status;
# the API key is nowhere in the cache; concurrent runs and kill -9 leave
# it whole; --cache-max-bytes bounds it.  The emulator counts requests.
. "$(dirname "$0")/lib.sh"
KEY='sk-CACHEKEY-7f3Qz9'
start_emulator --key "$KEY"
export GEMINI_API_KEY="$KEY"
unset ROWPOOL_CACHE
C=$T/cache
printf 'Classify {{name}}.\n' >"$T/prompt.txt"

# names FILE NAME...: a CSV with an id and a name per row.
names() {
	f=$1
	shift
	python3 - "$f" "$@" <<'PY'
import csv, sys
with open(sys.argv[1], "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["id", "name"])
    for i, n in enumerate(sys.argv[2:]):
        w.writerow([i, n])
PY
}
requests() { emu_stat 's["requests_total"]'; }
# cached OUT: the number of lines of OUT marked "cached": true.
cached() { grep -c '"cached":true' "$1"; }
run() { out=$1; shift; "$ROWPOOL" run --endpoint "$EMU" --prompt "$T/prompt.txt" \
    -j 4 -q -o "$T/$out" "$@"; }

# 31 rows, 11 distinct requests (the key itself is one row's name: its
# answer quotes it, redacted before it is stored).
set --
for i in $(seq 0 29); do set -- "$@" "n$((i % 10))"; done
names "$T/a.csv" "$@" "$KEY"
run a.jsonl --cache "$C" "$T/a.csv" || fail "first run"
[ "$(requests)" -eq 11 ] || fail "first run: $(requests) requests, want 11 (one per distinct request)"
[ "$(cached "$T/a.jsonl")" -eq 20 ] || fail "first run: $(cached "$T/a.jsonl") cached rows, want 20"
"$ROWPOOL" status "$T/a.jsonl" | grep -qx 'cache: *20 rows answered from the response cache' ||
    fail "status: $("$ROWPOOL" status "$T/a.jsonl")"
[ "$("$ROWPOOL" status --json "$T/a.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["cached"])')" = 20 ] ||
    fail "status --json: no cached 20"
grep -raF -- "CACHEKEY" "$C" && fail "the API key is in the cache"
grep -q '\[redacted\]' "$T/a.jsonl" || fail "the row holding the key was not redacted"
[ -z "$(find "$C" -name '.tmp-*')" ] || fail "temp files left in the cache"

# The same job again from scratch: not one request.
cp "$T/a.jsonl" "$T/a1.jsonl"
run a.jsonl --cache "$C" --restart "$T/a.csv" 2>"$T/err" || fail "rerun: $(cat "$T/err")"
[ "$(requests)" -eq 11 ] || fail "rerun --restart --cache: $(($(requests) - 11)) requests, want 0"
[ "$(cached "$T/a.jsonl")" -eq 31 ] || fail "rerun: not every row cached"
python3 - "$T/a1.jsonl" "$T/a.jsonl" <<'PY' || fail "rerun: other answers"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert [r["data"] for r in a] == [r["data"] for r in b]
assert all("usage" not in r and r["attempts"] == 0 for r in b)
assert all(r["model_version"] for r in b)
PY
run a.jsonl --cache "$C" --restart "$T/a.csv" 2>"$T/err"
grep -q "cache: 31 rows answered from" "$T/err" && fail "-q printed the summary"
"$ROWPOOL" run --endpoint "$EMU" --prompt "$T/prompt.txt" -o "$T/a2.jsonl" \
    --cache "$C" "$T/a.csv" 2>"$T/err" || fail "rerun with a summary"
grep -q "cache: 31 rows answered from '$C', no request sent for them" "$T/err" ||
    fail "summary: $(grep cache: "$T/err")"

# Another job over overlapping rows (ROWPOOL_CACHE sets the cache): only
# the 5 names not seen before are sent.
names "$T/b.csv" n5 n6 n7 n8 n9 n10 n11 n12 n13 n14
ROWPOOL_CACHE=$C run b.jsonl "$T/b.csv" || fail "overlapping job"
[ "$(requests)" -eq 16 ] || fail "overlapping job: $(($(requests) - 11)) requests, want 5"
[ "$(cached "$T/b.jsonl")" -eq 5 ] || fail "overlapping job: cached rows"
# --cache none turns the variable off.
ROWPOOL_CACHE=$C run b.jsonl --cache none --restart "$T/b.csv" || fail "--cache none"
[ "$(requests)" -eq 26 ] || fail "--cache none: $(($(requests) - 16)) requests, want 10"

# A prompt changed: a --restart pays for the new requests only, once.
printf 'Sort {{name}}.\n' >"$T/prompt.txt"
run b.jsonl --cache "$C" --restart "$T/b.csv" || fail "changed prompt"
[ "$(requests)" -eq 36 ] || fail "changed prompt: $(($(requests) - 26)) requests, want 10"

# Two runs at once over the same new requests, then one more: both end
# ok, the cache holds whole entries only, and the third sends nothing.
printf 'Rank {{name}}.\n' >"$T/prompt.txt"
run c1.jsonl --cache "$C" "$T/a.csv" & p1=$!
run c2.jsonl --cache "$C" "$T/a.csv" & p2=$!
track $p1 $p2
wait $p1 || fail "concurrent run 1"
wait $p2 || fail "concurrent run 2"
n=$(requests)
[ "$n" -ge 47 ] && [ "$n" -le 58 ] || fail "concurrent runs: $((n - 36)) requests, want 11 to 22"
run c3.jsonl --cache "$C" --restart "$T/a.csv" || fail "after concurrent runs"
[ "$(requests)" -eq "$n" ] || fail "after concurrent runs: requests sent"
[ -z "$(find "$C" -name '.tmp-*')" ] || fail "temp files left in the cache"
grep -raF -- "CACHEKEY" "$C" && fail "the API key is in the cache"

# The echo processor caches too; kill -9 in the middle, resume: each row
# exactly once, and the rerun finds every answer.
gen_csv 200 "$T/e.csv"
E="--processor echo --cache $T/ecache -j 2"
ROWPOOL_TEST_DELAY_MS=20 "$ROWPOOL" run $E -o "$T/e.jsonl" "$T/e.csv" 2>/dev/null &
pid=$!
track $pid
wait_rows_done -p $pid "$T/e.jsonl.state" 40
kill -KILL $pid
wait $pid 2>/dev/null
"$ROWPOOL" run $E -q -o "$T/e.jsonl" "$T/e.csv" || fail "echo resume"
verify "$T/e.csv" "$T/e.jsonl"
"$ROWPOOL" run $E -q --restart -o "$T/e.jsonl" "$T/e.csv" || fail "echo rerun"
verify "$T/e.csv" "$T/e.jsonl"
[ "$(cached "$T/e.jsonl")" -eq 200 ] || fail "echo rerun: $(cached "$T/e.jsonl") of 200 cached"

# --cache-max-bytes: the ledger stays under the bound and exact.
"$ROWPOOL" run --processor echo --cache "$T/small" --cache-max-bytes 6K -q \
    -o "$T/s.jsonl" "$T/e.csv" || fail "bounded cache"
size=$(cat "$T/small/size")
[ "$size" -le 6144 ] || fail "cache size $size above --cache-max-bytes"
have=$(find "$T/small" -path '*/[0-9a-f][0-9a-f]/*' -type f ! -name '.tmp-*' -exec cat {} + | wc -c)
[ "$have" -eq "$size" ] || fail "ledger $size, entries $have bytes"
exit 0
