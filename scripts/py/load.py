"""Driver of scripts/load (see `scripts/load --help`): submission latency measured with wrk.

For each client count C a fresh local cluster is started (so no backlog carries over), C keep-alive
connections are spread over its nodes (one wrk process per node), and every connection POSTs a new
assessment, waits for the answer, thinks, and POSTs again. The wrk processes' latency histograms are
merged, so the percentiles are over every request of the window.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time

import cluster as clusterlib
import imload

T0 = time.monotonic()


def log(*a):
    print(f"[{time.monotonic() - T0:7.1f}s]", *a, file=sys.stderr, flush=True)


def read_wrk_out(path):
    out = {"latency": {}, "status": {}, "errors": {}}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if parts[0] == "latency_us":
                out["latency"][int(parts[1])] = out["latency"].get(int(parts[1]), 0) + int(parts[2])
            elif parts[0] == "status":
                out["status"][parts[1]] = out["status"].get(parts[1], 0) + int(parts[2])
            elif parts[0].startswith("error_"):
                out["errors"][parts[0][6:]] = int(parts[1])
            else:
                out[parts[0]] = int(parts[1])
    return out


def percentile(histogram, p):
    """Nearest rank over a {value: count} histogram."""
    total = sum(histogram.values())
    if total == 0:
        return float("nan")
    rank = max(1, int(round(p / 100.0 * total + 0.5 - 1e-9)))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return max(histogram)


def split(total, parts):
    """`total` connections over `parts` nodes, as even as possible, none empty."""
    parts = min(parts, total)
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def run_level(a, clients, think_ms):
    cl = clusterlib.Cluster(a.root, a.bin, a.nodes, a.base_port, a.node_arg, log=log)
    try:
        cl.up()
        time.sleep(1.0)  # every member's first gossip round settled
        pids = [cl.pid(i) for i in range(1, a.nodes + 1)]
        body = os.path.join(a.workdir, "body.json")
        with open(body, "wb") as f:
            f.write(imload.RequestFactory(os.path.join(a.root, "examples")).make(1)[1])
        procs = []
        cpu0 = sum(imload.proc_cpu_s(p) for p in pids)
        tot0, idle0 = imload.sys_busy()
        try:
            # Started inside the try: a failed start or a SIGTERM between two still stops those running.
            for node, conns in enumerate(split(clients, a.entry_nodes or a.nodes), start=1):
                out = os.path.join(a.workdir, f"wrk-c{clients}-node{node}.txt")
                env = dict(os.environ, SUBMIT_BODY=body, THINK_MS=str(think_ms), WRK_OUT=out,
                           KEYED_TAG=f"load-{int(time.time())}-c{clients}-n{node}" if a.keyed else "")
                cmd = [a.wrk, "-t1", f"-c{conns}", f"-d{a.duration}s", "--timeout", "30s",
                       "-s", os.path.join(a.root, "scripts", "lua", "submit.lua"),
                       f"http://{cl.http(node)}/v1/assessments"]
                procs.append((subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE),
                              out))
            for proc, _ in procs:
                proc.wait(timeout=a.duration + 60)
        finally:
            for proc, _ in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        cpu1 = sum(imload.proc_cpu_s(p) for p in pids)
        tot1, idle1 = imload.sys_busy()
        merged = {"latency": {}, "status": {}, "errors": {}, "requests": 0}
        for proc, out in procs:
            if proc.returncode != 0:
                raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr.read().decode(errors='replace')}")
            one = read_wrk_out(out)
            for k, v in one["latency"].items():
                merged["latency"][k] = merged["latency"].get(k, 0) + v
            for k, v in one["status"].items():
                merged["status"][k] = merged["status"].get(k, 0) + v
            for k, v in one["errors"].items():
                merged["errors"][k] = merged["errors"].get(k, 0) + v
            merged["requests"] += one["requests"]
            merged["duration_us"] = max(merged.get("duration_us", 0), one.get("duration_us", 0))
        texts = [cl.metrics(i) for i in range(1, a.nodes + 1)]

        def summed(name):
            values = [imload.parse_prometheus(text, name) for text in texts]
            return sum(values) if all(v is not None for v in values) else None

        completed = summed("inframind_assessments_completed_total")
        # Counted by the owner once a majority stored the record: where the assessments went.
        owned = [imload.parse_prometheus(text, "inframind_submissions_accepted_total") for text in texts]
        store = {name: summed(f"inframind_store_{name}") for name in
                 ("commits_total", "replica_writes_total", "checkpoints_total", "checkpoint_failures_total")}
    finally:
        cl.down()
    h = merged["latency"]
    res = {"clients": clients, "think_ms": think_ms, "keyed": a.keyed, "requests": merged["requests"],
           "per_s": merged["requests"] / (merged["duration_us"] / 1e6 if merged.get("duration_us") else a.duration), "status": merged["status"], "errors": merged["errors"],
           "p50_ms": percentile(h, 50) / 1000, "p90_ms": percentile(h, 90) / 1000,
           "p99_ms": percentile(h, 99) / 1000, "max_ms": max(h) / 1000 if h else float("nan"),
           "nodes_cpu_cores": (cpu1 - cpu0) / a.duration,
           "machine_busy_pct": 100.0 * (1 - (idle1 - idle0) / (tot1 - tot0)) if tot1 > tot0 else None,
           "completed_by_end": completed, "owned_by_node": owned, "store": store}
    log(f"C={clients} think {think_ms} ms: {res['requests']} POSTs ({res['per_s']:.0f}/s) status {res['status']} "
        f"errors {res['errors']}; p50 {res['p50_ms']:.2f} p90 {res['p90_ms']:.2f} p99 {res['p99_ms']:.2f} "
        f"max {res['max_ms']:.2f} ms; nodes {res['nodes_cpu_cores']:.2f} cores, machine {res['machine_busy_pct'] or 0:.0f} % busy, "
        f"{completed} assessments completed; owners accepted {owned} (node 1 first)")
    return res


def main():
    # scripts/load stops this driver with SIGTERM: unwind, so the wrk processes and the cluster are
    # stopped by the `finally` blocks.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--wrk", default="wrk")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--nodes", type=int, default=3)
    ap.add_argument("--base-port", type=int, default=None)
    ap.add_argument("--clients", default="1,16,128")
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--think-ms", type=float, default=0.0)
    ap.add_argument("--rate", type=float, default=None)
    ap.add_argument("--keyed", action="store_true")
    ap.add_argument("--entry-nodes", type=int, default=None)
    ap.add_argument("--node-arg", action="append", default=[])
    a = ap.parse_args()
    if a.entry_nodes is not None and not 1 <= a.entry_nodes <= a.nodes:
        ap.error(f"--entry-nodes must be between 1 and --nodes ({a.nodes})")
    results = []
    for clients in [int(c) for c in a.clients.split(",")]:
        # --rate: each client thinks long enough that all of them together submit about `rate` per
        # second (less when answers are slow), whatever their number.
        think = a.think_ms if a.rate is None else max(0.0, 1000.0 * clients / a.rate)
        results.append(run_level(a, clients, think))
    with open(os.path.join(a.workdir, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    print(f"{'clients':>7} {'think ms':>9} {'POST/s':>7} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'max ms':>7}  statuses")
    for r in results:
        print(f"{r['clients']:>7} {r['think_ms']:>9.0f} {r['per_s']:>7.0f} {r['p50_ms']:>7.2f} {r['p90_ms']:>7.2f} "
              f"{r['p99_ms']:>7.2f} {r['max_ms']:>7.2f}  {' '.join(f'{k}×{v}' for k, v in sorted(r['status'].items()))}")


if __name__ == "__main__":
    main()
