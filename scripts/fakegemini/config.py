"""The emulator's settings: the command line's values, of which those in
Config.MUTABLE can be changed while it runs (POST /_fake/config).

The keys and seed are fixed at start; set_derived() recomputes what is
parsed from the mutable strings (the model set, the --error-kinds weights).
"""

import os

from .faults import parse_kinds


class Config:
    MUTABLE = {"rpm": int, "rpd": int, "rpm_window_s": float, "rpd_window_s": float,
               "rpm_mode": str, "error_rate": float, "error_kinds": str,
               "latency_median_ms": float, "latency_p99_ratio": float,
               "latency_max_ms": float, "retry_delay_s": float, "retry_delay_style": str,
               "known_models": str, "hang_max_s": float, "chunked": bool, "lenient": bool,
               "max_conn_requests": int, "batch_delay_s": float,
               "batch_upload_delay_s": float, "batch_create_delay_s": float, "batch_download_delay_s": float,
               "batch_page_max": int, "implicit_cache_min_tokens": int}

    def __init__(self, a):
        self.keys = list(a.key or ["test-key"])
        self.forbidden = list(a.key_forbidden or [])
        for name in self.MUTABLE:
            setattr(self, name, getattr(a, name))
        self.seed = a.seed if a.seed is not None else int.from_bytes(os.urandom(8), "big")
        self.set_derived()

    def set_derived(self):
        self.models = {m.strip() for m in self.known_models.split(",") if m.strip()}
        self.kinds = parse_kinds(self.error_kinds)

    def update(self, d):
        for k, v in d.items():
            k = k.replace("-", "_")
            if k not in self.MUTABLE:
                raise ValueError("unknown or immutable setting %r" % k)
            conv = self.MUTABLE[k]
            setattr(self, k, conv(v) if conv is not bool else bool(v))
        self.set_derived()

    def public(self):
        d = {k: getattr(self, k) for k in self.MUTABLE}
        d.update(seed=self.seed, keys=len(self.keys), forbidden_keys=len(self.forbidden))
        return d
