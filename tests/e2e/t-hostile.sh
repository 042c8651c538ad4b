# Hostile input stays inside its caps: a 1 GiB field, a million columns,
# NUL bytes, invalid UTF-8, CR-only line ends and JSONL nested 100,000
# deep.  Each bad row is a failed result of kind input naming its file and
# line (the line its record starts on), the rows around it are read right,
# and the supervisor's peak RSS (the log's "resources:" line) stays under
# 64 MiB whatever the input: the default --max-row-bytes (1 MiB) bounds
# what it holds.  The field is 1 GiB when the disk has room (1.5 GiB
# free), else as large as it has room for, and the test says so.
. "$(dirname "$0")/lib.sh"
MIB=1048576
RSS_CAP_KIB=65536
free_mib=$(($(df -Pk "$T" | awk 'NR == 2 { print $4 }') / 1024))
BIG_MIB=1024
if [ "$free_mib" -lt $((BIG_MIB + 512)) ]; then
	BIG_MIB=$((free_mib - 512))
	[ "$BIG_MIB" -ge 16 ] || fail "only $free_mib MiB free in $T"
	echo "only $free_mib MiB free in $T: the big field is $BIG_MIB MiB, not 1 GiB"
fi

python3 - "$T" "$BIG_MIB" <<'PY'
import os, sys
d, big = sys.argv[1], int(sys.argv[2])
def put(name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
# A quoted field of BIG MiB: quotes, commas and a line end in every MiB.
with open(os.path.join(d, "big.csv"), "wb") as f:
    f.write(b'a,b\n1,2\n3,"')
    chunk = b"x" * (1048576 - 4) + b'"",\n'
    for _ in range(big):
        f.write(chunk)
    f.write(b'"\n4,5\n6\n')
n = 1000000
put("wide.csv", b"a,b,c\n1,2,3\n" + b"," * (n - 1) + b"\n" +
    b",".join([b"x"] * n) + b"\n4,5,6\n7\n")
put("nul.csv", b"a,b\n1,2\nx\x00y,z\n3,4\n")
put("nul.jsonl", b'{"a":1}\n{"a":"x\x00y"}\n{"a":"x\\u0000y"}\n{"a":2}\n')
put("utf8.csv", b"a,b\n1,2\n\xff,z\n\xc0\xaf,z\n\xed\xa0\x80,z\nz,\xe2\x82\n3,4\n")
put("utf8.jsonl", b'{"a":1}\n{"a":"\xff"}\n{"\xc3(":1}\n{"a":2}\n')
put("cr.csv", b"a,b\r1,2\r3\r4,5\r\r6,7\r8\r")
put("cr.jsonl", b'{"a":1}\r{"a":2}\r{"a":3}\r')
deep = 100000
put("deep.jsonl", b'{"a":1}\n{"a":' + b"[" * deep + b"]" * deep + b"}\n" +
    b'{"a":' + b'{"b":' * deep + b"1" + b"}" * deep + b"}\n" + b'{"a":2}\n')
PY
[ $? -eq 0 ] || fail "cannot write the inputs"

# hostile FILE: runs FILE (exit 1: it has bad rows) and prints its peak
# RSS; fails past the cap.
hostile() {
	_t0=$(date +%s)
	expect_exit 1 "$ROWPOOL" run --processor echo -j 2 -q -o "$T/$1.out" "$T/$1" \
	    2>"$T/$1.err"
	_rss=$(sed -n 's/.*resources: .*peak rss \([0-9]*\) KiB.*/\1/p' \
	    "$T/$1.out.state/log")
	[ -n "$_rss" ] || fail "$1: no resources line in the log"
	echo "$1: peak rss $_rss KiB, $(($(date +%s) - _t0)) s"
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
row nul.jsonl 1 failed "2: *"
row nul.jsonl 2 failed "3: *"
row nul.jsonl 3 ok

hostile utf8.csv
row utf8.csv 1 failed "3: invalid UTF-8 in field 1"
row utf8.csv 2 failed "4: invalid UTF-8 in field 1"
row utf8.csv 3 failed "5: invalid UTF-8 in field 1"
row utf8.csv 4 failed "6: invalid UTF-8 in field 2"
row utf8.csv 5 ok
hostile utf8.jsonl
row utf8.jsonl 1 failed "2: *"
row utf8.jsonl 2 failed "3: *"
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
row cr.jsonl 0 failed "1: *"
[ "$(wc -l <"$T/cr.jsonl.out")" -eq 1 ] || fail "cr.jsonl: not 1 row"

hostile deep.jsonl
row deep.jsonl 0 ok
row deep.jsonl 1 failed "2: nested deeper than 1024 levels"
row deep.jsonl 2 failed "3: nested deeper than 1024 levels"
row deep.jsonl 3 ok
