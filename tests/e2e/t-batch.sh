# Batch mode with --wait against the emulator's Batch API: chunks of
# --batch-rows, every line through the online taxonomy and schema check,
# per-line errors and whole batches that fail or expire retried in a new
# batch (or online with --batch-retry online), every row exactly once,
# no chunk submitted twice, and "batch": true on the rows it answered.
. "$(dirname "$0")/batchlib.sh"
start_emulator --batch-delay-s 0.2
people 30 "$T/in.csv" 1='[[fake:500x1]]' 2='[[fake:400]]' 3='[[fake:blocked]]' \
    4='[[fake:schema-violation]]' 5='[[fake:batch-missing]]' \
    12='[[fake:batch-failedx1]]' 22='[[fake:batch-expiredx1]]'
brun --wait --batch-rows 10 --retries 2 -q
rc=$?
[ "$rc" -eq 1 ] || fail "exit $rc"
once 30
row_is 0 ok - 1
row_is 1 ok - 2		# an error line, then a new batch
row_is 2 failed http 1
row_is 3 failed blocked 1
row_is 4 failed invalid_output 3
row_is 5 failed http 3	# no line in the responses file, three times
row_is 12 ok - 2	# its first batch failed: all ten rows again
row_is 13 ok - 2
row_is 22 ok - 2	# expired
row_is 29 ok - 2
row_is 9 ok - 1
line=$(sed -n 1p "$T/out.jsonl")
[ "$(field "$line" 'r["batch"], r["usage"]["prompt_tokens"] > 0, sorted(r["data"])')" = \
    "(True, True, ['name', 'score'])" ] || fail "row 0: $line"
[ "$(emu_batch 'b["submissions_max"]')" -eq 1 ] || fail "a chunk submitted twice"
[ "$(emu_stat 's["by_endpoint"].get("generateContent", 0)')" -eq 0 ] || \
    fail "a row went online: $(emu_stat "s['by_endpoint']")"
# The state says what became of each batch.
"$ROWPOOL" status "$T/out.jsonl" >"$T/status" || fail "status"
grep -q '^batches: .* collected' "$T/status" || fail "status: $(cat "$T/status")"
"$ROWPOOL" status --json "$T/out.jsonl" >"$T/status.json" || fail "status --json"
python3 - "$T/status.json" <<'PY' || fail "status --json: $(cat "$T/status.json")"
import json, sys
s = json.load(open(sys.argv[1]))
b = s["batches"]
assert all(x["step"] == "collected" for x in b), b
assert any(x["state"] == "BATCH_STATE_FAILED" for x in b), b
assert any(x["state"] == "BATCH_STATE_EXPIRED" for x in b), b
assert sum(x["ok"] for x in b) == s["ok"] == 26, b
PY
ls "$T"/out.jsonl.state/batch-*.jsonl 2>/dev/null && fail "request files left"
grep -rq "test-key" "$T/out.jsonl" "$T/out.jsonl.state" && fail "key on disk"

# --batch-retry online: the rows to retry go online, as the requests they were.
emu_reset
rm -rf "$T/out.jsonl" "$T/out.jsonl.state"
people 12 "$T/in.csv" 1='[[fake:503x1]]' 7='[[fake:batch-missing]]'
brun --wait --batch-rows 5 --batch-retry online -q
rc=$?
[ "$rc" -eq 0 ] || fail "--batch-retry online: exit $rc"
once 12
row_is 1 ok - 2
row_is 7 ok - 2
[ "$(field "$(sed -n 2p "$T/out.jsonl")" 'r.get("batch", False)')" = False ] || \
    fail "an online answer marked batch"
[ "$(emu_stat 's["by_endpoint"].get("generateContent", 0)')" -eq 2 ] || \
    fail "online requests: $(emu_stat 's["by_endpoint"]')"
[ "$(emu_batch 'b["creates"]')" -eq 3 ] || fail "creates: $(emu_batch 'b["creates"]')"

# Online mode will not send rows a batch holds.
emu_config '{"batch_delay_s": 3600}'
rm -rf "$T/out.jsonl" "$T/out.jsonl.state"
expect_exit 75 brun -q
"$ROWPOOL" run --endpoint "$EMU" --prompt "$T/prompt.txt" --schema "$T/schema.json" \
    -o "$T/out.jsonl" "$T/in.csv" 2>"$T/err"
rc=$?
[ "$rc" -eq 64 ] || fail "online over live batches: exit $rc"
grep -q "not collected yet" "$T/err" || fail "message: $(cat "$T/err")"
exit 0
