"""Helpers shared by scripts/bench/latency and scripts/bench/quota.

The local emulator (scripts/fake-gemini) as a context manager, the
generated input, prompt and schema, and one rowpool run.  Python 3
standard library only.
"""
import csv
import json
import os
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
FAKE_GEMINI = os.path.join(TOP, "scripts", "fake-gemini")
KEY = "test-key"

PROMPT = """Extract the person in this record as JSON.
name: {{name}}
city: {{city}}
note: {{note}}
"""

SCHEMA = {"type": "object",
          "properties": {"name": {"type": "string"},
                         "city": {"type": "string"},
                         "score": {"type": "integer"}},
          "required": ["name", "city", "score"]}


def rowpool_path():
    return os.environ.get("ROWPOOL", os.path.join(TOP, "build", "rowpool"))


def die(msg):
    sys.exit("%s: %s" % (os.path.basename(sys.argv[0]), msg))


class Emulator:
    """scripts/fake-gemini on 127.0.0.1, any free port; stopped on exit."""

    def __init__(self, tmp, args, lifetime_s=3600):
        self.tmp = tmp
        self.args = list(args) + ["--lifetime-s", str(lifetime_s)]
        self.proc = None
        self.url = None

    def __enter__(self):
        port_file = os.path.join(self.tmp, "emu.port")
        self.err = open(os.path.join(self.tmp, "emu.err"), "w")
        self.proc = subprocess.Popen(
            [sys.executable, FAKE_GEMINI, "--port", "0",
             "--port-file", port_file] + self.args,
            stdout=subprocess.DEVNULL, stderr=self.err)
        for _ in range(200):
            if os.path.exists(port_file) and os.path.getsize(port_file):
                break
            if self.proc.poll() is not None:
                die("the emulator exited %d: see %s" % (self.proc.returncode,
                                                         self.err.name))
            time.sleep(0.05)
        else:
            die("the emulator did not start")
        with open(port_file) as f:
            self.url = "http://127.0.0.1:%d" % int(f.read())
        return self

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()

    def stats(self):
        with urllib.request.urlopen(self.url + "/_fake/stats") as r:
            return json.load(r)

    def reset(self):
        req = urllib.request.Request(self.url + "/_fake/reset", data=b"",
                                     method="POST")
        urllib.request.urlopen(req).read()


def write_inputs(tmp, rows, note="plain"):
    """rows.csv (name, city, note), prompt.txt and schema.json in tmp."""
    paths = {k: os.path.join(tmp, v) for k, v in
             (("input", "rows.csv"), ("prompt", "prompt.txt"),
              ("schema", "schema.json"))}
    cities = ["Lisbon", "Oslo", "Quito", "Hanoi", "Dakar", "Perth", "Lima"]
    with open(paths["input"], "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["name", "city", "note"])
        for i in range(rows):
            w.writerow(["person %d" % i, cities[i % len(cities)],
                        "%s %d" % (note, i)])
    with open(paths["prompt"], "w") as f:
        f.write(PROMPT)
    with open(paths["schema"], "w") as f:
        json.dump(SCHEMA, f)
    return paths


def run_rowpool(tmp, name, emu_url, paths, extra):
    """One rowpool run in a fresh state; returns (rc, wall s, results, stderr)."""
    out = os.path.join(tmp, name + ".jsonl")
    cmd = [rowpool_path(), "run", "--endpoint", emu_url,
           "--prompt", paths["prompt"], "--schema", paths["schema"],
           "-q", "-o", out] + list(extra) + [paths["input"]]
    env = dict(os.environ, GEMINI_API_KEY=KEY)
    t0 = time.monotonic()
    p = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - t0
    results = []
    if os.path.exists(out):
        with open(out) as f:
            results = [json.loads(line) for line in f]
    return p.returncode, wall, results, p.stderr


def outcome_counts(results):
    """'N ok, M failed (kind: n, ...)'."""
    kinds = {}
    for r in results:
        if r["status"] != "ok":
            k = r.get("error", {}).get("kind", "?")
            kinds[k] = kinds.get(k, 0) + 1
    ok = sum(r["status"] == "ok" for r in results)
    s = "%d ok, %d failed" % (ok, len(results) - ok)
    if kinds:
        s += " (%s)" % ", ".join("%s: %d" % kv for kv in sorted(kinds.items()))
    return s


def verdict(ok):
    return "PASS" if ok else "MISS"
