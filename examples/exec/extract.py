#!/usr/bin/env python3
"""A CMD for rowpool's exec processor: a JSON row a line in, an answer out.
  rowpool run --processor exec -o out.jsonl resignations.csv -- ./extract.py"""
import json, sys
for line in sys.stdin:                   # end of file: the worker is done
    row = json.loads(line)               # {"row": 7, "Member": "...", ...}
    print("member: %s" % row["Member"], file=sys.stderr)  # to rowpool's log
    try:
        m, d, y = row["Resignation Date"].split("/")
        data = {"last_name": row["Member"].split()[-1],
                "date": "%s-%02d-%02d" % (y, int(m), int(d))}
        out = {"ok": True, "data": data}
    except (KeyError, ValueError, IndexError) as e:
        out = {"ok": False, "kind": "invalid_output", "message": repr(e), "retry": False}
    print(json.dumps(out), flush=True)   # one line, flushed: rowpool waits
