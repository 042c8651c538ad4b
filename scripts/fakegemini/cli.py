"""The command line: the flags, the --help text (its epilog lists every
fault directive from faults.py), and main(): bind, print "PORT <n>", serve
until SIGTERM/SIGINT or --lifetime-s, write --stats-file.

scripts/fake-gemini calls main(); prog is "fake-gemini" whatever runs it.
"""

import argparse
import json
import os
import signal
import sys
import threading

from . import VERSION
from .config import Config
from .faults import MODIFIERS, OUTCOMES, parse_kinds
from .server import Handler, Server

DEFAULT_MODELS = "gemini-2.5-flash,gemini-2.5-pro,gemini-2.0-flash,gemini-2.5-flash-lite"


def directive_help():
    lines = ["fault directives (put them anywhere in the prompt text, e.g. the row):",
             "  [[fake:NAME]]            always inject NAME for this prompt",
             "  [[fake:NAMExN]]          inject NAME on the first N attempts of this exact",
             "                           prompt text, then answer normally (500x2: 500, 500, 200)",
             "  [[fake:A xN, B xM, ...]] sequence: items separated by ',' or spaces;",
             "                           [[fake:500x2,429x1]] -> 500, 500, 429, then success",
             "  attempts are counted per distinct user prompt text, only for requests that",
             "  passed the key/model/quota checks; POST /_fake/reset clears them.",
             "", "outcomes:"]
    for k, v in OUTCOMES.items():
        lines.append("  %-22s %s" % (k, v))
    lines += ["", "modifiers (combine with outcomes; a modifier with xN applies on the first N "
              "attempts):"]
    for k, v in MODIFIERS.items():
        lines.append("  %-22s %s" % (k, v))
    lines += ["",
              "order of checks: ?key= in URL (400) -> x-goog-api-key (400 API_KEY_INVALID, or",
              "  403 for --key-forbidden) -> JSON body -> model (404) -> request validation",
              "  (400, unless --lenient) -> directive syntax (400) -> --rpd/--rpm (429; rejected",
              "  requests are not counted) -> attempt count -> fault (directive, else",
              "  --error-rate) -> latency (sleep=MS or lognormal) -> answer.",
              "",
              "admin endpoints: GET /_fake/stats[?reset=1], POST /_fake/reset (clears stats,",
              "  attempt counters and quota windows), GET /_fake/health,",
              "  GET|POST /_fake/config (JSON object of mutable settings, e.g. "
              '{"rpm": 5, "error_rate": 0.1})',
              "stats keys: requests_total, by_status, status_429, rate_limited{rpm,rpd},",
              "  no_response{hang,drop,reset}, by_endpoint, by_model, by_fault, in_flight,",
              "  in_flight_max, connections_total/open/max, distinct_prompts,",
              "  repeated_requests, max_attempts_per_prompt, tokens{prompt,candidates,thoughts,cached},",
              "  latency_ms and handle_ms {count,mean,p50,p90,p99,max}, first_request_at,",
              "  last_request_at, span_s, per_second, per_second_429 ({epoch second: n}),",
              "  started_at, reset_at, uptime_s, port, config, batch{upload_starts, uploads,",
              "  uploads_in_progress, file_gets, creates, gets, lists, cancels, deletes,",
              "  downloads, downloads_in_progress, lines, submissions{display name: creates},",
              "  submissions_max, batches, states}.  Requests are counted before their",
              "  response is written.",
              "API endpoints: POST /v1beta/models/MODEL:generateContent (x-goog-api-key),",
              "  GET /v1beta/models[/MODEL], POST /chat/completions, /v1/chat/completions,",
              "  /v1beta/openai/chat/completions (Authorization: Bearer KEY);",
              "  batch mode: POST /upload/v1beta/files (resumable), GET /v1beta/files/ID,",
              "  POST /v1beta/models/MODEL:batchGenerateContent, GET /v1beta/batches[/ID],",
              "  POST /v1beta/batches/ID:cancel, DELETE /v1beta/batches/ID,",
              "  GET /download/v1beta/files/ID:download?alt=media",
              "Without a schema the reply echoes the prompt; with one, strings come from the",
              "prompt ('name: value' lines or JSON pairs whose key matches a property, else",
              "words of the prompt chosen by a hash), so answers are reproducible."]
    return "\n".join(lines)


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="fake-gemini", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Local Gemini API (generateContent) + OpenAI-compatible emulator. Prints "
                    "one line 'PORT <n>' on stdout when ready; logs to stderr only with -v.",
        epilog=directive_help())
    a = p.add_argument
    a("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    a("--port", type=int, default=0, help="port to bind (default 0: any free port)")
    a("--port-file", metavar="FILE", help="also write the port number to FILE (atomically)")
    a("--stats-file", metavar="FILE", help="write the /_fake/stats JSON to FILE at exit")
    a("-v", "--verbose", action="store_true", help="log each request to stderr")
    a("--key", action="append", metavar="KEY",
      help="accepted API key; repeatable (default: test-key)")
    a("--key-forbidden", action="append", metavar="KEY",
      help="key answered with 403 PERMISSION_DENIED; repeatable")
    a("--known-models", default=DEFAULT_MODELS, metavar="LIST",
      help="comma-separated model names; others get 404 NOT_FOUND; '*' accepts any "
           "(default %(default)s)")
    a("--lenient", action="store_true",
      help="skip request validation (unknown fields, responseSchema keywords, "
           "empty text, thinking budget, temperature...)")
    a("--latency-median-ms", type=float, default=0.0, metavar="M",
      help="lognormal service latency with median M ms (default 0: answer at once)")
    a("--latency-p99-ratio", type=float, default=3.0, metavar="R",
      help="p99/p50 of the latency, sigma = ln(R)/2.3263 (default 3; <=1: constant)")
    a("--latency-max-ms", type=float, default=60000.0, metavar="MS",
      help="cap on one latency draw (default 60000)")
    a("--error-rate", type=float, default=0.0, metavar="P",
      help="probability that a request gets a random fault from --error-kinds")
    a("--error-kinds", default="500,503", metavar="LIST",
      help="comma list of outcomes for --error-rate, optional weights: 500:3,503,drop:0.5 "
           "(default 500,503)")
    a("--rpm", type=int, default=0, metavar="N",
      help="server-side requests-per-minute limit per (key, model); excess gets 429 "
           "GenerateRequestsPerMinutePerProjectPerModel-FreeTier (default 0: off)")
    a("--rpm-window-s", type=float, default=60.0, metavar="S",
      help="length of the RPM window (default 60; shorten for tests)")
    a("--rpm-mode", choices=("sliding", "fixed"), default="sliding",
      help="sliding window or fixed window starting at the first request (default sliding)")
    a("--rpd", type=int, default=0, metavar="N",
      help="requests-per-day limit per (key, model); excess gets 429 "
           "GenerateRequestsPerDayPerProjectPerModel-FreeTier (default 0: off)")
    a("--rpd-window-s", type=float, default=86400.0, metavar="S",
      help="length of the RPD window, fixed, from start/reset (default 86400)")
    a("--retry-delay-s", type=float, default=1.0, metavar="S",
      help="RetryInfo delay for [[fake:429]]/[[fake:429-day]] and random 429s (default 1)")
    a("--retry-delay-style", choices=("fractional", "seconds"), default="fractional",
      help="RetryInfo.retryDelay as '12.345678s' (default) or whole seconds '12s' as the "
           "live server sends")
    a("--implicit-cache-min-tokens", type=int, default=2048, metavar="N",
      help="implicit caching: a request whose first N or more tokens (system "
           "instruction, schema, then prompt; 64-token blocks) match an earlier "
           "request's reports them as cachedContentTokenCount (default 2048, as "
           "Gemini 2.5 Flash; 0: off)")
    a("--seed", type=int, metavar="S",
      help="seed for latency and random faults; each draw depends only on seed, prompt and "
           "attempt, so runs are reproducible regardless of thread timing")
    a("--hang-max-s", type=float, default=600.0, metavar="S",
      help="a hung request closes its connection after S seconds anyway (default 600)")
    a("--chunked", action="store_true",
      help="send every API response with Transfer-Encoding: chunked")
    a("--max-conn-requests", type=int, default=0, metavar="N",
      help="close a keep-alive connection after N responses (default 0: never)")
    a("--idle-timeout-s", type=float, default=300.0, metavar="S",
      help="close keep-alive connections idle for S seconds (default 300)")
    a("--lifetime-s", type=float, default=0.0, metavar="S",
      help="exit by itself after S seconds (safety net for scripts; default 0: never)")
    a("--batch-delay-s", type=float, default=1.0, metavar="S",
      help="a batch ends S seconds after its creation: PENDING, then RUNNING from 30%% "
           "of S (default 1; /_fake/config changes it for running batches too)")
    a("--batch-upload-delay-s", type=float, default=0.0, metavar="S",
      help="a Files API upload takes S seconds more (default 0)")
    a("--batch-create-delay-s", type=float, default=0.0, metavar="S",
      help="a batch create is counted, then answered S seconds later (default 0)")
    a("--batch-download-delay-s", type=float, default=0.0, metavar="S",
      help="a responses file download takes S seconds more (default 0)")
    a("--batch-page-max", type=int, default=20, metavar="N",
      help="batches.list pages hold at most N batches (default 20)")
    a("--version", action="version", version="fake-gemini " + VERSION)
    args = p.parse_args(argv)
    try:
        parse_kinds(args.error_kinds)
    except ValueError as e:
        p.error(str(e))
    if not 0 <= args.error_rate <= 1:
        p.error("--error-rate must be in [0, 1]")
    return args


def write_atomic(path, data):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(data)
    os.replace(tmp, path)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    Handler.timeout = args.idle_timeout_s if args.idle_timeout_s > 0 else None
    srv = Server((args.host, args.port), Config(args), args.verbose)
    port = srv.server_address[1]

    def stop(*_):
        if not srv.stopping.is_set():
            srv.stopping.set()
            threading.Thread(target=srv.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.lifetime_s > 0:
        t = threading.Timer(args.lifetime_s, stop)
        t.daemon = True
        t.start()
    if args.port_file:
        write_atomic(args.port_file, "%d\n" % port)
    sys.stdout.write("PORT %d\n" % port)
    sys.stdout.flush()
    srv.log("listening on %s:%d" % (args.host, port))
    try:
        srv.serve_forever(poll_interval=0.1)
    finally:
        srv.stopping.set()
        srv.server_close()
        if args.stats_file:
            write_atomic(args.stats_file,
                         json.dumps(srv.stats.snapshot(srv.cfg, port), indent=2) + "\n")
        srv.log("stopped")
    return 0
