"""A small closed-loop HTTP load generator (keep-alive connections, one thread each)."""

from __future__ import annotations

import http.client
import re
import shutil
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class LoadResult:
    """What one load run measured."""

    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        """Successful requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        """Latency percentile in milliseconds."""
        if not self.latencies_ms:
            return 0.0
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(p / 100 * len(data)))]

    @property
    def median(self) -> float:
        """Median latency in milliseconds."""
        return statistics.median(self.latencies_ms) if self.latencies_ms else 0.0


def run_load(url: str, headers: dict[str, str], seconds: float, connections: int) -> LoadResult:
    """GET `url` from `connections` keep-alive connections for `seconds`; count 200 answers."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    stop = time.monotonic() + seconds
    lock = threading.Lock()
    totals = {"ok": 0, "err": 0}
    latencies: list[float] = []

    def worker() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        ok = err = 0
        local: list[float] = []
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse()
                resp.read()
                if resp.status == 200:
                    ok += 1
                    local.append((time.perf_counter() - t0) * 1000)
                else:
                    err += 1
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            except (OSError, http.client.HTTPException):
                err += 1
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        conn.close()
        with lock:
            totals["ok"] += ok
            totals["err"] += err
            latencies.extend(local)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return LoadResult(totals["ok"], totals["err"], time.monotonic() - t0, latencies)


def wrk_available() -> bool:
    """True when the `wrk` load generator (Debian package `wrk`) is installed."""
    return shutil.which("wrk") is not None


def run_wrk(url: str, headers: dict[str, str], seconds: float, connections: int) -> LoadResult:
    """Load `url` with wrk (one thread: it is a separate, C process, light on a small machine)."""
    args = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    for k, v in headers.items():
        args += ["-H", f"{k}: {v}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p50 = _wrk_latency(out, "50%")
    p99 = _wrk_latency(out, "99%")
    total = int(rps * seconds)
    return LoadResult(
        total,
        int(errors.group(1)) if errors else 0,
        seconds,
        [p50] * (total // 2) + [p99] * (total - total // 2),
    )


def _wrk_latency(out: str, pct: str) -> float:
    m = re.search(rf"^\s+{re.escape(pct)}\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
    if not m:
        return 0.0
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
