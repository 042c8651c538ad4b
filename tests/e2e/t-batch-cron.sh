# Batch mode from cron: without --wait a run submits what is pending,
# collects what has ended, commits and exits 75 while batches run (the
# message says how many rows wait and since when); the same command later
# collects the rest and exits 0.  SIGTERM leaves the batches running;
# rowpool cancel cancels them, and a later run sends their rows again.
. "$(dirname "$0")/batchlib.sh"
start_emulator --batch-delay-s 3600
people 25 "$T/in.csv"
brun --batch-rows 10 2>"$T/err1"
rc=$?
[ "$rc" -eq 75 ] || fail "first run: exit $rc: $(cat "$T/err1")"
grep -q "25 rows wait in 3 batches submitted since 20" "$T/err1" || \
    fail "message: $(cat "$T/err1")"
[ "$(emu_batch 'b["creates"]')" -eq 3 ] || fail "creates"
"$ROWPOOL" status "$T/out.jsonl" >"$T/status"
[ "$(grep -c 'BATCH_STATE_PENDING, 10 rows, submitted' "$T/status")" -eq 2 ] || \
    fail "status: $(cat "$T/status")"
# Still running: the rerun polls each batch once and waits no more.
brun --batch-rows 10 -q 2>"$T/err2"
rc=$?
[ "$rc" -eq 75 ] || fail "second run: exit $rc"
[ "$(emu_batch 'b["gets"]')" -eq 3 ] || fail "gets: $(emu_batch 'b["gets"]')"
[ "$(emu_batch 'b["creates"]')" -eq 3 ] || fail "a batch submitted again"
[ ! -e "$T/out.jsonl" ] || fail "output before the end"
# They end: the next run collects them and finishes.
emu_config '{"batch_delay_s": 0}'
brun --batch-rows 10 -q
rc=$?
[ "$rc" -eq 0 ] || fail "third run: exit $rc"
once 25
row_is 24 ok - 1
[ "$(emu_batch 'b["submissions_max"]')" -eq 1 ] || fail "a chunk submitted twice"
# A finished run rerun writes the same output, sends nothing.
cp "$T/out.jsonl" "$T/first.jsonl"
n=$(emu_stat 's["requests_total"]')
brun --batch-rows 10 -q || fail "rerun of a finished run"
cmp "$T/first.jsonl" "$T/out.jsonl" || fail "rerun changed the output"
[ "$(emu_stat 's["requests_total"]')" -eq "$n" ] || fail "rerun sent requests"

# SIGTERM while --wait polls: exit 75, the batch still runs, none cancelled.
rm -rf "$T/out.jsonl" "$T/out.jsonl.state"
emu_reset
emu_config '{"batch_delay_s": 3600}'
brun_bg --wait --batch-rows 100 -q 2>"$T/err3"
wait_for -p "$pid" "a poll" batch_ge gets 1
kill -TERM "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 75 ] || fail "SIGTERM: exit $rc: $(cat "$T/err3")"
[ "$(emu_batch 'b["cancels"]')" -eq 0 ] || fail "SIGTERM cancelled a batch"
[ "$(emu_batch 'b["states"].get("PENDING", 0) + b["states"].get("RUNNING", 0)')" -eq 1 ] || \
    fail "the batch is not running: $(emu_batch 'b["states"]')"

# rowpool cancel: refused while a run holds the lock, then cancels.
brun_bg --wait --batch-rows 100 -q 2>/dev/null
wait_for -p "$pid" "a second poll" batch_ge gets 2
"$ROWPOOL" cancel "$T/out.jsonl" 2>"$T/err4"
rc=$?
[ "$rc" -eq 75 ] || fail "cancel under a run: exit $rc"
grep -q "a rowpool runs in" "$T/err4" || fail "cancel message: $(cat "$T/err4")"
kill -TERM "$pid"
wait "$pid"
"$ROWPOOL" cancel "$T/out.jsonl" >"$T/out4" || fail "cancel: exit $?"
grep -q "^cancelled batches/.* (batch 0, 25 rows)" "$T/out4" || fail "cancel said: $(cat "$T/out4")"
[ "$(emu_batch 'b["states"].get("CANCELLED", 0)')" -eq 1 ] || fail "not cancelled"
# The next run collects the cancelled batch and sends its rows again.
emu_config '{"batch_delay_s": 0}'
brun --wait --batch-rows 100 -q || fail "run after cancel: exit $?"
once 25
row_is 3 ok - 2
[ "$(emu_batch 'b["creates"]')" -eq 2 ] || fail "creates after cancel"
exit 0
