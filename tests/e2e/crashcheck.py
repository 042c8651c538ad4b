#!/usr/bin/env python3
"""crashcheck.py crash|ioerr DIR: the driver of t-crashpoints.sh (crash)
and t-ioerrors.sh (ioerr).  DIR holds in.csv; $ROWPOOL is the binary.

The test hook in src/io.c counts the operations that make a file last
(write, fsync, fdatasync, rename, unlink, ftruncate, a directory's fsync);
the n-th has point 2n-1 just before it and 2n just after it.  With
ROWPOOL_TEST_IOLOG it logs one line per operation, "N OP RESULT HOOK SIZE
PATH [TO]"; ROWPOOL_TEST_CRASH=K kills the process at point K;
ROWPOOL_TEST_IOERR=K:ERR fails the operation with ERR there.

An uninterrupted reference run gives the points of a full cycle.  Then,
for every point K, in ROWPOOL_LANES (2) lanes at once, each in its own
directory:

  crash  the run is killed at K; what is on disk is what a power cut
         would keep (a manifest renamed only once its temp file was
         fsynced, naming no more journal than was fdatasynced; an output
         renamed only once fsynced);
  ioerr  the operation at K fails with EIO; and, before a write, an
         fsync, an fdatasync or a rename, with ENOSPC: exit 74 naming
         the error, the same state checks, no temp file left, and after
         the failure no fsync of that file again, and nothing at all but
         the removal of temp files: the data is never called durable
         after a failed fsync.

Then the resume finishes (exit 0), the output is byte-identical to the
reference's, latency_ms aside (a measurement: both set to 0), and every
row committed before the kill or the failure is there with its bytes
unchanged, latency_ms included: it was not done again.

The crash mode also runs a second cycle, from standard input with
--restart over a finished state, up to the journal's recovery (the
spooled input and --restart's unlinks; the rest is the first cycle's).
Its resume is the same command without --restart: it resumes, or refuses
(65) pointing at --restart, which then finishes.

One interpreter for the whole test: a Python start costs more here than
a run of rowpool.
"""
import json
import os
import queue
import re
import shutil
import struct
import subprocess
import sys
import threading
import time

SYNCS = ("fsync", "fdatasync", "fsync-dir")
REPLACES = 1 << 63
JOB = ["-q", "--processor", "echo", "--format", "csv", "-j", "2",
       "--batch-size", "5"]
MESSAGES = {"EIO": "Input/output error", "ENOSPC": "No space left on device"}
# The operations that can find the disk full (an unlink, a truncation
# to a shorter length cannot).
NOSPACE = ("write", "fsync", "fdatasync", "fsync-dir", "rename")
TEMPS = ("manifest.tmp", "settings.json.tmp", "input.tmp")


class Failed(Exception):
    pass


def fail(msg):
    raise Failed(msg)


# ---- the log ----

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
    """The operation took effect and said so."""
    return o["result"] == "ok" and not o["hook"].startswith("fail")


def hooked(ops, k):
    """The operation the hook acted on at point k, checked."""
    acted = [o for o in ops if o["hook"] != "-"]
    if len(acted) != 1:
        fail("want one operation the hook acted on, got %d" % len(acted))
    o = acted[0]
    when = "before" if k % 2 else "after"
    if o["n"] != (k + 1) // 2 or not o["hook"].endswith("-" + when):
        fail("the hook acted on %r" % o["line"])
    return o


def same_ops(ops, ref, n):
    """The first n operations of two runs, by operation and file name
    (the runs are in different directories; temp names are random)."""
    def key(o):
        name = "" if o["op"] == "fsync-dir" else os.path.basename(o["path"])
        return (o["op"], re.sub(r"\.rowpool-\w+$", "", name))
    return [key(o) for o in ops[:n]] == [key(o) for o in ref[:n]]


# ---- what a power cut would keep ----

def last_rename_to(ops, path):
    for i in range(len(ops) - 1, -1, -1):
        if ops[i]["op"] == "rename" and ops[i]["to"] == path and \
                ops[i]["result"] == "ok":
            return i
    return None


def fsynced_before(ops, i):
    """The file renamed by ops[i] was fsynced after its last write."""
    tmp = ops[i]["path"]
    for o in reversed(ops[:i]):
        if o["path"] != tmp:
            continue
        if o["op"] == "fsync":
            return done(o)
        if o["op"] == "write":
            return False
    return False


def journal_synced(ops, i, jpath):
    """The journal's size at its last good fdatasync before ops[i] (a
    failed one made nothing durable; what an earlier one did stays)."""
    for o in reversed(ops[:i]):
        if o["path"] == jpath and o["op"] == "fdatasync" and done(o):
            return o["size"]
    return 0


def committed(jpath, length):
    """The last payload of each row in the journal's [0, length)."""
    last = {}
    with open(jpath, "rb") as f:
        data = f.read(length)
    off = 0
    while off + 16 <= length:
        n, _crc, row = struct.unpack_from("<IIQ", data, off)
        last[row & ~REPLACES] = data[off + 16:off + 16 + n]
        off += 16 + n
    if off != length:
        fail("journal records end at %d, not at %d" % (off, length))
    return list(last.values())


def check_manifest(ops, state):
    """The manifest's committed journal length, checked against the log."""
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


def check_state(ops, state, out):
    """The state and output as a power cut would keep them; the payloads
    of the committed rows."""
    length = check_manifest(ops, state)
    if os.path.exists(out):
        i = last_rename_to(ops, out)
        if i is not None and not fsynced_before(ops, i):
            fail("output '%s' renamed before it was fsynced" % out)
    if length == 0:
        return []
    return committed(os.path.join(state, "journal"), length)


def check_stopped(ops):
    """After the injected failure: no fsync of the same file, and nothing
    but the removal of temp files."""
    acted = [i for i, o in enumerate(ops) if o["hook"].startswith("fail")]
    bad = ops[acted[0]]
    for o in ops[acted[0] + 1:]:
        if o["op"] in SYNCS and o["path"] == bad["path"]:
            fail("%s again after a failed %r: %r" % (o["op"], bad["line"],
                                                     o["line"]))
        if o["op"] != "unlink":
            fail("the run went on after %r: %r" % (bad["line"], o["line"]))


def no_temps(state, out):
    left = [os.path.join(state, t) for t in TEMPS
            if os.path.exists(os.path.join(state, t))]
    d, base = os.path.split(out)
    left += [os.path.join(d, f) for f in os.listdir(d)
             if f.startswith(base + ".rowpool-")]
    if left:
        fail("temp files left: %s" % " ".join(left))


def normal(data):
    return re.sub(rb'"latency_ms":[0-9]+', b'"latency_ms":0', data)


def check_resumed(out, ref, comm):
    with open(out, "rb") as f:
        got = f.read()
    if normal(got) != normal(ref):
        fail("output '%s' differs from the uninterrupted run's" % out)
    lines = set(got.split(b"\n"))
    for line in comm:
        if line not in lines:
            fail("a committed record is not in the output as it was "
                 "(the row was done again?): %r" % line[:200])


# ---- runs ----

class Cycle:
    """A job whose points are visited: its arguments, its standard input,
    how a lane's directory is set up, its reference log and points."""

    def __init__(self, name, args, stdin, setup):
        self.name, self.args, self.stdin, self.setup = name, args, stdin, \
            setup
        self.ref = None
        self.points = 0


class Sweep:
    def __init__(self, mode, top):
        self.mode, self.top = mode, top
        self.rowpool = os.environ["ROWPOOL"]
        self.input = os.path.join(top, "in.csv")
        self.lock = threading.Lock()
        self.failure = None
        self.refused = 0
        self.notes = 0

    def lane(self, i):
        d = os.path.join(self.top, "lane%d" % i)
        os.makedirs(d, exist_ok=True)
        out = os.path.join(d, "out.jsonl")
        return out, out + ".state"

    def run(self, cycle, out, env=None, args=None):
        """(exit, stderr) of rowpool run with the cycle's arguments."""
        argv = [self.rowpool, "run"] + JOB + ["-o", out] + \
            (cycle.args if args is None else args)
        stdin = open(self.input, "rb") if cycle.stdin else \
            subprocess.DEVNULL
        try:
            p = subprocess.run(argv, stdin=stdin, stderr=subprocess.PIPE,
                               env=dict(os.environ, **(env or {})))
        finally:
            if cycle.stdin:
                stdin.close()
        return p.returncode, p.stderr.decode(errors="replace")

    def fresh(self, out, state):
        shutil.rmtree(state, ignore_errors=True)
        d, base = os.path.split(out)
        for f in os.listdir(d):
            if f == base or f.startswith(base + ".rowpool-"):
                os.unlink(os.path.join(d, f))

    def restart_setup(self, out, state):
        self.fresh(out, state)
        shutil.copytree(self.finished, state, symlinks=True)
        shutil.copyfile(self.ref_out, out)

    def reference(self, cycle, log):
        out, state = self.lane(0)
        cycle.setup(out, state)
        rc, err = self.run(cycle, out, {"ROWPOOL_TEST_IOLOG": log})
        if rc != 0:
            fail("%s reference run: exit %d: %s" % (cycle.name, rc, err))
        cycle.ref = parse(log)
        cycle.points = 2 * len(cycle.ref)
        return out, state

    def references(self):
        self.file = Cycle("file", [self.input], False, self.fresh)
        out, state = self.reference(self.file, os.path.join(self.top,
                                                            "ref.log"))
        v = subprocess.run([sys.executable, os.path.join(
            os.path.dirname(__file__), "verify.py"), self.input, out])
        if v.returncode != 0:
            fail("the reference output is wrong")
        ops = [(o["op"], o["result"], o["path"], o["to"])
               for o in self.file.ref]
        if sum(1 for o in ops if o[0] == "fdatasync" and o[1] == "ok") < 2 \
                or not any(o[0] == "rename" and o[3] == out for o in ops):
            fail("the reference run is not a full cycle")
        self.ref_out = os.path.join(self.top, "ref.jsonl")
        shutil.copyfile(out, self.ref_out)
        self.finished = os.path.join(self.top, "finished.state")
        shutil.copytree(state, self.finished, symlinks=True)
        with open(self.ref_out, "rb") as f:
            self.ref_bytes = f.read()
        if self.mode != "crash":
            return [self.file]
        self.restart = Cycle("stdin --restart", ["--restart", "-"], True,
                             self.restart_setup)
        out, state = self.reference(self.restart, os.path.join(
            self.top, "ref2.log"))
        self.restart_points(state)
        return [self.file, self.restart]

    def restart_points(self, state):
        """Up to the journal's recovery: the rest is the file cycle's."""
        ops = self.restart.ref
        if not any(o["op"] == "unlink" and o["result"] == "ok" and
                   o["path"] == os.path.join(state, "journal")
                   for o in ops) or \
                not any(o["op"] == "rename" and o["result"] == "ok" and
                        o["path"] == os.path.join(state, "input.tmp")
                        for o in ops):
            fail("the --restart run does not spool or unlink")
        n = [i for i, o in enumerate(ops) if o["op"] == "ftruncate"]
        if not n:
            fail("the --restart run does not recover its journal")
        self.restart.points = 2 * (n[0] + 1)

    # ---- one point ----

    def hit(self, cycle, k, err, out, state):
        """The run stopped at point k; its log, checked."""
        log = "%s.%d.log" % (out, k)
        if os.path.exists(log):
            os.unlink(log)
        env = {"ROWPOOL_TEST_IOLOG": log}
        if err is None:
            env["ROWPOOL_TEST_CRASH"] = str(k)
        else:
            env["ROWPOOL_TEST_IOERR"] = "%d:%s" % (k, err)
        rc, msg = self.run(cycle, out, env)
        ops = parse(log)
        try:
            o = hooked(ops, k)
        except Failed as e:
            fail("%s (exit %d: %s)" % (e, rc, msg))
        if not same_ops(ops, cycle.ref, o["n"]):
            self.note("%s point %d: the operations differ from the "
                      "reference run's (a checkpoint on time?)"
                      % (cycle.name, k))
        if err is None and rc != -9:
            fail("exit %d, want a kill: %s" % (rc, msg))
        if err is not None:
            # First: a run that syncs again may well exit 0.
            check_stopped(ops)
            if rc != 74 or MESSAGES[err] not in msg:
                fail("exit %d, want 74 naming %s: %s" % (rc, err, msg))
        return ops

    def resume(self, cycle, out, comm):
        args = [a for a in cycle.args if a != "--restart"]
        rc, msg = self.run(cycle, out, args=args)
        if rc == 65 and "--restart" in cycle.args and "--restart" in msg:
            with self.lock:
                self.refused += 1
            comm = []
            rc, msg = self.run(cycle, out)
        if rc != 0:
            fail("resume: exit %d: %s" % (rc, msg))
        return comm

    def point(self, cycle, k, err, lane):
        out, state = self.lane(lane)
        cycle.setup(out, state)
        ops = self.hit(cycle, k, err, out, state)
        comm = check_state(ops, state, out)
        if err is not None:
            no_temps(state, out)
        comm = self.resume(cycle, out, comm)
        check_resumed(out, self.ref_bytes, comm)
        no_temps(state, out)    # the resume removes what the kill left

    def note(self, msg):
        with self.lock:
            self.notes += 1
            print("note: " + msg, file=sys.stderr)

    # ---- lanes ----

    def lane_main(self, lane, todo):
        while self.failure is None:
            try:
                cycle, k, err = todo.get_nowait()
            except queue.Empty:
                return
            try:
                self.point(cycle, k, err, lane)
            except Failed as e:
                op = cycle.ref[(k + 1) // 2 - 1]["line"] \
                    if (k + 1) // 2 <= len(cycle.ref) else "?"
                with self.lock:
                    self.failure = "%s point %d%s (%s): %s" % (
                        cycle.name, k, "" if err is None else " " + err,
                        op, e)

    def sweep(self, jobs):
        todo = queue.Queue()
        for j in jobs:
            todo.put(j)
        lanes = [threading.Thread(target=self.lane_main, args=(i + 1, todo))
                 for i in range(int(os.environ.get("ROWPOOL_LANES", "2")))]
        for t in lanes:
            t.start()
        for t in lanes:
            t.join()
        if self.failure is not None:
            fail(self.failure)


def jobs_of(mode, cycles):
    jobs = []
    for c in cycles:
        for k in range(1, c.points + 1):
            if mode == "crash":
                jobs.append((c, k, None))
                continue
            jobs.append((c, k, "EIO"))
            if k % 2 == 1 and c.ref[k // 2]["op"] in NOSPACE:
                jobs.append((c, k, "ENOSPC"))
    return jobs


def main():
    mode, top = sys.argv[1], sys.argv[2]
    start = time.monotonic()
    s = Sweep(mode, top)
    try:
        cycles = s.references()
        jobs = jobs_of(mode, cycles)
        s.sweep(jobs)
    except Failed as e:
        sys.exit("FAIL: %s" % e)
    what = ", ".join("%s: %d points" % (c.name, c.points) for c in cycles)
    print("%s: %s; %d runs stopped and resumed%s, %d notes, %.0f s" % (
        mode, what, len(jobs), ", %d resumes refused then --restart" %
        s.refused if mode == "crash" else "", s.notes,
        time.monotonic() - start))


main()
