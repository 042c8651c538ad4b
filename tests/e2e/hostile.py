#!/usr/bin/env python3
"""tests/e2e/hostile.py DIR [BIG_MIB]: writes the hostile inputs into DIR.

Used by tests/e2e/t-hostile.sh (the behaviour) and scripts/bench/hostile
(the peak RSS figures).  Python 3 standard library only.

big.csv     a quoted field of BIG_MIB MiB (1024: 1 GiB) between good rows.
            The file is sparse: each MiB of the field is a 4 KiB block of
            'x', a doubled quote, a comma and a line end, then a hole that
            reads as NUL bytes, so a 1 GiB field takes about 8 MiB of disk.
            The row bound is checked before NUL bytes: the row is "larger
            than N bytes" whatever its bytes are.
wide.csv    a row of a million empty fields, one of a million "x".
nul.csv, nul.jsonl      a raw NUL in a field; a \\u0000 in JSON.
utf8.csv, utf8.jsonl    a stray byte, an overlong, a surrogate, a cut
            sequence.
cr.csv, cr.jsonl        bare CR line ends.
deep.jsonl  arrays and objects nested 100,000 deep.

Prints "big.csv: N MiB, M KiB on disk"; exits 1 when the file system
does not keep the holes (the field would take BIG_MIB MiB of disk).
"""
import os
import sys

MIB = 1 << 20
BLOCK = 4096


def put(d, name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def write_big(d, big):
    """big.csv: a,b / 1,2 / 3,"<big MiB>" / 4,5 / 6 (a row too short)."""
    path = os.path.join(d, "big.csv")
    head = b'a,b\n1,2\n3,"'
    block = b"x" * (BLOCK - 4) + b'"",\n'
    with open(path, "wb") as f:
        f.write(head)
        for i in range(big):
            f.seek(len(head) + i * MIB)
            f.write(block)
        f.seek(len(head) + big * MIB)
        f.write(b'"\n4,5\n6\n')
    disk_kib = os.stat(path).st_blocks // 2
    print("big.csv: %d MiB, %d KiB on disk" % (big, disk_kib))
    if disk_kib > 64 * 1024:
        sys.exit("hostile.py: %s keeps no holes: big.csv takes %d KiB of "
                 "disk; set TMPDIR to a file system that does (tmpfs, ext4)"
                 % (d, disk_kib))


def write_small(d):
    n = 1000000
    put(d, "wide.csv", b"a,b,c\n1,2,3\n" + b"," * (n - 1) + b"\n" +
        b",".join([b"x"] * n) + b"\n4,5,6\n7\n")
    put(d, "nul.csv", b"a,b\n1,2\nx\x00y,z\n3,4\n")
    put(d, "nul.jsonl",
        b'{"a":1}\n{"a":"x\x00y"}\n{"a":"x\\u0000y"}\n{"a":2}\n')
    put(d, "utf8.csv",
        b"a,b\n1,2\n\xff,z\n\xc0\xaf,z\n\xed\xa0\x80,z\nz,\xe2\x82\n3,4\n")
    put(d, "utf8.jsonl", b'{"a":1}\n{"a":"\xff"}\n{"\xc3(":1}\n{"a":2}\n')
    put(d, "cr.csv", b"a,b\r1,2\r3\r4,5\r\r6,7\r8\r")
    put(d, "cr.jsonl", b'{"a":1}\r{"a":2}\r{"a":3}\r')
    deep = 100000
    put(d, "deep.jsonl", b'{"a":1}\n{"a":' + b"[" * deep + b"]" * deep +
        b"}\n" + b'{"a":' + b'{"b":' * deep + b"1" + b"}" * deep + b"}\n" +
        b'{"a":2}\n')


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: hostile.py DIR [BIG_MIB]")
    d = sys.argv[1]
    write_big(d, int(sys.argv[2]) if len(sys.argv) == 3 else 1024)
    write_small(d)


if __name__ == "__main__":
    main()
