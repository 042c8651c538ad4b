"""fakegemini: a local Gemini API emulator for rowpool's tests, benchmarks and demo.

Speaks POST /v1beta/models/{model}:generateContent with the real API's JSON
shapes (see tests/data/gemini-recorded or tests/emulator) and the
OpenAI-compatible POST .../chat/completions.  Python 3 standard library only.
scripts/fake-gemini is the command; run it with --help for every flag and
fault directive.

Where things are (each module's docstring says what it owns).  A module
imports only modules below it in this list:
  cli        the command line (flags, --help text) and main(): start, stop
  server     the HTTP server: connections, request bodies, responses,
             routing, the admin endpoints /_fake/*, per-request accounting
  batch      the Batch API (batchGenerateContent, batches get/list/cancel/delete),
             the Files API's resumable upload and the responses file's download
  endpoints  generateContent, models and chat/completions: the checks in
             order, and the pipeline each request goes through (quota,
             attempt, fault, latency)
  openai     the OpenAI-compatible response shapes
  validate   Gemini request validation, modelled on the live API's 400s
  gemini     Gemini's response shapes: error bodies, HTML pages, answers
  answers    deterministic answers that conform to the request's schema
  quotas     the --rpm/--rpd windows per (key, model)
  prefixcache implicit caching: the cached tokens of a repeated prefix
  stats      the counters behind /_fake/stats
  config     the settings, mutable through /_fake/config
  faults     the fault catalogue, the [[fake:...]] directive parser and
             which fault a request gets

The shape modules (openai, gemini, answers, faults) are pure functions of
their arguments, so a new endpoint can reuse them.
"""

VERSION = "1.0"
