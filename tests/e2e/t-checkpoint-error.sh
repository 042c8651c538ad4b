# A write error in the checkpoint path keeps the last good checkpoint and
# exits 74 naming the file and the step; the next run resumes from it.
. "$(dirname "$0")/lib.sh"
gen_csv 20000 "$T/in.csv"
(
	trap '' XFSZ
	ulimit -f 400	# 400 KiB: the journal outgrows it
	exec "$ROWPOOL" run --processor echo -j 2 -o "$T/out.jsonl" "$T/in.csv"
) 2>"$T/err"
rc=$?
[ "$rc" -eq 74 ] || fail "exit $rc: $(cat "$T/err")"
grep -q "checkpoint '.*journal': write: File too large" "$T/err" || fail "message: $(cat "$T/err")"
"$ROWPOOL" run --processor echo -j 2 -o "$T/out.jsonl" "$T/in.csv" || fail "resume exit $?"
verify "$T/in.csv" "$T/out.jsonl"
