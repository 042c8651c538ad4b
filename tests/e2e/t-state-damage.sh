# The manifest is checked, not trusted (issue 6, items 10, 11, 17): every
# hand edit, a deleted manifest or journal is refused with exit 65 naming
# the field or the file, and nothing committed is thrown away; long
# prompts are kept as digests, and a changed one is named with a summary,
# never quoted whole.
. "$(dirname "$0")/lib.sh"
gen_csv 30 "$T/in.csv"
S="$T/out.jsonl.state"
run() { "$ROWPOOL" run --processor echo -q -o "$T/out.jsonl" "$T/in.csv" 2>"$T/err"; }
run || fail "first run"
cp "$S/manifest" "$T/manifest.good"
cp "$S/journal" "$T/journal.good"

# edit PYTHON WANT: applies PYTHON to the manifest m, expects exit 65 and
# WANT in the message, then puts the good state back.
edit() {
	python3 - "$S/manifest" "$1" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
exec(sys.argv[2])
open(sys.argv[1], "w").write(json.dumps(m))
PY
	run
	rc=$?
	[ "$rc" -eq 65 ] || fail "$1: exit $rc"
	grep -qF "$2" "$T/err" || fail "$1: $(cat "$T/err")"
	cmp -s "$S/journal" "$T/journal.good" || fail "$1: journal changed"
	cp "$T/manifest.good" "$S/manifest"
}
edit "m['rows_done'] = 5" "field 'rows_done' is not 'ok' plus 'failed'"
edit "m['rows_done'] = 5; m['ok'] = 5" "field 'rows_done' counts fewer rows than the journal holds"
edit "m['rows_done'] = 50; m['ok'] = 50; m['rows_total'] = None" "field 'rows_done' counts more rows"
edit "del m['journal_length']" "field 'journal_length' is missing"
edit "m['journal_length'] = '12'" "field 'journal_length' is not a count"
edit "m['journal_length'] = -1" "field 'journal_length' is not a count"
edit "m['journal_length'] = 10**9" "shorter than the 1000000000 committed"
edit "m['ok'] = 'x'" "field 'ok' is not a count"
edit "m['settings'] = 3" "field 'settings' is not an object"
edit "m['input'] = {}" "field 'input' has no fingerprint"
edit "m['rows_total'] = 2" "field 'rows_total' is less than"
edit "m['version'] = 'one'" "field 'version' is not a number"

# No manifest, but committed results: refused, not silently redone.
rm "$S/manifest"
run
[ $? -eq 65 ] || fail "no manifest: exit"
grep -q "journal holds [0-9]* bytes of results but there is no manifest" "$T/err" ||
    fail "no manifest: $(cat "$T/err")"
cmp -s "$S/journal" "$T/journal.good" || fail "no manifest: journal changed"
cp "$T/manifest.good" "$S/manifest"

# No journal: named as missing, not as a damaged record at offset 0.
mv "$S/journal" "$T/journal.moved"
run
[ $? -eq 65 ] || fail "no journal: exit"
grep -q "journal '.*' is missing, but the manifest says" "$T/err" ||
    fail "no journal: $(cat "$T/err")"
mv "$T/journal.moved" "$S/journal"
run || fail "restored state: $(cat "$T/err")"
verify "$T/in.csv" "$T/out.jsonl"

# A 600 KB prompt and a 600 KB system text: the manifest keeps digests.
start_emulator --lenient
export GEMINI_API_KEY=test-key
python3 -c "print('Say {{name}} ' + 'x' * 600000)" >"$T/prompt.txt"
python3 -c "print('sys ' + 'y' * 600000)" >"$T/system.txt"
llm() { "$ROWPOOL" run --endpoint "$EMU" --prompt "$T/prompt.txt" \
    --system "$T/system.txt" -q -o "$T/llm.jsonl" "$T/in.csv" 2>"$T/err"; }
llm || fail "big prompt: $(cat "$T/err")"
[ "$(wc -c <"$T/llm.jsonl.state/manifest")" -lt 4096 ] || fail "manifest holds the texts"
python3 -c "print('Say {{name}} ' + 'x' * 600001)" >"$T/prompt.txt"
llm
[ $? -eq 65 ] || fail "changed prompt: exit"
grep -q "setting 'prompt' (--prompt '$T/prompt.txt') changed (was 600014 bytes in 1 line, hash" "$T/err" ||
    fail "changed prompt: $(cat "$T/err")"
[ "$(wc -c <"$T/err")" -lt 1000 ] || fail "the message quotes the prompt"

# A template error names the prompt file.
printf 'Say {{nope}}\n' >"$T/bad.txt"
"$ROWPOOL" run --endpoint "$EMU" --prompt "$T/bad.txt" -q -o "$T/bad.jsonl" \
    "$T/in.csv" 2>"$T/err"
[ $? -eq 78 ] || fail "template: exit"
grep -q "prompt '$T/bad.txt': line 1, column 5: {{nope}} names no column" "$T/err" ||
    fail "template: $(cat "$T/err")"
