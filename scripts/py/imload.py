"""Shared helpers of scripts/chaos and scripts/bench (Python 3 standard library only).

- requests: the example requests of examples/*.json, varied per sequence number and still valid
  against schema/assessment-request.schema.json;
- an HTTP client for the API of openapi.json (keep-alive per thread, Server-Sent Events);
- the reference report of a request (`inframind assess - --format json`) and the comparison
  of a cluster's report against it, with the assessment id normalised;
- /proc readers (CPU time, RSS) and a Prometheus text parser for /metrics.

Only 127.0.0.0/8 is ever contacted.
"""

import copy
import hashlib
import http.client
import json
import os
import statistics
import subprocess
import threading
import time

FINAL = ("completed", "failed", "cancelled")
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- requests
class RequestFactory:
    """Example requests made distinct per sequence number, keeping them valid.

    Varies `title` (a free string, max 200 chars) and `business.growth_projection.current_users`
    (an integer 0…10^10), which the cost projection reads, so two reports of different requests
    differ in more than their title.
    """

    def __init__(self, examples_dir):
        names = sorted(n for n in os.listdir(examples_dir) if n.endswith(".json"))
        if not names:
            raise SystemExit(f"no example requests in {examples_dir}")
        self.examples = []
        for n in names:
            with open(os.path.join(examples_dir, n)) as f:
                self.examples.append((n, json.load(f)))

    def make(self, seq, vary=True):
        """(example name, request bytes) for sequence number `seq`."""
        name, base = self.examples[seq % len(self.examples)]
        req = copy.deepcopy(base)
        if vary:
            title = req.get("title") or name
            req["title"] = f"{title[:180]} #{seq}"
            growth = req.setdefault("business", {}).setdefault("growth_projection", {})
            users = int(growth.get("current_users", 1000))
            growth["current_users"] = users + (seq % 997)
            for key in ("projected_users_12m", "projected_users_24m"):
                if key in growth and growth[key] < growth["current_users"]:
                    growth[key] = growth["current_users"]
        return name, json.dumps(req, separators=(",", ":"), sort_keys=True).encode()


# ---------------------------------------------------------------- reference reports
REF_ID = "reference"


def normalise_report(obj):
    """The report with its assessment id replaced, so reports of different ids compare."""
    if isinstance(obj, (bytes, str)):
        obj = json.loads(obj)
    obj = dict(obj)
    for key in ("assessment_id", "id"):
        if key in obj:
            obj[key] = REF_ID
    return obj


class References:
    """`inframind assess - --format json` over the same request bytes, cached by content."""

    def __init__(self, binary):
        self.binary = binary
        self.cache = {}
        self.lock = threading.Lock()

    def get(self, body):
        key = hashlib.sha256(body).hexdigest()
        with self.lock:
            if key in self.cache:
                return self.cache[key]
        out = subprocess.run([self.binary, "assess", "-", "--format", "json", "--id", REF_ID],
                             input=body, capture_output=True, check=False)
        if out.returncode != 0:
            raise RuntimeError(f"inframind assess failed ({out.returncode}): {out.stderr.decode()[:500]}")
        ref = normalise_report(out.stdout)
        with self.lock:
            self.cache[key] = ref
        return ref

    def compare(self, body, report_bytes):
        """None when the report equals the reference, else a short description of the first difference."""
        try:
            got = normalise_report(report_bytes)
        except (ValueError, TypeError) as e:
            return f"report is not JSON: {e}"
        want = self.get(body)
        if got == want:
            return None
        return first_difference(want, got)


def first_difference(a, b, path="$"):
    if type(a) is not type(b):
        return f"{path}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}.{k}: only in {'reference' if k in a else 'cluster'}"
            d = first_difference(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} vs {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    if a == b:
        return None
    if isinstance(a, str):
        k = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        lo = max(0, k - 30)
        return f"{path} at char {k}: …{a[lo:k + 40]!r} vs …{b[lo:k + 40]!r}"
    return f"{path}: {json.dumps(a)[:80]} vs {json.dumps(b)[:80]}"


# ---------------------------------------------------------------- HTTP
class HTTPError(Exception):
    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body[:200]!r}")
        self.status = status
        self.body = body


class Client:
    """One keep-alive connection per (thread, address). Addresses are 'host:port' on 127.0.0.0/8."""

    def __init__(self, timeout=10.0, token=None):
        self.timeout = timeout
        self.token = token
        self.local = threading.local()

    def _conn(self, addr, timeout):
        conns = getattr(self.local, "conns", None)
        if conns is None:
            conns = self.local.conns = {}
        c = conns.get(addr)
        if c is None:
            host, port = addr.rsplit(":", 1)
            if not host.startswith("127.") and host != "localhost":
                raise ValueError(f"refusing non-loopback address {addr}")
            c = conns[addr] = http.client.HTTPConnection(host, int(port), timeout=timeout)
        c.timeout = timeout
        if c.sock is not None:
            c.sock.settimeout(timeout)
        return c

    def drop(self, addr):
        conns = getattr(self.local, "conns", {})
        c = conns.pop(addr, None)
        if c is not None:
            c.close()

    def request(self, addr, method, path, body=None, headers=None, timeout=None):
        """(status, headers dict, body bytes). Raises OSError / http.client errors on transport failure."""
        h = {"Connection": "keep-alive"}
        if body is not None:
            h["Content-Type"] = "application/json"
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        h.update(headers or {})
        for attempt in (0, 1):
            c = self._conn(addr, timeout or self.timeout)
            try:
                c.request(method, path, body=body, headers=h)
                r = c.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.drop(addr)
                return r.status, {k.lower(): v for k, v in r.getheaders()}, data
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError,
                    http.client.CannotSendRequest, http.client.ResponseNotReady):
                # a kept-alive connection the server closed: one fresh retry, then give up
                self.drop(addr)
                if attempt == 1:
                    raise
            except Exception:
                self.drop(addr)
                raise

    def submit(self, addr, body, idempotency_key=None, timeout=None):
        """POST /v1/assessments → (status, id or None, seconds)."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        t0 = time.perf_counter()
        status, _, data = self.request(addr, "POST", "/v1/assessments", body, headers, timeout)
        dt = time.perf_counter() - t0
        aid = None
        if status in (200, 201, 202):
            try:
                aid = json.loads(data)["id"]
            except (ValueError, KeyError, TypeError):
                raise HTTPError(status, data)
        return status, aid, dt

    def status(self, addr, aid, timeout=None):
        """GET /v1/assessments/{id} → (http status, parsed body or None)."""
        status, _, data = self.request(addr, "GET", f"/v1/assessments/{aid}", timeout=timeout)
        try:
            return status, json.loads(data) if data else None
        except ValueError:
            return status, None

    def report(self, addr, aid, timeout=None):
        status, _, data = self.request(addr, "GET", f"/v1/assessments/{aid}/report", timeout=timeout)
        return status, data

    def wait_final(self, addr, aid, timeout=60.0):
        """Follows GET …/events until a final state; polls when events are not served.
        Returns the final status string, or None at the deadline."""
        deadline = time.monotonic() + timeout
        try:
            st = self._wait_sse(addr, aid, deadline)
            if st is not None:
                return st
        except (OSError, http.client.HTTPException, ValueError):
            pass
        delay = 0.005
        while time.monotonic() < deadline:
            try:
                code, body = self.status(addr, aid, timeout=5)
                if code == 200 and body and body.get("status") in FINAL:
                    return body["status"]
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(delay)
            delay = min(0.2, delay * 1.5)
        return None

    def _wait_sse(self, addr, aid, deadline):
        host, port = addr.rsplit(":", 1)
        c = http.client.HTTPConnection(host, int(port), timeout=max(1.0, deadline - time.monotonic()))
        try:
            h = {"Accept": "text/event-stream"}
            if self.token:
                h["Authorization"] = f"Bearer {self.token}"
            c.request("GET", f"/v1/assessments/{aid}/events", headers=h)
            r = c.getresponse()
            if r.status != 200:
                r.read()
                return None
            data = []
            while time.monotonic() < deadline:
                line = r.fp.readline()
                if not line:
                    break
                line = line.rstrip(b"\r\n")
                if line.startswith(b"data:"):
                    data.append(line[5:].strip())
                elif line == b"" and data:
                    try:
                        ev = json.loads(b"\n".join(data))
                    except ValueError:
                        ev = {}
                    data = []
                    st = ev.get("status") if isinstance(ev, dict) else None
                    if st in FINAL:
                        return st
            return None
        finally:
            c.close()


# ---------------------------------------------------------------- /proc and /metrics
def proc_write_bytes(pid):
    """Bytes a process has caused to be written to storage, from /proc/<pid>/io (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/io") as f:
            for line in f:
                if line.startswith("write_bytes:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def proc_cpu_s(pid):
    """utime + stime of a process in seconds (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            st = f.read()
        parts = st[st.rfind(")") + 2:].split()
        return (int(parts[11]) + int(parts[12])) / CLK_TCK
    except (OSError, ValueError, IndexError):
        return 0.0


def proc_rss_kb(pid, field="VmRSS"):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def proc_pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def sys_busy():
    """(total jiffies, idle jiffies) of the machine."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v), v[3] + v[4]


def parse_prometheus(text, name):
    """Sum of every sample of metric `name` (any labels) in Prometheus text format; None if absent."""
    total = None
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        metric = line.split("{", 1)[0].split(" ", 1)[0]
        if metric != name:
            continue
        try:
            value = float(line.rsplit(" ", 1)[1]) if "}" not in line else float(line.rsplit("}", 1)[1].split()[0])
        except (ValueError, IndexError):
            continue
        total = (total or 0.0) + value
    return total


# ---------------------------------------------------------------- statistics
def pct(xs, p):
    """Nearest-rank percentile (the same rule as the Celery bench's pct)."""
    if not xs:
        return float("nan")
    xs = sorted(xs)
    k = max(0, min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1)))))
    return xs[k]


def summ_ms(xs_s):
    ms = [x * 1000 for x in xs_s]
    return {"n": len(ms), "p50": pct(ms, 50), "p90": pct(ms, 90), "p99": pct(ms, 99),
            "max": max(ms) if ms else float("nan"), "mean": statistics.fmean(ms) if ms else float("nan")}
