# Processor options (their tables, issue 7): an option of another
# processor is a usage error that names whose it is; values are checked
# by type; required options and files are configuration errors.
. "$(dirname "$0")/lib.sh"
gen_csv 3 "$T/in.csv"
printf 'Say {{name}}\n' >"$T/p.txt"
run() { "$ROWPOOL" run -o "$T/o.jsonl" "$@" "$T/in.csv" 2>"$T/err"; }
says() { grep -qF -- "$1" "$T/err" || fail "wanted '$1', got: $(cat "$T/err")"; }

expect_exit 64 run --processor openai --endpoint x --prompt "$T/p.txt" --thinking-budget 5
says "rowpool: --thinking-budget is an option of the gemini processor, not openai"
says "Try 'rowpool --help'."
# Also when --processor comes after the option, or it is abbreviated.
expect_exit 64 run --think 5 --processor openai
says "--thinking-budget is an option of the gemini processor, not openai"
expect_exit 64 run --processor echo --prompt "$T/p.txt"
says "--prompt is an option of the gemini and openai processors, not echo"
expect_exit 64 run --processor echo --api-key-file "$T/key"
says "--api-key-file is an option of the gemini and openai processors, not echo"
expect_exit 64 run --prompt "$T/p.txt" --thinking-budget -2
says "--thinking-budget: '-2' is not a number from 0 to 1000000"
expect_exit 64 run --prompt "$T/p.txt" --schema-dialect yaml
says "--schema-dialect: 'yaml' is not json or openapi"
expect_exit 64 run --prompt "$T/p.txt" --temperature warm
says "--temperature: 'warm' is not a number"
expect_exit 64 run --processor openai --max-output-tokens 0
says "--max-output-tokens: '0' is not a number from 1 to 10000000"
expect_exit 64 run --nosuch 1
expect_exit 78 run --processor openai --prompt "$T/p.txt"
says "--endpoint URL is required by the openai processor"
expect_exit 78 run
says "--prompt FILE is required by the gemini processor"
expect_exit 78 run --prompt "$T/none.txt"
says "--prompt '$T/none.txt': No such file or directory"

# --help: the processors once, each one's options with their defaults.
"$ROWPOOL" --help >"$T/help" || fail "--help exit $?"
grep -q "^  gemini    .*(the default)$" "$T/help" || fail "processor list"
grep -q "^Options of the openai processor:$" "$T/help" || fail "openai section"
grep -q "^Options of the echo processor: none$" "$T/help" || fail "echo section"
grep -q "(default gpt-4o-mini)" "$T/help" || fail "openai's model default"
[ "$(grep -c -- "--thinking-budget N" "$T/help")" -eq 1 ] || fail "thinking-budget not gemini's only"
awk 'length > 79 { exit 1 }' "$T/help" || fail "--help wider than 79 columns"
