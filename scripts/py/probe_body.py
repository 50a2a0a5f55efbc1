"""What hostile submission bodies cost a node (docs/security.md, "Request bodies").

Starts a 2-node cluster on 127.0.0.1 (free ports, certificates from `inframind certs init`, data in a
temporary directory), then sends node-1 four bodies at once, each as large as the node accepts and
built to be a worst case for parsing, validation or the 400 that lists the problems:

  duplicates   a uniqueItems array (business.geographic_regions, at most 7 items) of 0,0,0,…
  enums        the same array full of long strings that are no market
  nesting      arrays nested 60 deep (the parser's limit is 64), over and over, in one field
  marks        company_name: one letter and combining marks to the end of the body

Meanwhile it polls /healthz on both nodes, node-1's resident memory (/proc/<pid>/status), and
node-2's view of node-1 (/v1/cluster). Prints one row per body (status, answer size, time) and the
figures; with --check exits non-zero unless every answer took under 1 s and is under 64 KB, /healthz
answered under 200 ms on both nodes, and node-2 never saw node-1 as anything but up.

Every process it starts is stopped on the way out, pass or fail, by its pid.
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ANSWER_SECONDS = 1.0
ANSWER_BYTES = 64 << 10
HEALTHZ_SECONDS = 0.2
DEFAULT_BODY_LIMIT = 262144


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


# ------------------------------------------------------------------------------------ the bodies

def fill(head, unit, tail, size, sep=b","):
    """head + unit (sep unit)* + tail, as many units as fit in `size` bytes."""
    room = size - len(head) - len(tail)
    n = max(1, (room + len(sep)) // (len(unit) + len(sep)))
    return head + sep.join([unit] * n) + tail


def bodies(size):
    business = b'{"title":"probe","business":{"company_size":"small","industry":"retail",'
    technical = b'"technical":{"workload_types":["web_application"]}}'
    out = {}
    out["duplicates"] = fill(business + b'"geographic_regions":[', b"0", b"]}," + technical, size)
    out["enums"] = fill(business + b'"geographic_regions":[', b'"' + b"planet-x" * 32 + b'"', b"]}," + technical,
                        size)
    deep = b"[" * 60 + b"]" * 60
    out["nesting"] = fill(business + b'"geographic_regions":["eu"]},"nested":[', deep, b"]," + technical, size)
    head = business + b'"company_name":"T'
    tail = b'"},' + technical
    marks = (size - len(head) - len(tail)) // 2
    out["marks"] = head + "\u0301".encode() * marks + tail
    for name, body in out.items():
        assert len(body) <= size, (name, len(body))
        json.loads(body)  # each is JSON: the node must parse it to refuse it
    return out


# ------------------------------------------------------------------------------------ the cluster

class Cluster:
    def __init__(self, binary, body_limit, log):
        self.binary = binary
        self.log = log
        self.dir = tempfile.mkdtemp(prefix="probe-body-")
        self.procs = []
        self.ports = [(free_port(), free_port()) for _ in range(2)]
        self.body_limit = body_limit

    def start(self):
        names = ["node-1", "node-2"]
        certs = os.path.join(self.dir, "certs")
        subprocess.run([self.binary, "certs", "init", "--out", certs, "--names", *names, "--force"], check=True,
                       stdout=subprocess.DEVNULL)
        seeds = []
        for name, (port, _) in zip(names, self.ports):
            seeds += ["--seed", f"{name}@127.0.0.1:{port}"]
        for i, (name, (port, http_port)) in enumerate(zip(names, self.ports)):
            data = os.path.join(self.dir, name)
            os.makedirs(data)
            args = [self.binary, "node", "--name", name, "--port", str(port), "--http-port", str(http_port),
                    "--certs", certs, "--data-dir", data, *seeds]
            if self.body_limit:
                args += ["--body-limit", str(self.body_limit)]
            log = open(os.path.join(self.dir, f"{name}.log"), "wb")
            self.procs.append(subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT))
            log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if all(self.ready(i) for i in range(2)):
                return
            for i, p in enumerate(self.procs):
                if p.poll() is not None:
                    raise RuntimeError(f"node-{i + 1} exited ({p.returncode}):\n{self.log_tail(i)}")
            time.sleep(0.2)
        raise RuntimeError("the cluster was not ready in 60 s:\n" + self.log_tail(0) + self.log_tail(1))

    def log_tail(self, i):
        try:
            with open(os.path.join(self.dir, f"node-{i + 1}.log"), errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def http(self, i):
        return self.ports[i][1]

    def ready(self, i):
        try:
            status, body, _ = request(self.http(i), "GET", "/readyz", timeout=2)
            if status != 200:
                return False
            status, body, _ = request(self.http(i), "GET", "/v1/cluster", timeout=2)
            return status == 200 and body.count(b'"up"') >= 2
        except OSError:
            return False

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def request(port, method, path, body=None, timeout=120):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, data, response
    finally:
        conn.close()


# ------------------------------------------------------------------------------------ the probe

def probe(cluster, size, log):
    node1 = cluster.procs[0].pid
    sent = bodies(size)
    stop = threading.Event()
    healthz = {0: [], 1: []}
    healthz_errors = {0: 0, 1: 0}
    rss_samples = []
    views = []  # node-2's statuses of node-1

    def poll_healthz(i):
        while not stop.is_set():
            t0 = time.perf_counter()
            try:
                status, _, _ = request(cluster.http(i), "GET", "/healthz", timeout=10)
                if status != 200:
                    healthz_errors[i] += 1
            except OSError:
                healthz_errors[i] += 1
            healthz[i].append(time.perf_counter() - t0)
            stop.wait(0.02)

    def poll_rss():
        while not stop.is_set():
            value = rss_kib(node1, "VmRSS")
            if value:
                rss_samples.append(value)
            stop.wait(0.02)

    def poll_view():
        while not stop.is_set():
            try:
                status, body, _ = request(cluster.http(1), "GET", "/v1/cluster", timeout=10)
                if status == 200:
                    for member in json.loads(body).get("members", []):
                        if "node-1" in json.dumps(member.get("id", member.get("name", ""))):
                            views.append(member.get("status"))
            except (OSError, ValueError):
                views.append("unreachable")
            stop.wait(0.05)

    rss_before = rss_kib(node1, "VmRSS")
    pollers = [threading.Thread(target=poll_healthz, args=(i,)) for i in range(2)]
    pollers += [threading.Thread(target=poll_rss), threading.Thread(target=poll_view)]
    for t in pollers:
        t.start()
    time.sleep(0.5)  # a baseline before the bodies arrive

    results = {}

    def send(name, body):
        t0 = time.perf_counter()
        try:
            status, data, _ = request(cluster.http(0), "POST", "/v1/assessments", body=body)
            results[name] = (status, len(data), time.perf_counter() - t0, data[:160])
        except OSError as error:
            results[name] = (None, 0, time.perf_counter() - t0, str(error).encode())

    senders = [threading.Thread(target=send, args=item) for item in sent.items()]
    for t in senders:
        t.start()
    for t in senders:
        t.join()
    time.sleep(3)  # long enough for a stalled node to be suspected after the answers
    stop.set()
    for t in pollers:
        t.join()
    return dict(sent=sent, results=results, healthz=healthz, healthz_errors=healthz_errors,
                rss_before=rss_before, rss_peak=max(rss_samples) if rss_samples else None,
                hwm=rss_kib(node1, "VmHWM"), views=views, log2=cluster.log_tail(1))


def report(figures, check):
    failures = []
    print(f"{'body':<11} {'bytes':>8} {'status':>6} {'answer':>12} {'seconds':>8}  answer starts")
    for name, body in figures["sent"].items():
        status, size, seconds, head = figures["results"][name]
        print(f"{name:<11} {len(body):>8} {status!s:>6} {size:>12} {seconds:>8.3f}  "
              f"{head[:70].decode(errors='replace')!r}")
        if status is None or size >= ANSWER_BYTES or seconds >= ANSWER_SECONDS:
            failures.append(f"{name}: status {status}, {size} bytes in {seconds:.3f} s")
    for i in range(2):
        samples = sorted(figures["healthz"][i])
        worst = samples[-1] if samples else float("nan")
        median = samples[len(samples) // 2] if samples else float("nan")
        print(f"/healthz node-{i + 1}: {len(samples)} polls, median {median * 1000:.1f} ms, "
              f"max {worst * 1000:.1f} ms, errors {figures['healthz_errors'][i]}")
        if not samples or worst >= HEALTHZ_SECONDS or figures["healthz_errors"][i]:
            failures.append(f"node-{i + 1}'s /healthz: max {worst * 1000:.1f} ms, "
                            f"{figures['healthz_errors'][i]} errors")
    mib = lambda kib: f"{kib / 1024:.1f} MiB" if kib else "?"
    print(f"node-1 RSS: {mib(figures['rss_before'])} before, peak sampled {mib(figures['rss_peak'])}, "
          f"VmHWM {mib(figures['hwm'])}")
    seen = sorted(set(figures["views"]))
    suspected = [s for s in seen if s != "up"]
    log_lines = [line for line in figures["log2"].splitlines() if "membership:" in line and "node-1" in line
                 and ("suspect" in line or "down" in line)]
    print(f"node-2's view of node-1: {', '.join(seen) or 'never seen'}"
          f"{'; log: ' + log_lines[0].strip()[:160] if log_lines else ''}")
    if suspected or log_lines or not seen:
        failures.append(f"node-2 saw node-1 as {', '.join(suspected) or 'nothing'}")
    if check and failures:
        print("CHECK FAILED:\n  " + "\n  ".join(failures))
        return 1
    if check:
        print("check passed: every answer under 1 s and 64 KB, /healthz under 200 ms, no suspicion")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=".build/debug/inframind")
    parser.add_argument("--body-limit", type=int, default=0,
                        help="given to the nodes as --body-limit (default: theirs, 262144)")
    parser.add_argument("--body-bytes", type=int, default=0,
                        help="size of each body (default: the body limit)")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    binary = os.path.abspath(args.bin)
    size = args.body_bytes or args.body_limit or DEFAULT_BODY_LIMIT
    cluster = Cluster(binary, args.body_limit, print)

    def interrupted(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    try:
        cluster.start()
        print(f"2 nodes up (HTTP {cluster.http(0)}, {cluster.http(1)}); four bodies of {size} bytes to node-1")
        figures = probe(cluster, size, print)
    finally:
        cluster.stop()
    return report(figures, args.check)


if __name__ == "__main__":
    sys.exit(main())
