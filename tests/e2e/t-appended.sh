# Appended input (issue 8): when only rows were appended to the input the
# state was made from, a rerun resumes and sends just the new rows (old
# rows would crash here if they were sent again); any other change, or
# an append to a last line without a line end, is refused with exit 65.
. "$(dirname "$0")/lib.sh"
gen_csv 30 "$T/in.csv"
run() { "$ROWPOOL" run --processor echo -j 3 -q -o "$T/out.jsonl" "$T/in.csv"; }
run || fail "first run"
verify "$T/in.csv" "$T/out.jsonl"
python3 - "$T/in.csv" <<'PY'
import csv, sys
with open(sys.argv[1], "a", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    for i in range(30, 45):
        w.writerow([str(i), "name %d" % i, "new %d" % i])
PY
faults=$(seq -s, -f 'crash:%g' 0 29)
ROWPOOL_TEST_FAULT=$faults run || fail "rerun after the append"
verify "$T/in.csv" "$T/out.jsonl"
grep -q "grew by .* bytes since the last run" "$T/out.jsonl.state/log" || fail "log: no growth"
grep -q "resuming: 30 of 45 rows done, 15 to do" "$T/out.jsonl.state/log" || fail "log: resuming"
grep -q '"rows_total": *45' "$T/out.jsonl.state/manifest" || fail "rows_total"

# A change before the end is refused.
sed -i 's/name 3,/name 3x,/' "$T/in.csv"
run 2>"$T/err"
[ $? -eq 65 ] || fail "changed input: exit"
grep -q "changed since the run" "$T/err" || fail "changed: $(cat "$T/err")"

# An append to a last line with no line end changes that row: refused.
printf 'a,b\n1,x' >"$T/noeol.csv"
"$ROWPOOL" run --processor echo -q -o "$T/n.jsonl" "$T/noeol.csv" || fail "noeol first"
printf '2\n3,y\n' >>"$T/noeol.csv"
"$ROWPOOL" run --processor echo -q -o "$T/n.jsonl" "$T/noeol.csv" 2>"$T/err"
[ $? -eq 65 ] || fail "noeol: exit"
grep -q "had no line end" "$T/err" || fail "noeol: $(cat "$T/err")"
