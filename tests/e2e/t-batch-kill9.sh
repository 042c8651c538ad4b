# kill -9 of a batch-mode run at each moment that matters (during an
# upload, after a create the run never heard back from, while polling,
# during a download) and at random moments, each followed by a rerun:
# in the end every row is in the output exactly once and no chunk was
# submitted twice (the emulator counts the creates of each display name).
. "$(dirname "$0")/batchlib.sh"
KILLS=${ROWPOOL_KILLS:-6}
SEED=${ROWPOOL_SEED:-$$}
echo "seed $SEED: ROWPOOL_SEED=$SEED replays the random kills"
ROWS=90
start_emulator --batch-delay-s 0.3
people "$ROWS" "$T/in.csv" 7='[[fake:500x1]]' 40='[[fake:batch-failedx1]]'

# killed_when DESC CONFIG KEY N: sets CONFIG, starts a run, kills it -9
# once the emulator's batch counter KEY reaches N, then undoes CONFIG.
killed_when() {
	emu_config "$2"
	brun_bg --wait --batch-rows 30 -q 2>>"$T/stderr"
	wait_for -p "$pid" "$1" batch_ge "$3" "$4"
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	[ $? -eq 137 ] || fail "$1: the run ended before its kill: $(tail -3 "$T/stderr")"
	emu_config '{"batch_upload_delay_s": 0, "batch_create_delay_s": 0,
	    "batch_download_delay_s": 0, "batch_delay_s": 0.3}'
	echo "killed $1"
}

killed_when "during an upload" '{"batch_upload_delay_s": 3600}' uploads_in_progress 1
killed_when "after a create, before its answer" '{"batch_create_delay_s": 3600}' creates 1
"$ROWPOOL" status "$T/out.jsonl" >/dev/null || fail "status after a kill"
killed_when "while polling" '{"batch_delay_s": 3600}' gets 2
killed_when "during a download" '{"batch_download_delay_s": 3600}' downloads_in_progress 1
[ ! -e "$T/out.jsonl" ] || fail "a killed run wrote the output"

# Random moments: a kill after 0 to 1.5 s.
k=0
while [ "$k" -lt "$KILLS" ]; do
	ms=$(awk -v s="$SEED" -v k="$k" 'BEGIN { srand(s * 100 + k); print int(rand() * 1500) }')
	brun_bg --wait --batch-rows 30 -q 2>>"$T/stderr"
	sleep "$(awk -v m="$ms" 'BEGIN { print m / 1000 }')"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	echo "random kill $k after $ms ms: exit $?"
	k=$((k + 1))
done
brun --wait --batch-rows 30 -q
rc=$?
[ "$rc" -eq 0 ] || fail "final run: exit $rc: $(tail -5 "$T/stderr")"
once "$ROWS"
row_is 7 ok - 2
[ "$(emu_batch 'b["submissions_max"]')" -eq 1 ] || \
    fail "a chunk submitted twice: $(emu_batch 'b["submissions"]')"
grep -q "found, already submitted" "$T/out.jsonl.state/log" || \
    fail "the batch created before the kill was not looked for"
[ "$(emu_batch 'b["lists"]')" -ge 1 ] || fail "no list before a create"
echo "creates $(emu_batch 'b["creates"]'), submissions max $(emu_batch 'b["submissions_max"]')"
ls "$T"/out.jsonl.state/batch-*.jsonl 2>/dev/null && fail "request files left"
exit 0
