# The open-file limit: a soft limit too low for -j is raised silently; a
# hard limit too low runs the workers that fit, with one warning, and the
# output is complete; a limit with room for no worker stops with 71.
. "$(dirname "$0")/lib.sh"
gen_csv 300 "$T/in.csv"
run() { "$ROWPOOL" run --processor echo -j 60 -q "$@" "$T/in.csv"; }

(ulimit -n 40 && run -o "$T/a.jsonl") 2>"$T/a.err" || fail "hard 40: exit $?: $(cat "$T/a.err")"
verify "$T/in.csv" "$T/a.jsonl"
[ "$(wc -l <"$T/a.err")" -eq 1 ] || fail "hard 40: not one warning: $(cat "$T/a.err")"
grep -q "^rowpool: cannot start [0-9]* of 60 workers: Too many open files (the open-file limit, ulimit -n, is 40); running with [1-9][0-9]*: use fewer workers or raise the limit$" \
    "$T/a.err" || fail "hard 40: message: $(cat "$T/a.err")"

if [ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 200 ]; then
	(ulimit -Sn 40 && run -o "$T/b.jsonl") 2>"$T/b.err" || fail "soft 40: exit $?: $(cat "$T/b.err")"
	verify "$T/in.csv" "$T/b.jsonl"
	[ ! -s "$T/b.err" ] || fail "soft 40: $(cat "$T/b.err")"
fi

(ulimit -n 15 && run -o "$T/c.jsonl") 2>"$T/c.err"
rc=$?
[ "$rc" -eq 71 ] || fail "hard 15: exit $rc: $(cat "$T/c.err")"
grep -q "workers cannot start: Too many open files (the open-file limit, ulimit -n, is 15 and [0-9]* files are open); raise the limit" \
    "$T/c.err" || fail "hard 15: message: $(cat "$T/c.err")"
