"""The counters behind GET /_fake/stats (and --stats-file).

One Stats per server, updated under its lock: requests by status,
endpoint, model and fault, connections, in-flight maxima, attempts per
distinct prompt, tokens, latency and handling-time summaries, and requests
(and 429s) per epoch second.  cli.directive_help lists the keys.
"""

import math
import threading
import time

from .faults import NO_RESPONSE


def pct(sorted_vals, p):
    if not sorted_vals:
        return None
    i = min(len(sorted_vals) - 1, max(0, int(math.ceil(p / 100.0 * len(sorted_vals))) - 1))
    return round(sorted_vals[i], 3)


def summary(vals):
    if not vals:
        return {"count": 0, "mean": None, "p50": None, "p90": None, "p99": None, "max": None}
    s = sorted(vals)
    return {"count": len(s), "mean": round(sum(s) / len(s), 3), "p50": pct(s, 50),
            "p90": pct(s, 90), "p99": pct(s, 99), "max": round(s[-1], 3)}


class Stats:
    MAX_SAMPLES = 200000

    def __init__(self):
        self.lock = threading.Lock()
        self.in_flight = 0
        self.connections_open = 0
        self.started_at = time.time()
        self.reset()

    def reset(self):
        with self.lock:
            self.requests_total = 0
            self.by_status = {}
            self.by_endpoint = {}
            self.by_model = {}
            self.by_fault = {}
            self.no_response = {}
            self.rate_limited = {"rpm": 0, "rpd": 0}
            self.in_flight_max = self.in_flight
            self.connections_total = 0
            self.connections_max = self.connections_open
            self.attempts = {}
            self.tok = {"prompt": 0, "candidates": 0, "thoughts": 0, "cached": 0}
            self.delays = []
            self.handle = []
            self.first = None
            self.last = None
            self.per_second = {}
            self.per_second_429 = {}
            self.reset_at = time.time()

    def conn(self, delta):
        with self.lock:
            self.connections_open += delta
            if delta > 0:
                self.connections_total += 1
                self.connections_max = max(self.connections_max, self.connections_open)

    def begin(self, endpoint):
        now = time.time()
        with self.lock:
            self.requests_total += 1
            self.by_endpoint[endpoint] = self.by_endpoint.get(endpoint, 0) + 1
            self.in_flight += 1
            self.in_flight_max = max(self.in_flight_max, self.in_flight)
            if self.first is None:
                self.first = now
            self.last = now
            sec = str(int(now))
            self.per_second[sec] = self.per_second.get(sec, 0) + 1

    def attempt(self, key):
        with self.lock:
            n = self.attempts.get(key, 0)
            self.attempts[key] = n + 1
            return n

    def end(self, status, model, fault, delay_ms, handle_ms, toks):
        with self.lock:
            self.in_flight -= 1
            if status in NO_RESPONSE:
                self.no_response[status] = self.no_response.get(status, 0) + 1
            elif status is not None:
                k = str(status)
                self.by_status[k] = self.by_status.get(k, 0) + 1
                if status == 429:
                    sec = str(int(time.time()))
                    self.per_second_429[sec] = self.per_second_429.get(sec, 0) + 1
            if model:
                self.by_model[model] = self.by_model.get(model, 0) + 1
            if fault:
                self.by_fault[fault] = self.by_fault.get(fault, 0) + 1
                if fault in ("rpm", "rpd"):
                    self.rate_limited[fault] += 1
            if delay_ms is not None and len(self.delays) < self.MAX_SAMPLES:
                self.delays.append(delay_ms)
            if len(self.handle) < self.MAX_SAMPLES:
                self.handle.append(handle_ms)
            for k, v in (toks or {}).items():
                self.tok[k] += v

    def add_tokens(self, toks):
        """Tokens of an answer that is not a request of its own (a batch's line)."""
        with self.lock:
            for k, v in (toks or {}).items():
                self.tok[k] += v

    def snapshot(self, cfg=None, port=None):
        with self.lock:
            att = list(self.attempts.values())
            d = {
                "requests_total": self.requests_total,
                "by_status": dict(sorted(self.by_status.items())),
                "status_429": self.by_status.get("429", 0),
                "rate_limited": dict(self.rate_limited),
                "no_response": dict(self.no_response),
                "by_endpoint": dict(self.by_endpoint),
                "by_model": dict(self.by_model),
                "by_fault": dict(sorted(self.by_fault.items())),
                "in_flight": self.in_flight,
                "in_flight_max": self.in_flight_max,
                "connections_total": self.connections_total,
                "connections_open": self.connections_open,
                "connections_max": self.connections_max,
                "distinct_prompts": len(att),
                "repeated_requests": sum(att) - len(att),
                "max_attempts_per_prompt": max(att) if att else 0,
                "tokens": dict(self.tok),
                "latency_ms": summary(self.delays),
                "handle_ms": summary(self.handle),
                "first_request_at": self.first,
                "last_request_at": self.last,
                "span_s": round(self.last - self.first, 6) if self.first else 0.0,
                "per_second": dict(self.per_second),
                "per_second_429": dict(self.per_second_429),
                "started_at": self.started_at,
                "reset_at": self.reset_at,
                "uptime_s": round(time.time() - self.started_at, 3),
            }
        if port is not None:
            d["port"] = port
        if cfg is not None:
            d["config"] = cfg.public()
        return d
