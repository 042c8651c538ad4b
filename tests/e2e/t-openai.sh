# The OpenAI-compatible processor against the emulator's /chat/completions:
# same result shape, same taxonomy, Bearer key.
. "$(dirname "$0")/lib.sh"
start_emulator
printf 'name: {{name}}\nnote: {{note}}\n' >"$T/prompt.txt"
printf '{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}\n' >"$T/schema.json"
python3 -c 'import csv, sys
w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow(["name", "note"])
notes = {3: "[[fake:500x1]]", 4: "[[fake:400]]", 5: "[[fake:max-tokens]]"}
for i in range(10): w.writerow(["p%d" % i, notes.get(i, "x")])' >"$T/in.csv"
OPENAI_API_KEY=test-key "$ROWPOOL" run --processor openai --model gemini-2.5-flash \
    --endpoint "$EMU/v1" --prompt "$T/prompt.txt" --schema "$T/schema.json" \
    -j 3 --retries 1 -q -o "$T/out.jsonl" "$T/in.csv"
rc=$?
[ "$rc" -eq 1 ] || fail "exit $rc: $(cat "$T/out.jsonl")"
line=$(sed -n 1p "$T/out.jsonl")
[ "$(field "$line" 'r["status"], r["data"]["name"] != "", r["usage"]["total_tokens"] > 0')" = "('ok', True, True)" ] || fail "row 0: $line"
line=$(sed -n 4p "$T/out.jsonl")
[ "$(field "$line" 'r["status"], r["attempts"]')" = "('ok', 2)" ] || fail "row 3: $line"
line=$(sed -n 5p "$T/out.jsonl")
[ "$(field "$line" 'r["error"]["kind"], r["attempts"]')" = "('http', 1)" ] || fail "row 4: $line"
line=$(sed -n 6p "$T/out.jsonl")
[ "$(field "$line" 'r["error"]["kind"], r["attempts"]')" = "('truncated', 2)" ] || fail "row 5: $line"
# A wrong key stops the run: 77.
OPENAI_API_KEY=nope "$ROWPOOL" run --processor openai --endpoint "$EMU/v1" \
    --prompt "$T/prompt.txt" -o "$T/k.jsonl" "$T/in.csv" 2>/dev/null
rc=$?
[ "$rc" -eq 77 ] || fail "bad key exit $rc"
