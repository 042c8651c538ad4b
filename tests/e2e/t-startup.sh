# Start-up: five slow rows with -j 5 go to five workers at once, none
# queued behind another.  A row's latency_ms runs from dispatch to outcome,
# so a row queued behind a 1500 ms row would show 3000 ms or more.
. "$(dirname "$0")/lib.sh"
python3 -c 'print("name"); [print("r%d" % i) for i in range(5)]' >"$T/in.csv"
ROWPOOL_TEST_DELAY_MS=1500 "$ROWPOOL" run --processor echo -j 5 \
    -o "$T/out.jsonl" "$T/in.csv" || fail "exit $?"
verify "$T/in.csv" "$T/out.jsonl"
python3 - "$T/out.jsonl" <<'PY' || fail "a row waited behind another"
import json, sys
lat = [json.loads(l)["latency_ms"] for l in open(sys.argv[1])]
print("latency_ms:", lat)
sys.exit(0 if len(lat) == 5 and all(1500 <= x < 2900 for x in lat) else 1)
PY
