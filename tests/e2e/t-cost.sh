# Cost (issue 8): each answer's usage, priced per the model (built-in
# gemini-2.5-flash, or --price-file), is summed in the manifest, said in
# the summary and shown by rowpool status; a bad price file is exit 78.
. "$(dirname "$0")/lib.sh"
start_emulator
export GEMINI_API_KEY=test-key
gen_csv 30 "$T/in.csv"
printf 'Classify {{name}}.\n' >"$T/prompt.txt"
shift_run() { name=$1; shift; "$ROWPOOL" run --endpoint "$EMU" \
    --prompt "$T/prompt.txt" -j 4 -o "$T/$name.jsonl" "$@" "$T/in.csv"; }
shift_run a 2>"$T/err" || fail "run: $(cat "$T/err")"
cost() { python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["cost_usd"])' "$T/$1.jsonl.state/manifest"; }
want=$(python3 - "$T/a.jsonl" <<'PY'
import json, sys
c = 0.0
for line in open(sys.argv[1]):
    u = json.loads(line)["usage"]
    c += (u["prompt_tokens"] * 0.30 + (u["output_tokens"] +
          u.get("thoughts_tokens", 0)) * 2.50) / 1e6
print(c)
PY
)
python3 -c 'import sys; a, b = float(sys.argv[1]), float(sys.argv[2])
sys.exit(0 if a > 0 and abs(a - b) < 1e-9 + b * 1e-6 else 1)' "$(cost a)" "$want" ||
    fail "cost $(cost a), want $want"
grep -q "estimated cost: \$0\.[0-9]* (gemini-2.5-flash" "$T/err" || fail "summary: $(cat "$T/err")"
"$ROWPOOL" status "$T/a.jsonl" | grep -q '^cost: *\$' || fail "status: no cost"

# Ten times the price, ten times the cost.
cat >"$T/prices.json" <<'P'
{"gemini-2.5-flash": {"input": 3.0, "output": 25.0}}
P
shift_run b --price-file "$T/prices.json" -q || fail "price file run"
python3 -c 'import sys; a, b = float(sys.argv[1]), float(sys.argv[2])
sys.exit(0 if abs(a - 10 * b) < 1e-9 + b * 1e-5 else 1)' "$(cost b)" "$want" ||
    fail "price file: $(cost b), want 10 x $want"
printf '{"gemini-2.5-flash": {"input": 3.0, "ouput": 25.0}}\n' >"$T/bad.json"
shift_run c --price-file "$T/bad.json" 2>"$T/err"
[ $? -eq 78 ] || fail "bad price file: exit"
grep -q "unknown key 'ouput'" "$T/err" || fail "bad price file: $(cat "$T/err")"
