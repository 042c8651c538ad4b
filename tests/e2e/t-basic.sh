# Echo over CSV and JSONL: one line per row, in order; with -q nothing at
# all on success (cron mails any output), without it a short summary.
. "$(dirname "$0")/lib.sh"
gen_csv 2000 "$T/in.csv"
"$ROWPOOL" run --processor echo -j 4 -q -o "$T/out.jsonl" "$T/in.csv" \
    >"$T/stdout" 2>"$T/stderr" || fail "exit $?"
[ -s "$T/stdout" ] && fail "stdout not empty"
[ -s "$T/stderr" ] && fail "stderr not empty with -q: $(cat "$T/stderr")"
"$ROWPOOL" run --processor echo -j 4 -o "$T/out.jsonl" "$T/in.csv" \
    >"$T/stdout" 2>"$T/stderr" || fail "exit $?"
[ -s "$T/stdout" ] && fail "stdout not empty"
grep -q "^rowpool: 2,000 rows in .*: 2,000 ok, 0 failed$" "$T/stderr" ||
    fail "no summary: $(cat "$T/stderr")"
verify "$T/in.csv" "$T/out.jsonl"
[ -f "$T/out.jsonl.state/manifest" ] || fail "no manifest"
grep -q '"ok":2000' "$T/out.jsonl.state/manifest" || fail "manifest counts"

python3 -c 'import json
for i in range(500): print(json.dumps({"i": i, "s": "x\u00e9" * (i % 5)}))' >"$T/in.jsonl"
"$ROWPOOL" run --processor echo -j 3 --worker-max-rows 1 -o "$T/j.jsonl" "$T/in.jsonl" || fail "jsonl exit $?"
verify "$T/in.jsonl" "$T/j.jsonl"

# Rerunning a finished run rewrites the same output.
cp "$T/out.jsonl" "$T/first.jsonl"
"$ROWPOOL" run --processor echo -j 4 -o "$T/out.jsonl" "$T/in.csv" || fail "rerun exit $?"
cmp "$T/first.jsonl" "$T/out.jsonl" || fail "rerun differs"
