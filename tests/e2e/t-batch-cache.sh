# Batch mode with --cache: a row whose answer is in the cache (from an
# online run) is recorded "cached" and never goes in a batch; each ok
# result a batch returns (and a retry sent online) is stored under the
# online request's key, so a later online or batch run sends nothing;
# rows that make the same request each go in the batch (no waiting).
. "$(dirname "$0")/batchlib.sh"
start_emulator --batch-delay-s 0.2
unset ROWPOOL_CACHE
C=$T/cache
online() { "$ROWPOOL" run --endpoint "$EMU" --prompt "$T/prompt.txt" \
    --schema "$T/schema.json" -q --cache "$C" "$@"; }
gen() { emu_stat 's["by_endpoint"].get("generateContent", 0)'; }
count() { grep -c "$1" "$T/out.jsonl"; }

# An online run answers rows 0-5, into the cache.
people 6 "$T/in.csv"
online -o "$T/on.jsonl" "$T/in.csv" || fail "online run"
[ "$(gen)" -eq 6 ] || fail "online run: $(gen) requests"

# Batch mode over 12 rows: 0-5 from the cache, only 6-11 in a batch.
people 12 "$T/in.csv"
brun --wait --cache "$C" -q || fail "batch run: exit $?"
once 12
[ "$(count '"cached":true')" -eq 6 ] || fail "batch run: $(count '"cached":true') cached rows, want 6"
[ "$(count '"batch":true')" -eq 6 ] || fail "batch run: $(count '"batch":true') batch rows, want 6"
for i in 0 5; do
	field "$(sed -n "$((i + 1))p" "$T/out.jsonl")" 'r["cached"], "batch" in r' |
	    grep -qx '(True, False)' || fail "row $i not from the cache"
done
[ "$(emu_batch 'b["creates"]')" -eq 1 ] || fail "creates: $(emu_batch 'b["creates"]')"
[ "$(gen)" -eq 6 ] || fail "batch run: a row went online"
"$ROWPOOL" status --json "$T/out.jsonl" | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["cached"] == 6 and sum(b["rows"] for b in s["batches"]) == 6, s
' || fail "status: $("$ROWPOOL" status --json "$T/out.jsonl")"

# The batch's answers are in the cache, under the online keys: an online
# rerun and a batch rerun send nothing.
online --restart -o "$T/on.jsonl" "$T/in.csv" || fail "online rerun"
[ "$(gen)" -eq 6 ] || fail "online rerun: $(($(gen) - 6)) requests, want 0"
[ "$(grep -c '"cached":true' "$T/on.jsonl")" -eq 12 ] || fail "online rerun: not all cached"
grep -q '"batch"' "$T/on.jsonl" && fail "a cached answer says batch"
brun --wait --restart --cache "$C" -q || fail "batch rerun: exit $?"
once 12
[ "$(count '"cached":true')" -eq 12 ] || fail "batch rerun: not all cached"
[ "$(emu_batch 'b["creates"]')" -eq 1 ] || fail "batch rerun created a batch"

# Retries: one sent online (--batch-retry online) and one in a new batch,
# each stored as the request it was; then an online run sends nothing.
emu_reset
rm -rf "$T/out.jsonl" "$T/out.jsonl.state" "$C"
people 8 "$T/in.csv" 1='[[fake:batch-missing]]' 6='[[fake:500x1]]'
brun --wait --batch-rows 4 --batch-retry online --cache "$C" -q ||
    fail "online retries: exit $?"
once 8
[ "$(gen)" -eq 2 ] || fail "online retries: $(gen) online requests, want 2"
brun --wait --restart --cache "$C" -q || fail "batch retry: exit $?"
online --restart -o "$T/on.jsonl" "$T/in.csv" || fail "online after retries"
[ "$(gen)" -eq 2 ] || fail "online after retries: $(($(gen) - 2)) requests, want 0"

# Rows that make the same request each go in the batch; none waits.
emu_reset
rm -rf "$T/out.jsonl" "$T/out.jsonl.state" "$C"
printf 'name,note\nann,plain\nann,plain\nann,plain\nbob,plain\n' >"$T/in.csv"
brun --wait --cache "$C" -q || fail "same requests: exit $?"
once 4
[ "$(count '"batch":true')" -eq 4 ] || fail "same requests: not all in the batch"
exit 0
