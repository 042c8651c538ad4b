# State directories made before the processors' options came from their
# tables (tests/data/state-v1, made by commit 8ba5837, one per command
# below: see its README) still resume: the settings each command makes
# now must equal, key by key, those their manifests hold, or the run
# stops with exit 65 naming the setting.  The runs are complete, so the
# resume sends no request (the endpoint is a closed port).
. "$(dirname "$0")/lib.sh"
D="$HERE/../data/state-v1"
cp "$D/in.csv" "$D/prompt.txt" "$D/system.txt" "$D/schema.json" "$T/"
cd "$T" || fail "cd"
EP=http://127.0.0.1:1
export GEMINI_API_KEY=test-key OPENAI_API_KEY=test-key
# resume NAME STATUS ARGS...: resumes a copy of state-v1/NAME.
resume() {
	name=$1 want=$2
	shift 2
	cp -R "$D/$name" "$T/$name.state"
	"$ROWPOOL" run "$@" -q -o "$T/$name.jsonl" --state "$T/$name.state" \
	    in.csv 2>"$T/err"
	rc=$?
	[ "$rc" -eq "$want" ] || fail "$name: exit $rc, not $want: $(cat "$T/err")"
	[ "$(wc -l <"$T/$name.jsonl")" -eq 3 ] || fail "$name: output"
}
resume echo 0 --processor echo
resume gemini-default 0 --endpoint $EP --prompt prompt.txt
resume gemini-all 0 --endpoint $EP --prompt prompt.txt --system system.txt \
    --schema schema.json --schema-dialect openapi --model gemini-2.5-pro \
    --temperature 0.5 --max-output-tokens 1000 --thinking-budget -1
resume gemini-thinking 0 --endpoint $EP --prompt prompt.txt \
    --thinking-budget 512 --temperature 1
resume openai-default 1 --processor openai --endpoint $EP/v1 \
    --prompt prompt.txt --system system.txt --schema schema.json \
    --temperature 0 --max-output-tokens 100
resume openai-model 0 --processor openai --model gemini-2.5-flash \
    --endpoint $EP/v1 --prompt prompt.txt --schema-dialect openapi
# The check is real: another value is refused, naming the setting.
cp -R "$D/gemini-thinking" "$T/changed.state"
"$ROWPOOL" run --endpoint $EP --prompt prompt.txt --thinking-budget 256 \
    --temperature 1 -q -o "$T/changed.jsonl" --state "$T/changed.state" \
    in.csv 2>"$T/err"
[ $? -eq 65 ] || fail "changed setting: exit"
grep -q "setting 'thinking_budget' changed" "$T/err" || fail "changed: $(cat "$T/err")"
