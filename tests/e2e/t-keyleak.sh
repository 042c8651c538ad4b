# The API key is nowhere rowpool writes or prints, in any form, when the
# server or a proxy quotes it back (literally, JSON-escaped, URL-encoded,
# HTML-escaped, cut where a message is cut), nor when an answer quotes it;
# the messages are kept with "[redacted]" in its place.  The supervisor
# and its workers dump no core.
. "$(dirname "$0")/lib.sh"
# Characters that URL-, JSON- and HTML-encode differently; "KEYLEAK" and
# "x9Zq" are pieces that no encoding changes, so grep finds any of them.
KEY='Qv7KEYLEAK/+=:&x9Zq'
start_emulator --key "$KEY"
printf '{{note}}\n' >"$T/prompt.txt"

# rows FILE NOTE...: a CSV with one row per note.
rows() {
	f=$1
	shift
	python3 - "$f" "$@" <<'PY'
import csv, sys
with open(sys.argv[1], "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["note"])
    for n in sys.argv[2:]:
        w.writerow([n])
PY
}

# no_leak FILE...: none holds the key or a piece of it.
no_leak() {
	for f in "$@"; do
		for piece in "$KEY" KEYLEAK x9Zq; do
			grep -aqF -- "$piece" "$f" &&
			    fail "'$piece' in $f: $(grep -aF -- "$piece" "$f")"
		done
	done
	return 0
}

# has ROW FIELD TEXT: the output's line for ROW has TEXT in its FIELD.
has() {
	line=$(sed -n "$(($1 + 1))p" "$T/$OUT")
	case "$(field "$line" "$2")" in
	*"$3"*) ;;
	*) fail "$OUT row $1: no '$3' in $2: $line" ;;
	esac
}

# The Gemini processor: every echo, then pads that put the key where
# the messages are cut (512 bytes, 80 for a page's title).
rows "$T/in.csv" "plain" "[[fake:400-echo-key]]" "[[fake:400-echo-key-url]]" \
    "[[fake:html-echo-key]]" "my key is $KEY" \
    "[[fake:400-echo-key pad=456]]" "[[fake:400-echo-key pad=465]]" \
    "[[fake:400-echo-key pad=471]]" "[[fake:400-echo-key-url pad=360]]" \
    "[[fake:400-echo-key-url pad=371]]" "[[fake:html-echo-key pad=12]]" \
    "[[fake:html-echo-key pad=20]]" "[[fake:html-echo-key pad=26]]"
GEMINI_API_KEY=$KEY "$ROWPOOL" run --endpoint "$EMU" --prompt "$T/prompt.txt" \
    -j 4 --retries 1 --timeout 10 -v -o "$T/out.jsonl" "$T/in.csv" \
    >"$T/stdout" 2>"$T/stderr"
rc=$?
[ "$rc" -eq 1 ] || fail "gemini: exit $rc: $(cat "$T/stderr")"
OUT=out.jsonl
has 0 'r["status"]' ok
has 1 'r["error"]["message"]' "API key [redacted] not valid"
has 2 'r["error"]["message"]' "generateContent?key=[redacted]&alt=json"
has 3 'r["error"]["message"]' "upstream refused x-goog-api-key: [redacted]"
has 4 'r["data"]["text"]' "my key is [redacted]"
no_leak "$T/out.jsonl" "$T/out.jsonl.state/journal" \
    "$T/out.jsonl.state/manifest" "$T/out.jsonl.state/log" "$T/stdout" \
    "$T/stderr"
grep -q "redacted" "$T/stderr" || fail "the log on stderr has no message"

# The OpenAI-compatible processor: the key in "Authorization: Bearer".
rows "$T/oa.csv" "plain" "[[fake:400-echo-key]]" "[[fake:400-echo-key-url]]" \
    "[[fake:html-echo-key]]" "my key is $KEY"
OPENAI_API_KEY=$KEY "$ROWPOOL" run --processor openai \
    --model gemini-2.5-flash --endpoint "$EMU/v1" --prompt "$T/prompt.txt" \
    -j 2 --retries 0 --timeout 10 -v -o "$T/oa.jsonl" "$T/oa.csv" \
    >"$T/stdout" 2>"$T/stderr"
rc=$?
[ "$rc" -eq 1 ] || fail "openai: exit $rc: $(cat "$T/stderr")"
OUT=oa.jsonl
has 1 'r["error"]["message"]' "API key [redacted] not valid"
has 2 'r["error"]["message"]' "generateContent?key=[redacted]&alt=json"
has 3 'r["error"]["message"]' "Authorization: Bearer [redacted]"
has 4 'r["data"]["text"]' "my key is [redacted]"
no_leak "$T/oa.jsonl" "$T/oa.jsonl.state/journal" "$T/oa.jsonl.state/log" \
    "$T/stdout" "$T/stderr"

# A refused key stops the run: what it prints says why, without the key.
rows "$T/auth.csv" "plain" "[[fake:401-echo-key]]"
GEMINI_API_KEY=$KEY "$ROWPOOL" run --endpoint "$EMU" --prompt "$T/prompt.txt" \
    -j 1 -o "$T/auth.jsonl" "$T/auth.csv" >"$T/stdout" 2>"$T/stderr"
rc=$?
[ "$rc" -eq 77 ] || fail "auth: exit $rc: $(cat "$T/stderr")"
grep -q "refused the key: .*x-goog-api-key: \[redacted\]" "$T/stderr" ||
    fail "auth: $(cat "$T/stderr")"
no_leak "$T/auth.jsonl.state/log" "$T/stdout" "$T/stderr"

# No core dumps: the supervisor and a worker, caught while a row waits
# (30 s at the emulator; --grace 0 ends the run at once after).
rows "$T/slow.csv" "[[fake:sleep=30000]]"
GEMINI_API_KEY=$KEY "$ROWPOOL" run --endpoint "$EMU" --prompt "$T/prompt.txt" \
    -j 1 --grace 0 -q -o "$T/slow.jsonl" "$T/slow.csv" 2>/dev/null &
pid=$!
track "$pid"
# A worker at its row has made itself undumpable and said READY.
wait_for -p "$pid" "a worker of pid $pid at row 0" workers_at "$pid" 1 "worker: row 0"
worker=$(ps -o pid= --ppid "$pid" | tr -d ' ')
[ -n "$worker" ] || fail "no worker"
for p in "$pid" "$worker"; do
	grep -Eq '^Max core file size +0 +0 ' "/proc/$p/limits" ||
	    fail "process $p: $(grep core "/proc/$p/limits")"
	# Undumpable: its /proc files belong to root (seen only by others).
	if [ "$(id -u)" -ne 0 ] && [ "$(stat -c %u "/proc/$p")" -ne 0 ]; then
		fail "process $p is dumpable"
	fi
done
kill -TERM "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 75 ] || fail "SIGTERM: exit $rc"
