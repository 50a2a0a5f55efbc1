#!/usr/bin/env python3
"""The archive under a run of assessments (docs/archive.md, "Figures").

Starts nx-27017 on a free loopback port, a local cluster (scripts/cluster-up) archiving into it,
submits N assessments at a fixed rate and, with --outage S, kills nx-27017 for S seconds in the
middle of the run. Then waits until every node's queue is empty and reads the documents back with
pymongo: documents vs assessments, duplicates, lag from final state (updated_at) to document
(archived_at) p50/p99/max, and for an outage the pending peak (sum over the nodes of
/v1/archive/status "pending") and the time from the archive's return to an empty queue.
Every process it starts is stopped by PID (the cluster by scripts/cluster-down).

Run with the interpreter of a virtual environment that has pymongo (scripts/archive-run does).
"""
import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def free_port():
    while True:
        port = random.randint(20000, 31999)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue


def http(method, url, body=None):
    request = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class NX:
    def __init__(self, executable, directory):
        self.executable, self.directory = executable, directory
        self.port = free_port()
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [self.executable, "--db", os.path.join(self.directory, "archive.db"), "--host", "127.0.0.1",
             "-p", str(self.port), "--log-file", os.path.join(self.directory, "nx.log"),
             "--pid-file", os.path.join(self.directory, "nx.pid")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while time.time() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise SystemExit("nx-27017 did not start")

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None
        # A SIGKILLed nx-27017 leaves its pid file; scripts/bench's exit trap reads it to stop a server
        # nobody stopped, so it must not name a process that is gone.
        try:
            os.remove(os.path.join(self.directory, "nx.pid"))
        except FileNotFoundError:
            pass


def percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[index]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="the inframind binary")
    ap.add_argument("--nx", required=True, help="the nx-27017 executable")
    ap.add_argument("--nodes", type=int, default=3)
    ap.add_argument("--assessments", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=10.0, help="submissions per second")
    ap.add_argument("--outage", type=float, default=0.0, help="seconds the archive is down mid-run")
    ap.add_argument("--base-port", type=int, default=7400)
    a = ap.parse_args()
    import pymongo

    directory = tempfile.mkdtemp(prefix="inframind-archive-run-")
    nx = NX(a.nx, directory)
    nx.start()
    uri = f"mongodb://127.0.0.1:{nx.port}/?serverSelectionTimeoutMS=2000"
    database = "archive_run"
    http_base = a.base_port + 1000
    up = [os.path.join(ROOT, "scripts/cluster-up"), "--nodes", str(a.nodes), "--base-port", str(a.base_port),
          "--http-base-port", str(http_base), "--bin", a.bin, "--",
          "--archive-mongodb-uri", uri, "--archive-database", database]
    apis = [f"http://127.0.0.1:{http_base + i}" for i in range(1, a.nodes + 1)]
    example = open(os.path.join(ROOT, "examples/healthcare-startup-7b.json"), "rb").read()
    try:
        subprocess.run(up, check=True, stdout=subprocess.DEVNULL)
        ids, pending_peak = [], 0
        outage_start = outage_end = None
        mid = a.assessments / a.rate / 2
        start = time.time()
        for n in range(a.assessments):
            due = start + n / a.rate
            while time.time() < due:
                time.sleep(max(0.0, min(0.01, due - time.time())))
            now = time.time() - start
            if a.outage and outage_start is None and now >= mid - a.outage / 2:
                nx.kill()
                outage_start = time.time()
            if outage_start and outage_end is None and time.time() - outage_start >= a.outage:
                nx.start()
                outage_end = time.time()
            status, body = http("POST", apis[n % len(apis)] + "/v1/assessments", example)
            if status != 202:
                raise SystemExit(f"submission {n}: {status} {body[:200]}")
            ids.append(json.loads(body)["id"])
            if outage_start and outage_end is None and n % 20 == 0:
                pending_peak = max(pending_peak, sum(
                    json.loads(http("GET", api + "/v1/archive/status")[1])["pending"] for api in apis))
        while outage_start and outage_end is None:
            pending_peak = max(pending_peak, sum(
                json.loads(http("GET", api + "/v1/archive/status")[1])["pending"] for api in apis))
            if time.time() - outage_start >= a.outage:
                nx.start()
                outage_end = time.time()
            time.sleep(0.5)
        submitted = time.time() - start
        # Every assessment final, then every queue empty (owners' and replicas').
        for id in ids:
            while json.loads(http("GET", apis[0] + f"/v1/assessments/{id}")[1]).get("status") not in (
                    "completed", "failed", "cancelled"):
                time.sleep(0.2)
        drained = None
        while True:
            statuses = [json.loads(http("GET", api + "/v1/archive/status")[1]) for api in apis]
            if sum(s["pending"] for s in statuses) == 0 and drained is None:
                drained = time.time()
            if sum(s["pending"] + s["standby"] for s in statuses) == 0:
                break
            time.sleep(0.5)
        client = pymongo.MongoClient(uri)
        documents = list(client[database]["assessments"].find({}, {"_id": 1, "updated_at": 1, "archived_at": 1}))
        found = [d["_id"] for d in documents]
        # archived_at is the newest writer's; a replica standing in rewrites nothing (guarded upsert),
        # so this is the first successful write of the final state.
        lags = [(d["archived_at"] - d["updated_at"]).total_seconds() for d in documents]
        result = {
            "assessments": len(ids), "documents": len(found), "distinct_documents": len(set(found)),
            "missing": len(set(ids) - set(found)), "duplicates": len(found) - len(set(found)),
            "submission_seconds": round(submitted, 1),
            "lag_p50_s": round(percentile(lags, 50), 3), "lag_p99_s": round(percentile(lags, 99), 3),
            "lag_max_s": round(max(lags), 3) if lags else None,
        }
        if a.outage:
            result["outage_seconds"] = round(outage_end - outage_start, 1)
            result["pending_peak"] = pending_peak
            result["drain_seconds_after_return"] = round((drained or time.time()) - outage_end, 1)
        print(json.dumps(result, indent=2))
    finally:
        subprocess.run([os.path.join(ROOT, "scripts/cluster-down")], stdout=subprocess.DEVNULL)
        nx.kill()


if __name__ == "__main__":
    sys.exit(main())
