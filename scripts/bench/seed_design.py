#!/usr/bin/env python3
"""scripts/bench/seed_design.py: the Python design rowpool replaces, for comparison.

A faithful reimplementation of the "parallel batch processing" design in
scripts/bench/parallel-batch-processing.txt, talking to the same
Gemini endpoint (normally scripts/fake-gemini) with the same request as
rowpool's gemini processor:

  - the rows are split into batches of BATCH_SIZE = 10;
  - per batch, a ThreadPoolExecutor(max_workers=10); every row of the
    batch is submitted, results are collected with as_completed();
  - after each batch ALL results so far are rewritten to the checkpoint
    file (json.dump of the whole list);
  - time.sleep(RATE_LIMIT_DELAY = 0.5) between batches;
  - each row: POST {endpoint}/v1beta/models/{model}:generateContent with
    urllib.request and the x-goog-api-key header, up to MAX_RETRIES = 3
    retries after a failed attempt (retried at once: the seed describes
    no backoff).

The request body is the one rowpool sends: the rendered prompt as the
user content, generationConfig with thinkingBudget 0 and, with --schema,
responseMimeType application/json plus responseJsonSchema.  Each row's
latency_ms is, as in rowpool's results, the last attempt's time.

Not a test: it prints its wall time and a summary of the per-row
latencies, and with --json FILE writes them for a caller
(scripts/bench/latency).

Usage: GEMINI_API_KEY=test-key scripts/bench/seed_design.py
       --endpoint http://127.0.0.1:PORT --input rows.csv --prompt prompt.txt
       [--schema schema.json] [--out results.json] [--json summary.json]
"""
import argparse
import csv
import json
import os
import re
import statistics
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor, as_completed

# config/settings.py of the seed
BATCH_SIZE = 10
RATE_LIMIT_DELAY = 0.5
MAX_RETRIES = 3

PLACEHOLDER = re.compile(r"\{\{\{\{|\{\{([^{}]+)\}\}")


def render(template, row):
    """{{column}} -> the row's value; {{{{ -> a literal {{ (as rowpool)."""
    def sub(m):
        return "{{" if m.group(0) == "{{{{" else row[m.group(1)]
    return PLACEHOLDER.sub(sub, template)


def request_body(prompt, schema):
    gen = {"thinkingConfig": {"thinkingBudget": 0}}
    if schema is not None:
        gen["responseMimeType"] = "application/json"
        gen["responseJsonSchema"] = schema
    return {"generationConfig": gen,
            "contents": [{"role": "user", "parts": [{"text": prompt}]}]}


def call_gemini(url, key, body, timeout):
    """One generateContent call; returns the answer's JSON, raises on failure."""
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "x-goog-api-key": key})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        reply = json.load(resp)
    parts = reply["candidates"][0]["content"]["parts"]
    text = "".join(p.get("text", "") for p in parts if not p.get("thought"))
    return json.loads(text)


def process_single_row(ctx, index, row):
    """The seed's _process_single_row: one row, up to MAX_RETRIES retries."""
    body = request_body(render(ctx["prompt"], row), ctx["schema"])
    error = None
    for attempt in range(1, MAX_RETRIES + 2):
        t0 = time.monotonic()
        try:
            data = call_gemini(ctx["url"], ctx["key"], body, ctx["timeout"])
            ms = (time.monotonic() - t0) * 1000
            return {"row": index, "status": "ok", "attempts": attempt,
                    "data": data, "latency_ms": round(ms)}
        except (urllib.error.URLError, OSError, ValueError, KeyError,
                IndexError) as e:
            error = "%s: %s" % (type(e).__name__, e)
    ms = (time.monotonic() - t0) * 1000
    return {"row": index, "status": "failed", "attempts": attempt,
            "error": error, "latency_ms": round(ms)}


def save_checkpoint(path, results):
    with open(path, "w") as f:
        json.dump(results, f)


def run(ctx, rows, checkpoint):
    """The seed's batch loop; returns (results, wall seconds)."""
    results = []
    batches = [rows[i:i + BATCH_SIZE] for i in range(0, len(rows), BATCH_SIZE)]
    t0 = time.monotonic()
    for b, batch in enumerate(batches):
        with ThreadPoolExecutor(max_workers=min(len(batch), BATCH_SIZE)) as ex:
            futures = {ex.submit(process_single_row, ctx, i, row): i
                       for i, row in batch}
            for future in as_completed(futures):
                results.append(future.result())
        save_checkpoint(checkpoint, results)
        if b + 1 < len(batches):
            time.sleep(RATE_LIMIT_DELAY)
    return results, time.monotonic() - t0


def summary(results, wall):
    lat = sorted(r["latency_ms"] for r in results)
    q = statistics.quantiles(lat, n=100) if len(lat) > 1 else lat * 99
    return {"rows": len(results),
            "ok": sum(r["status"] == "ok" for r in results),
            "failed": sum(r["status"] != "ok" for r in results),
            "wall_s": wall,
            "latency_sum_ms": sum(lat),
            "latency_ms": {"mean": statistics.fmean(lat) if lat else 0,
                           "p50": q[49], "p90": q[89], "p99": q[98],
                           "max": lat[-1] if lat else 0},
            "latencies_ms": [r["latency_ms"] for r in
                             sorted(results, key=lambda r: r["row"])]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--input", required=True, help="CSV with a header")
    ap.add_argument("--prompt", required=True, help="prompt template file")
    ap.add_argument("--schema", help="JSON Schema file of the answer")
    ap.add_argument("--model", default="gemini-2.5-flash")
    ap.add_argument("--out", default="seed-results.json",
                    help="the checkpoint / results file (default %(default)s)")
    ap.add_argument("--json", help="write the summary and latencies here")
    ap.add_argument("--timeout", type=float, default=120)
    a = ap.parse_args()
    key = os.environ.get("GEMINI_API_KEY") or os.environ.get("GOOGLE_API_KEY")
    if not key:
        sys.exit("seed_design.py: set GEMINI_API_KEY")
    with open(a.prompt) as f:
        prompt = f.read()
    schema = None
    if a.schema:
        with open(a.schema) as f:
            schema = json.load(f)
    with open(a.input, newline="") as f:
        rows = list(enumerate(csv.DictReader(f)))
    ctx = {"url": "%s/v1beta/models/%s:generateContent" % (
               a.endpoint.rstrip("/"), a.model),
           "key": key, "prompt": prompt, "schema": schema,
           "timeout": a.timeout}
    results, wall = run(ctx, rows, a.out)
    s = summary(results, wall)
    print("seed design: %d rows (%d ok, %d failed) in %.2f s; latency ms "
          "mean %.0f p50 %.0f p90 %.0f p99 %.0f max %.0f" % (
              s["rows"], s["ok"], s["failed"], wall, s["latency_ms"]["mean"],
              s["latency_ms"]["p50"], s["latency_ms"]["p90"],
              s["latency_ms"]["p99"], s["latency_ms"]["max"]))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(s, f)


if __name__ == "__main__":
    main()
