#!/usr/bin/env python3
"""verify.py INPUT OUTPUT [FAILED_ROW...]: checks a rowpool echo output.

Exactly one JSON line per input row, in input order; rows listed as failed
have status "failed", all others status "ok" with data equal to the row.
"""
import csv
import json
import sys


def rows(path):
    if path.endswith(".jsonl"):
        with open(path, encoding="utf-8-sig") as f:
            return [json.loads(line) for line in f if line.strip()]
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def main():
    inp, out = sys.argv[1], sys.argv[2]
    failed = {int(x) for x in sys.argv[3:]}
    want = rows(inp)
    with open(out, encoding="utf-8") as f:
        got = [json.loads(line) for line in f]
    if len(got) != len(want):
        sys.exit("%s: %d lines, want %d" % (out, len(got), len(want)))
    for i, (g, w) in enumerate(zip(got, want)):
        if g["row"] != i:
            sys.exit("line %d has row %r" % (i + 1, g["row"]))
        if i in failed:
            if g["status"] != "failed":
                sys.exit("row %d: want failed, got %r" % (i, g))
        elif g["status"] != "ok" or g["data"] != w:
            sys.exit("row %d: want ok %r, got %r" % (i, w, g))


main()
