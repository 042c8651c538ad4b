# --syslog adds syslog(3) beside the log file: a run with it succeeds
# whether or not a syslog daemon listens (in a sandbox none does, and the
# lines are dropped without a word), and the log file is still written.
# Where we may (root, unshare -m), a private /dev with a listener at
# /dev/log shows what syslogd would get: ident rowpool[PID], facility
# user, levels info and warning, and nothing from the workers.  What
# reaches syslog at which level is tested in tests/unit/test_log.c too.
. "$(dirname "$0")/lib.sh"
if ! "$ROWPOOL" --help 2>&1 | grep -q -- '--syslog'; then
	echo "SKIP: --syslog is not an option of this build yet"
	exit 0
fi
gen_csv 200 "$T/in.csv"
"$ROWPOOL" run --processor echo -q -j 2 --syslog --log "$T/run.log" \
    -o "$T/out.jsonl" "$T/in.csv" >"$T/stdout" 2>"$T/stderr" ||
    fail "exit $?: $(cat "$T/stderr")"
[ -s "$T/stderr" ] && fail "stderr not empty: $(cat "$T/stderr")"
grep -q "200 rows in .*: 200 ok" "$T/run.log" || fail "summary not in the log file"
verify "$T/in.csv" "$T/out.jsonl"

if ! unshare -m true 2>/dev/null; then
	echo "SKIP: no unshare -m here: syslog lines not captured"
	exit 0
fi
cat >"$T/listen.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
s.settimeout(2)
with open(sys.argv[1], "w") as out:
    try:
        while True:
            out.write(s.recv(8192).decode(errors="replace") + "\n")
    except socket.timeout:
        pass
PY
head -1 "$T/in.csv" >"$T/empty.csv"
cat >"$T/ns.sh" <<NS
mount --make-rprivate / && mkdir "$T/dev" && mount --rbind /dev "$T/dev" &&
    mount -t tmpfs none /dev || exit 1
for n in null zero random urandom; do ln -s "$T/dev/\$n" /dev/\$n; done
ln -s /proc/self/fd /dev/fd
python3 "$T/listen.py" "$T/syslog" &
i=0
while [ ! -S /dev/log ] && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i + 1)); done
"$ROWPOOL" run --processor echo -q -j 3 --syslog --log "$T/run2.log" \
    -o "$T/out2.jsonl" "$T/in.csv" || exit 1
"$ROWPOOL" run --processor echo -q --syslog --log "$T/run3.log" \
    -o "$T/out3.jsonl" "$T/empty.csv" 2>/dev/null || exit 1
wait
NS
unshare -m sh "$T/ns.sh" || fail "run in a private /dev: exit $?"
[ -s "$T/syslog" ] || fail "nothing reached /dev/log"
# <14>: user.info, <12>: user.warning.
grep -q '^<14>.* rowpool\[[0-9]*\]: 200 rows in .*: 200 ok' "$T/syslog" ||
    fail "no user.info summary: $(cat "$T/syslog")"
grep -q '^<12>.* rowpool\[[0-9]*\]: ' "$T/syslog" ||
    fail "no user.warning line: $(cat "$T/syslog")"
n=$(grep -v '^$' "$T/syslog" | grep -cv '^<1[24]>[A-Z][a-z][a-z] .* rowpool\[[0-9]*\]: ')
[ "$n" -eq 0 ] || fail "$n lines not from rowpool at user.info/warning"
pids=$(grep -o 'rowpool\[[0-9]*\]' "$T/syslog" | sort -u | wc -l)
[ "$pids" -eq 2 ] || fail "lines from $pids processes, not the 2 supervisors"
