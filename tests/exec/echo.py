#!/usr/bin/env python3
"""A CMD for rowpool's exec processor in tests: answers each row with the
row itself (as the echo processor does), and misbehaves on request:

  --crash R        dies by SIGSEGV on row R (after a line on stderr)
  --hang R         never answers row R
  --garbage R      answers row R with a line that is not JSON
  --long R         answers row R with a line of 70 MB (over the frame limit)
  --two-lines R    answers row R, and again
  --wrong-row R    answers row R as row R + 1
  --fail R:KIND[:retry|:final]  answers row R {"ok": false, "kind": KIND}
  --throttle R:FILE  answers row R {"ok": false, "kind": "rate_limited"}
                   once: while FILE does not exist (then makes it)
  --exit-after N   exits (status 0) after answering N rows
  --usage          adds "usage" to every answer
  --stderr         writes "seen row R in CWD" on stderr before answering
  --tag WORD       nothing: a word to find its processes by

The environment variable ECHO_OPTS adds options (split at spaces): a
fault that does not change the command, which is a setting of the run.
"""
import json
import os
import signal
import sys
import time


def main():
    args, opt = sys.argv[1:] + os.environ.get("ECHO_OPTS", "").split(), {}
    while args:
        name = args.pop(0)[2:]
        opt[name] = True if name in ("usage", "stderr") else args.pop(0)
    answered = 0
    for line in sys.stdin:
        row = json.loads(line)
        r = row.pop("row")
        if "stderr" in opt:
            print("seen row %d in %s" % (r, os.getcwd()), file=sys.stderr, flush=True)
        answer(opt, r, row)
        answered += 1
        if answered == int(opt.get("exit-after", -1)):
            return


def answer(opt, r, row):
    if str(r) == opt.get("crash"):
        print("about to crash on row %d" % r, file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGSEGV)
    if str(r) == opt.get("hang"):
        time.sleep(3600)
    out = {"ok": True, "data": row}
    if "usage" in opt:
        out["usage"] = {"prompt_tokens": 10, "output_tokens": 2}
    fail = opt.get("fail", "").split(":")
    if fail[0] == str(r):
        out = {"ok": False, "kind": fail[1], "message": "told to fail"}
        if len(fail) > 2:
            out["retry"] = fail[2] == "retry"
    throttle = opt.get("throttle", "").split(":", 1)
    if throttle[0] == str(r) and not os.path.exists(throttle[1]):
        open(throttle[1], "w").close()
        out = {"ok": False, "kind": "rate_limited", "message": "slow down"}
    if str(r) == opt.get("wrong-row"):
        out["row"] = r + 1
    text = json.dumps(out)
    if str(r) == opt.get("garbage"):
        text = "garbage, not JSON"
    if str(r) == opt.get("long"):
        text = '{"ok": true, "data": "' + "x" * 70000000 + '"}'
    if str(r) == opt.get("two-lines"):
        text += "\n" + text
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


main()
