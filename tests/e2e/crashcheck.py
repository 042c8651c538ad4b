#!/usr/bin/env python3
"""crashcheck.py: checks for t-crashpoints.sh and t-ioerrors.sh.

They read the log of ROWPOOL_TEST_IOLOG (src/io.c): one line per
operation that makes a file last, "N OP RESULT HOOK SIZE PATH [TO]".

  points LOG            the points of the run that wrote LOG: 2 per line
  op LOG N              line N of LOG, the N-th operation
  state LOG K STATE OUT COMMITTED REFLOG
                        after a run killed or failed at point K: the hook
                        acted at point K; the state in STATE and the
                        output OUT are what a power cut would keep (a
                        manifest renamed only once its temp file was
                        fsynced, naming no more of the journal than was
                        fdatasynced; an output renamed only once fsynced);
                        writes the committed records' payloads to
                        COMMITTED, one a line; notes when the run did
                        not do what the reference run (REFLOG) did
  nofsync LOG           after the failure the hook injected, no fsync of
                        the same file, and nothing but unlinks at all
  resumed OUT REF COMMITTED
                        OUT is REF byte for byte, latency_ms aside (both
                        set to 0), and holds every committed payload
                        unchanged, latency_ms included: committed rows
                        were not done again
  cycle K LOG REFLOG STATE OUT REF COMMITTED -- CMD... [-- CMD2...]
                        state (and nofsync after an injected failure),
                        the resume CMD (exit 0; or 65 naming --restart,
                        then CMD2 and "refused" printed), then resumed:
                        one interpreter for all (a point's cost)
"""
import json
import os
import re
import struct
import subprocess
import sys

SYNCS = ("fsync", "fdatasync", "fsync-dir")
REPLACES = 1 << 63


def fail(msg):
    sys.exit("crashcheck: " + msg)


def parse(path):
    ops = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            n, op, result, hook, size, rest = line.rstrip("\n").split(" ", 5)
            paths = rest.split(" ")
            ops.append({"n": int(n), "op": op, "result": result,
                        "hook": hook, "size": None if size == "-" else
                        int(size), "path": os.path.abspath(paths[0]),
                        "to": os.path.abspath(paths[1]) if len(paths) > 1
                        else None, "line": line.strip()})
    return ops


def done(o):
    """The operation took effect (the hook let it happen)."""
    return o["result"] == "ok"


def hooked(ops, k):
    """The operation the hook acted on at point k, checked."""
    acted = [o for o in ops if o["hook"] != "-"]
    if len(acted) != 1:
        fail("want one operation the hook acted on, got %d" % len(acted))
    o = acted[0]
    when = "before" if k % 2 else "after"
    if o["n"] != (k + 1) // 2 or not o["hook"].endswith("-" + when):
        fail("point %d: the hook acted on %r" % (k, o["line"]))
    return o


def last_rename_to(ops, path):
    for i in range(len(ops) - 1, -1, -1):
        if ops[i]["op"] == "rename" and ops[i]["to"] == path and done(ops[i]):
            return i
    return None


def fsynced_before(ops, i):
    """The file renamed by ops[i] was fsynced after its last write."""
    tmp = ops[i]["path"]
    for o in reversed(ops[:i]):
        if o["path"] != tmp:
            continue
        if o["op"] == "fsync" and done(o):
            return True
        if o["op"] == "write":
            return False
    return False


def journal_synced(ops, i, jpath):
    """The journal's size at its last good fdatasync before ops[i]."""
    for o in reversed(ops[:i]):
        if o["path"] == jpath and o["op"] == "fdatasync":
            return o["size"] if done(o) else 0
    return 0


def committed(jpath, length):
    """The payloads of the journal's records in [0, length)."""
    out = []
    with open(jpath, "rb") as f:
        data = f.read(length)
    off = 0
    while off < length:
        n, _crc, row = struct.unpack_from("<IIQ", data, off)
        out.append((row & ~REPLACES, data[off + 16:off + 16 + n]))
        off += 16 + n
    if off != length:
        fail("journal records end at %d, not at %d" % (off, length))
    return out


def check_manifest(ops, state):
    mpath = os.path.join(state, "manifest")
    if not os.path.exists(mpath):
        return 0
    with open(mpath, encoding="utf-8") as f:
        length = json.load(f)["journal_length"]
    i = last_rename_to(ops, mpath)
    if i is None:
        return length   # an earlier run's: checked by that run's check
    if not fsynced_before(ops, i):
        fail("manifest renamed before its temp file was fsynced: %r"
             % ops[i]["line"])
    synced = journal_synced(ops, i, os.path.join(state, "journal"))
    if length > synced:
        fail("manifest commits %d journal bytes, only %d fdatasynced "
             "before its rename" % (length, synced))
    return length


def check_output(ops, out):
    if not os.path.exists(out):
        return
    i = last_rename_to(ops, out)
    if i is not None and not fsynced_before(ops, i):
        fail("output '%s' renamed before it was fsynced" % out)


def same_ops(ops, ref, n):
    """The first n operations of two runs, by operation and file name
    (the runs may be in different directories; temp names are random)."""
    def key(o):
        name = "" if o["op"] == "fsync-dir" else os.path.basename(o["path"])
        return (o["op"], re.sub(r"\.rowpool-\w+$", "", name))
    return [key(o) for o in ops[:n]] == [key(o) for o in ref[:n]]


def cmd_state(log, k, state, out, dest, reflog):
    ops = parse(log)
    o = hooked(ops, int(k))
    if not same_ops(ops, parse(reflog), o["n"]):
        print("note: point %s: this run's operations differ from the "
              "reference run's (a checkpoint on time?)" % k, file=sys.stderr)
    length = check_manifest(ops, state)
    check_output(ops, os.path.abspath(out))
    recs = committed(os.path.join(state, "journal"), length) if length \
        else []
    last = {}
    for row, payload in recs:
        last[row] = payload
    with open(dest, "wb") as f:
        for row in sorted(last):
            f.write(last[row] + b"\n")


def cmd_nofsync(log):
    ops = parse(log)
    acted = [i for i, o in enumerate(ops) if o["hook"].startswith("fail")]
    if len(acted) != 1:
        fail("want one failed operation, got %d" % len(acted))
    bad = ops[acted[0]]
    for o in ops[acted[0] + 1:]:
        if o["op"] in SYNCS and o["path"] == bad["path"]:
            fail("%s again after a failed %r: %r" % (o["op"], bad["line"],
                                                     o["line"]))
        if o["op"] != "unlink":
            fail("the run went on after %r: %r" % (bad["line"], o["line"]))


def normal(data):
    return re.sub(rb'"latency_ms":[0-9]+', b'"latency_ms":0', data)


def cmd_resumed(out, ref, comm):
    with open(out, "rb") as f:
        got = f.read()
    with open(ref, "rb") as f:
        want = f.read()
    if normal(got) != normal(want):
        fail("output '%s' differs from the uninterrupted run's" % out)
    lines = set(got.split(b"\n"))
    with open(comm, "rb") as f:
        for line in f.read().split(b"\n"):
            if line and line not in lines:
                fail("a committed record is not in the output as it was "
                     "(the row was done again?): %r" % line[:200])


def resume(argv):
    """Runs argv with standard input from its start; (exit, stderr)."""
    try:
        os.lseek(0, 0, os.SEEK_SET)
    except OSError:
        pass
    p = subprocess.run(argv, stderr=subprocess.PIPE)
    return p.returncode, p.stderr.decode(errors="replace")


def cmd_cycle(k, log, reflog, state, out, ref, comm, *argv):
    """
    state (and nofsync after a failure), then the resume CMD (exit 0),
    then resumed.  "-- CMD [-- CMD2]": when CMD refuses (65) pointing at
    --restart, CMD2 runs instead (and prints "refused").
    """
    cmd_state(log, k, state, out, comm, reflog)
    if any(o["hook"].startswith("fail") for o in parse(log)):
        cmd_nofsync(log)
    argv = list(argv[1:])
    cmd2 = argv[argv.index("--") + 1:] if "--" in argv else None
    cmd = argv[:argv.index("--")] if cmd2 is not None else argv
    rc, err = resume(cmd)
    if rc == 65 and cmd2 is not None and "--restart" in err:
        print("refused")
        open(comm, "wb").close()
        rc, err = resume(cmd2)
    if rc != 0:
        fail("resume exit %d: %s" % (rc, err))
    cmd_resumed(out, ref, comm)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "cycle":
        try:
            cmd_cycle(*args)
        except SystemExit as e:
            sys.exit("point %s: %s" % (args[0], e))
        return
    if cmd == "points":
        print(2 * len(parse(args[0])))
    elif cmd == "op":
        print(parse(args[0])[int(args[1]) - 1]["line"])
    elif cmd == "state":
        cmd_state(*args)
    elif cmd == "nofsync":
        cmd_nofsync(*args)
    elif cmd == "resumed":
        cmd_resumed(*args)
    else:
        fail("unknown command %r" % cmd)


main()
