"""The server-side request quotas, --rpm and --rpd, per (key, model).

RPM is a sliding window (a deque of admission times) or, with --rpm-mode
fixed, a window that starts at the first request; RPD is a fixed window
counted from start or the last reset.  A rejected request is not counted.
Windows are shortened for tests with --rpm-window-s/--rpd-window-s.
"""

import threading
import time
from collections import deque


class Quota:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.t0 = time.monotonic()
            self.minute = {}   # bucket -> deque of times (sliding) or [start, count] (fixed)
            self.day = {}      # bucket -> [window index, count]

    def check(self, bucket, cfg):
        """Admit a request or return ('rpd'|'rpm', delay_s, limit)."""
        now = time.monotonic()
        with self.lock:
            if cfg.rpd > 0:
                win = max(cfg.rpd_window_s, 0.001)
                idx = int((now - self.t0) // win)
                ent = self.day.get(bucket)
                if ent is None or ent[0] != idx:
                    ent = self.day[bucket] = [idx, 0]
                if ent[1] >= cfg.rpd:
                    return "rpd", self.t0 + (idx + 1) * win - now, cfg.rpd
            if cfg.rpm > 0:
                win = max(cfg.rpm_window_s, 0.001)
                if cfg.rpm_mode == "fixed":
                    ent = self.minute.get(bucket)
                    if not isinstance(ent, list) or now >= ent[0] + win:
                        ent = self.minute[bucket] = [now, 0]
                    if ent[1] >= cfg.rpm:
                        return "rpm", ent[0] + win - now, cfg.rpm
                    ent[1] += 1
                else:
                    dq = self.minute.get(bucket)
                    if not isinstance(dq, deque):
                        dq = self.minute[bucket] = deque()
                    while dq and dq[0] <= now - win:
                        dq.popleft()
                    if len(dq) >= cfg.rpm:
                        return "rpm", dq[0] + win - now, cfg.rpm
                    dq.append(now)
            if cfg.rpd > 0:
                self.day[bucket][1] += 1
        return None
