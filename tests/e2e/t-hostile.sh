# Hostile input stays inside its caps: a 1 GiB field, a million columns,
# NUL bytes, invalid UTF-8, CR-only line ends and JSONL nested 100,000
# deep (the inputs: hostile.py).  Each bad row is a failed result of kind
# input naming its file and line (the line its record starts on), the rows
# around it are read right, the run exits 1, and the supervisor's peak RSS
# (the log's "resources:" line) stays under a generous 64 MiB whatever the
# input: the default --max-row-bytes (1 MiB) bounds what it holds.  The
# 1 GiB field is a sparse file (about 8 MiB of disk).  The peak RSS
# figures themselves: scripts/bench/hostile.
. "$(dirname "$0")/lib.sh"
MIB=1048576
RSS_CAP_KIB=65536
BIG_MIB=1024
python3 "$HERE/hostile.py" "$T" "$BIG_MIB" >/dev/null ||
    fail "cannot write the inputs"

# hostile FILE: runs FILE (exit 1: it has bad rows); fails when the
# supervisor's peak RSS passes the cap.  Built with ASan (make check
# SANITIZE=1), rowpool's freed memory waits in a quarantine of up to 256 MB
# before reuse: measured without, the figure is rowpool's again
# (ASAN_OPTIONS means nothing to a normal build).
hostile() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0 \
	    expect_exit 1 "$ROWPOOL" run --processor echo -j 2 -q \
	    -o "$T/$1.out" "$T/$1" 2>"$T/$1.err"
	_rss=$(sed -n 's/.*resources: .*peak rss \([0-9]*\) KiB.*/\1/p' \
	    "$T/$1.out.state/log")
	[ -n "$_rss" ] || fail "$1: no resources line in the log"
	[ "$_rss" -le "$RSS_CAP_KIB" ] ||
	    fail "$1: the supervisor's peak rss $_rss KiB passes $RSS_CAP_KIB"
}

# row FILE N STATUS [MESSAGE]: output line N+1 (row N) has STATUS; a
# failed row is of kind input, its message "FILE:" then MESSAGE (a shell
# pattern).
row() {
	_l=$(sed -n "$(($2 + 1))p" "$T/$1.out" | cut -c1-300)
	case $3 in
	ok) case $_l in
	    *'"status":"ok"'*) return ;;
	    esac ;;
	*) case $_l in
	    *"\"kind\":\"input\",\"message\":\"$T/$1:"$4\"*) return ;;
	    esac ;;
	esac
	fail "$1 row $2: want $3 $4, got: $_l"
}

hostile big.csv
lines=$((3 + BIG_MIB))
row big.csv 0 ok
row big.csv 1 failed "3: row larger than $MIB bytes"
row big.csv 2 ok
row big.csv 3 failed "$((lines + 2)): expected 2 fields, found 1"
sed -n 3p "$T/big.csv.out" | grep -q '"data":{"a":"4","b":"5"}' ||
    fail "big.csv: the row after the big field: $(sed -n 3p "$T/big.csv.out")"
rm -f "$T/big.csv"

hostile wide.csv
row wide.csv 0 ok
row wide.csv 1 failed "3: expected 3 fields, found 1000000"
row wide.csv 2 failed "4: row larger than $MIB bytes"
row wide.csv 3 ok
row wide.csv 4 failed "6: expected 3 fields, found 1"

hostile nul.csv
row nul.csv 1 failed "3: NUL byte in field 1"
row nul.csv 2 ok
hostile nul.jsonl
row nul.jsonl 1 failed "2: NUL byte at column 8"
row nul.jsonl 2 failed "3: invalid JSON at column 15: *"
row nul.jsonl 3 ok

hostile utf8.csv
row utf8.csv 1 failed "3: invalid UTF-8 in field 1"
row utf8.csv 2 failed "4: invalid UTF-8 in field 1"
row utf8.csv 3 failed "5: invalid UTF-8 in field 1"
row utf8.csv 4 failed "6: invalid UTF-8 in field 2"
row utf8.csv 5 ok
hostile utf8.jsonl
row utf8.jsonl 1 failed "2: invalid JSON at column 6: *"
row utf8.jsonl 2 failed "3: invalid JSON at column 2: *"
row utf8.jsonl 3 ok

# CSV takes a bare CR as a line end; JSONL does not (LF or CRLF), so a
# CR-only JSONL file is one bad line.
hostile cr.csv
row cr.csv 0 ok
row cr.csv 1 failed "3: expected 2 fields, found 1"
row cr.csv 2 ok
row cr.csv 3 ok
row cr.csv 4 failed "7: expected 2 fields, found 1"
[ "$(wc -l <"$T/cr.csv.out")" -eq 5 ] || fail "cr.csv: not 5 rows"
hostile cr.jsonl
row cr.jsonl 0 failed "1: invalid JSON at column 9: *"
[ "$(wc -l <"$T/cr.jsonl.out")" -eq 1 ] || fail "cr.jsonl: not 1 row"

hostile deep.jsonl
row deep.jsonl 0 ok
row deep.jsonl 1 failed "2: nested deeper than 1024 levels"
row deep.jsonl 2 failed "3: nested deeper than 1024 levels"
row deep.jsonl 3 ok
