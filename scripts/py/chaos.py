"""Driver of scripts/chaos (see `scripts/chaos --help`).

Phase 1 (chaos): a fresh cluster; assessments submitted at a steady rate to random nodes (with an
Idempotency-Key, retried on another node when a node does not answer); the seeded fault schedule
of faults.py runs meanwhile; then every node is brought back, every acknowledged assessment is
awaited, and each report is compared with `inframind assess` of the same request bytes.

Phase 2 (whole-cluster crash): a fresh cluster; assessments submitted; every node SIGKILLed at
once while they run; every node restarted on its data; every acknowledged assessment must still
be known and must complete with the reference report.
"""

import argparse
import json
import os
import signal
import random
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import cluster as clusterlib
import faults as faultlib
import imload

T0 = time.monotonic()


def log(*a):
    print(f"[{time.monotonic() - T0:7.1f}s]", *a, file=sys.stderr, flush=True)


class Run:
    """The book-keeping of one phase: what was submitted and acknowledged, and what each became."""

    def __init__(self, cl, factory, refs, rng, label):
        self.cl = cl
        self.factory = factory
        self.refs = refs
        self.rng = rng
        self.rng_lock = threading.Lock()
        self.label = label
        self.lock = threading.Lock()
        self.submitted = 0
        self.acked = {}        # id -> {"seq", "body", "t_ack", "node"}
        self.keys = {}         # idempotency key -> id
        self.duplicated = 0    # a key that got two different ids
        self.rejected = []     # 4xx answers (a bug in the request generator or the API)
        self.unacked = 0
        self.final = {}        # id -> (status, t)
        self.snap = {}         # id -> (t, status body)
        self.out = set()       # nodes known to be killed/stopped (the observer avoids them)
        self.watches = []      # recovery measurements: {"t", "fault", "pending": {(id, agent)}, "done": []}
        self.requeue_max = {}  # (node, pid) -> largest requeue counter seen
        self.requeue_metric = None
        self.client = imload.Client(timeout=5.0)

    def pick(self, exclude=()):
        with self.rng_lock:
            choices = [i for i in range(1, self.cl.nodes + 1) if i not in exclude]
            return self.rng.choice(choices) if choices else self.rng.randrange(1, self.cl.nodes + 1)

    def live_nodes(self):
        with self.lock:
            out = set(self.out)
        return [i for i in range(1, self.cl.nodes + 1) if i not in out] or list(range(1, self.cl.nodes + 1))

    # -------------------------------------------------------------- submission
    def submit(self, seq, attempts=8, timeout=10.0):
        _, body = self.factory.make(seq)
        key = f"chaos-{self.label}-{seq}"
        with self.lock:
            self.submitted += 1
        tried = []
        ids = set()
        # A client as a user would write it: another node after a refusal, and backing off (0.1 s
        # doubling to 1.6 s, about 5 s in all) while the cluster answers 503 during a fault.
        for attempt in range(attempts):
            node = self.pick(exclude=tried)
            tried = (tried + [node])[-(self.cl.nodes - 1):]
            try:
                status, aid, _ = self.client.submit(self.cl.http(node), body, key, timeout=timeout)
            except Exception as e:  # refused, reset, timed out: try another node
                log(f"submit {seq} to node-{node}: {type(e).__name__}")
                time.sleep(0.1)
                continue
            if aid:
                ids.add(aid)
                with self.lock:
                    if len(ids) > 1 or (key in self.keys and self.keys[key] != aid):
                        self.duplicated += 1
                    self.keys[key] = aid
                    if aid not in self.acked:
                        self.acked[aid] = {"seq": seq, "body": body, "t_ack": time.monotonic(), "node": node}
                return aid
            if 400 <= status < 500 and status not in (408, 429):
                with self.lock:
                    self.rejected.append((seq, status))
                return None
            time.sleep(min(1.6, 0.1 * 2 ** attempt))  # 503 (no quorum), 429, 5xx
        with self.lock:
            self.unacked += 1
        return None

    # -------------------------------------------------------------- observation
    def pending(self):
        with self.lock:
            return [a for a in self.acked if a not in self.final]

    def observe(self, aid, timeout=1.0):
        """One GET of the assessment's status from a live node; records it."""
        live = self.live_nodes()
        node = live[hash((aid, time.monotonic())) % len(live)]
        try:
            code, body = self.client.status(self.cl.http(node), aid, timeout=timeout)
        except Exception:
            return None
        if code != 200 or not isinstance(body, dict):
            return None
        now = time.monotonic()
        with self.lock:
            self.snap[aid] = (now, body)
            if body.get("status") in imload.FINAL and aid not in self.final:
                self.final[aid] = (body["status"], now)
            for w in self.watches:
                for (wid, agent) in list(w["pending"]):
                    if wid != aid:
                        continue
                    st = agent_state(body, agent)
                    # "Running again": first seen running (or finished) on a node that was not faulted.
                    if (wid, agent) not in w["restarted"] and st in ("running", "succeeded", "completed") \
                            and agent_node(body, agent) and not node_matches(agent_node(body, agent), w["names"]):
                        w["restarted"][(wid, agent)] = now - w["t"]
                    if st in ("succeeded", "completed") or body.get("status") == "completed":
                        w["pending"].discard((wid, agent))
                        # Finished by the faulted node itself (just before a kill, or after a pause
                        # ended): nothing was requeued, so it is no recovery sample.
                        if node_matches(agent_node(body, agent), w["names"]):
                            w["self_finished"] += 1
                        else:
                            w["done"].append(now - w["t"])
        return body

    def tracker(self, stop):
        """Polls every unfinished acknowledged assessment, the ones a fault is watching first."""
        while not stop.is_set():
            with self.lock:
                watched = {a for w in self.watches for (a, _) in w["pending"]}
            todo = [a for a in watched if a not in self.final] + [a for a in self.pending() if a not in watched]
            if not todo:
                time.sleep(0.05)
                continue
            t_round = time.monotonic()
            for aid in todo:
                if stop.is_set():
                    break
                self.observe(aid)
                if time.monotonic() - t_round > 0.5 and watched:
                    break  # go back to the watched ones
            time.sleep(0.01)

    def watch_fault(self, fault, t):
        """Starts a recovery measurement: agents the latest snapshots show running on the faulted nodes."""
        names = {self.cl.name(i) for i in fault["nodes"]}
        pend = set()
        with self.lock:
            for aid, (ts, body) in self.snap.items():
                if aid in self.final or t - ts > 3.0:
                    continue
                for ag in (body.get("progress") or {}).get("agents") or []:
                    if ag.get("state") == "running" and node_matches(ag.get("node"), names):
                        pend.add((aid, ag.get("name")))
            w = {"t": t, "fault": fault, "pending": pend, "done": [], "hit": len(pend), "names": names,
                 "self_finished": 0, "restarted": {}}
            self.watches.append(w)
        return w

    def scrape(self, stop, period=2.0):
        """Largest value of the requeue counter per node incarnation (a restart resets a counter)."""
        while not stop.wait(period):
            for i in self.live_nodes():
                pid = self.cl.pid(i)
                try:
                    text = self.cl.metrics(i, timeout=1.0)
                except Exception:
                    continue
                v, name = requeue_count(text)
                if v is None:
                    continue
                with self.lock:
                    self.requeue_metric = name
                    k = (i, pid)
                    self.requeue_max[k] = max(self.requeue_max.get(k, 0.0), v)

    def requeues(self):
        with self.lock:
            return int(sum(self.requeue_max.values())) if self.requeue_max else None

    def agent_retries(self):
        """Σ (attempts − 1) over the agents of the final snapshots: requeues and retries seen by the API."""
        n = 0
        with self.lock:
            for aid in self.final:
                body = self.snap.get(aid, (0, {}))[1]
                for ag in (body.get("progress") or {}).get("agents") or []:
                    n += max(0, int(ag.get("attempts") or 0) - 1)
        return n

    # -------------------------------------------------------------- the end
    def wait_all(self, timeout):
        t0 = time.monotonic()
        last = None
        while time.monotonic() - t0 < timeout:
            left = self.pending()
            if not left:
                return True
            if last is None or time.monotonic() - last > 10:
                log(f"{self.label}: waiting for {len(left)} of {len(self.acked)} acknowledged assessments")
                last = time.monotonic()
            time.sleep(0.2)
        return not self.pending()

    def classify_missing(self):
        """For each unfinished id: 'unknown' (404 on every node) or its last status."""
        res = {}
        for aid in self.pending():
            seen = []
            for i in range(1, self.cl.nodes + 1):
                try:
                    code, body = self.client.status(self.cl.http(i), aid, timeout=3.0)
                    seen.append(body.get("status") if code == 200 and body else str(code))
                except Exception as e:
                    seen.append(type(e).__name__)
            final = next((s for s in seen if s in imload.FINAL), None)
            if final:  # finished just after the deadline: not lost
                with self.lock:
                    self.final.setdefault(aid, (final, time.monotonic()))
                continue
            res[aid] = "unknown" if all(s == "404" for s in seen) else ",".join(map(str, seen))
        return res

    def check_reports(self, workers=2):
        """(mismatched, examples of differences) over the completed assessments."""
        done = [a for a, (s, _) in self.final.items() if s == "completed"]
        bad = []

        def one(aid):
            body = self.acked[aid]["body"]
            for _ in range(5):
                node = self.pick()
                try:
                    code, data = self.client.report(self.cl.http(node), aid, timeout=5.0)
                except Exception:
                    continue
                if code == 200:
                    d = self.refs.compare(body, data)
                    return (aid, d) if d else None
            return (aid, "report not served by any node")

        with ThreadPoolExecutor(workers) as ex:
            for r in ex.map(one, done):
                if r:
                    bad.append(r)
        return bad


def keep_logs(cl, phase):
    """Copies the nodes' logs to .cluster/chaos-logs/<phase>/ (the next cluster-up truncates them)."""
    dest = os.path.join(cl.root, ".cluster", "chaos-logs", phase)
    os.makedirs(dest, exist_ok=True)
    for i in range(1, cl.nodes + 1):
        src = os.path.join(cl.root, ".cluster", f"node-{i}", "log")
        if os.path.exists(src):
            with open(src, "rb") as f, open(os.path.join(dest, f"node-{i}.log"), "wb") as g:
                g.write(f.read())
    log(f"node logs kept in {os.path.relpath(dest, cl.root)}/")


def agent_state(body, agent):
    for ag in (body.get("progress") or {}).get("agents") or []:
        if ag.get("name") == agent:
            return ag.get("state")
    return None


def agent_node(body, agent):
    for ag in (body.get("progress") or {}).get("agents") or []:
        if ag.get("name") == agent:
            return ag.get("node")
    return None


def node_matches(node, names):
    if not node:
        return False
    return any(re.search(rf"(^|[^\w-]){re.escape(n)}($|[^\w-])", str(node)) for n in names)


def requeue_count(text):
    """Σ of every counter whose name contains 'requeue' (no _created series)."""
    total, name = None, None
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        metric = line.split("{", 1)[0].split(" ", 1)[0]
        if "requeue" in metric and not metric.endswith("_created"):
            v = imload.parse_prometheus(line, metric)
            if v is not None:
                total, name = (total or 0.0) + v, metric
    return total, name


# ------------------------------------------------------------------ phase 1
def run_faults(run, cl, schedule, t_start, stop, max_down):
    for f in schedule:
        if stop.wait(max(0.0, t_start + f["t"] - time.monotonic())):
            return
        victims = f["nodes"]
        # runtime guard on top of the schedule: never more than a minority out or not ready
        # (a healed node counts as out until its /readyz answers 200; see heal)
        with run.lock:
            out = set(run.out)
        out |= {i for i in range(1, cl.nodes + 1) if not cl.alive(i)}
        if len(out | set(victims)) > max_down or out & set(victims):
            log(f"fault {f['kind']} {victims} skipped: nodes {sorted(out)} are still out")
            f["skipped"] = True
            continue
        with run.lock:
            run.out.update(victims)
        t = time.monotonic()
        for i in victims:
            cl.signal(i, f["signal"])
        f["at"] = round(t - t_start, 2)
        w = run.watch_fault(f, t)
        log(f"fault {f['kind']} node(s) {victims} (SIG{f['signal']}); {w['hit']} running agent(s) there")
        if stop.wait(max(0.0, t_start + f["heal_t"] - time.monotonic())):
            heal(run, cl, f)
            return
        heal(run, cl, f)


def heal(run, cl, f):
    for i in f["nodes"]:
        if f["signal"] == "STOP":
            cl.signal(i, "CONT")
        else:
            if not cl.wait_gone(i, 20.0):
                log(f"node-{i} still running 20 s after SIG{f['signal']}: SIGKILL")
                cl.signal(i, "KILL")
                cl.wait_gone(i, 5.0)
            cl.start(i)
    log(f"healed {f['kind']} node(s) {f['nodes']}")

    def mark_ready():
        for i in f["nodes"]:
            t0 = time.monotonic()
            while time.monotonic() - t0 < 60 and not cl.ready(i, timeout=0.5):
                time.sleep(0.1)
        with run.lock:
            run.out.difference_update(f["nodes"])

    threading.Thread(target=mark_ready, daemon=True).start()


def phase_chaos(a, cl, factory, refs):
    log(f"chaos: {a.nodes} nodes, {a.assessments} assessments over {a.duration:.0f} s, seed {a.seed}, "
        f"at most {a.max_down} node(s) out at once, node arguments: {' '.join(cl.node_args)}")
    cl.up()
    rng = random.Random(a.seed)
    schedule = faultlib.schedule(a.seed, a.nodes, a.duration, max_down=a.max_down)
    faultlib.check(schedule, a.nodes, a.max_down)
    log("fault schedule: " + "; ".join(f"{f['t']:.1f}s {f['kind']} {f['nodes']} heal {f['heal_t']:.1f}s"
                                      for f in schedule))
    run = Run(cl, factory, refs, rng, f"s{a.seed}")
    stop = threading.Event()
    bg = [threading.Thread(target=run.tracker, args=(stop,), daemon=True),
          threading.Thread(target=run.scrape, args=(stop,), daemon=True)]
    for t in bg:
        t.start()
    t_start = time.monotonic()
    fthread = threading.Thread(target=run_faults, args=(run, cl, schedule, t_start, stop, a.max_down), daemon=True)
    fthread.start()
    rate = a.assessments / a.duration
    with ThreadPoolExecutor(a.submitters) as ex:
        futs = []
        for seq in range(a.assessments):
            delay = t_start + seq / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            futs.append(ex.submit(run.submit, seq))
        for f in futs:
            f.result()
    fthread.join()
    # every node back and ready before the final wait
    for i in range(1, a.nodes + 1):
        if not cl.alive(i):
            log(f"node-{i} is not running at the end of the load: starting it")
            cl.start(i)
        else:
            cl.signal(i, "CONT")
    cl.wait_ready(range(1, a.nodes + 1), timeout=60)
    with run.lock:
        run.out.clear()
    log(f"load done: submitted {run.submitted}, acknowledged {len(run.acked)}; waiting for the rest")
    run.wait_all(a.wait)
    stop.set()
    missing = run.classify_missing()
    # one last scrape so the counters of the final incarnations are in
    stop2 = threading.Event()
    stop2.set()
    for i in range(1, a.nodes + 1):
        try:
            v, name = requeue_count(cl.metrics(i))
            if v is not None:
                run.requeue_max[(i, cl.pid(i))] = max(run.requeue_max.get((i, cl.pid(i)), 0.0), v)
                run.requeue_metric = name
        except Exception:
            pass
    log("comparing reports with `inframind assess` of the same requests…")
    bad = run.check_reports()
    completed = sum(1 for s, _ in run.final.values() if s == "completed")
    failed = sum(1 for s, _ in run.final.values() if s != "completed")
    recoveries = [max(w["done"]) for w in run.watches if w["done"]]

    def worst(kinds, what="done"):
        xs = [max(w[what].values() if isinstance(w[what], dict) else w[what])
              for w in run.watches if w[what] and w["fault"]["kind"] in kinds]
        return round(max(xs), 2) if xs else None
    for w in run.watches:
        f = w["fault"]
        log(f"fault at {f.get('at')} s: {f['kind']} {f['nodes']}: {w['hit']} running agent(s) there, "
            f"running again elsewhere after " + (", ".join(f"{x:.2f}" for x in sorted(w["restarted"].values())) or "-")
            + " s, finished elsewhere after " + (", ".join(f"{x:.2f}" for x in sorted(w["done"])) or "-") + " s"
            + (f"; {w['self_finished']} finished by the faulted node itself" if w["self_finished"] else "")
            + (f"; {len(w['pending'])} never seen finishing" if w["pending"] else ""))
    unrecovered = sum(len(w["pending"]) for w in run.watches)
    res = {"submitted": run.submitted, "acknowledged": len(run.acked), "completed": completed, "failed": failed,
           "lost": len(missing), "mismatched": len(bad), "requeues": run.requeues(),
           "max_recovery_s": round(max(recoveries), 2) if recoveries else None,
           "max_recovery_kill_s": worst({"kill", "kill2"}), "max_recovery_stop_s": worst({"stop"}),
           "max_running_again_kill_s": worst({"kill", "kill2"}, "restarted"),
           "max_running_again_stop_s": worst({"stop"}, "restarted"),
           "duplicated": run.duplicated, "unacknowledged": run.unacked, "rejected": len(run.rejected),
           "agent_retries": run.agent_retries(), "faults": sum(1 for f in schedule if "at" in f),
           "faults_skipped": sum(1 for f in schedule if f.get("skipped")),
           "recovery_samples": len(recoveries), "unrecovered_agents_at_end": unrecovered}
    for aid, why in list(missing.items())[:10]:
        log(f"LOST {aid} (seq {run.acked[aid]['seq']}, acknowledged at "
            f"{run.acked[aid]['t_ack'] - t_start:.1f} s by node-{run.acked[aid]['node']}): {why}")
    for aid, why in bad[:10]:
        log(f"MISMATCH {aid} (seq {run.acked[aid]['seq']}): {why}")
    for aid, (s, _) in list(run.final.items()):
        if s != "completed":
            body = run.snap.get(aid, (0, {}))[1]
            log(f"FAILED {aid}: {s} {json.dumps(body)[:300]}")
    for seq, status in run.rejected[:5]:
        log(f"REJECTED seq {seq}: HTTP {status}")
    if run.requeue_metric:
        log(f"requeues from /metrics ({run.requeue_metric}, summed over node incarnations)")
    else:
        log("no requeue counter in /metrics: requeues= shows agent_retries (Σ attempts − 1 from GET status)")
        res["requeues"] = res["agent_retries"]
    res["schedule"] = schedule
    for aid in missing:
        res.setdefault("lost_ids", []).append({"id": aid, "seq": run.acked[aid]["seq"],
                                               "acknowledged_at_s": round(run.acked[aid]["t_ack"] - t_start, 2)})
    cl.down()
    keep_logs(cl, "chaos")
    return res


# ------------------------------------------------------------------ phase 2
def phase_crash(a, cl, factory, refs):
    n = a.crash_assessments
    log(f"whole-cluster crash: {a.nodes} fresh nodes, {n} assessments, then SIGKILL of every node")
    cl.up()
    run = Run(cl, factory, refs, random.Random(a.seed + 1), f"crash{a.seed}")
    with ThreadPoolExecutor(8) as ex:
        list(ex.map(lambda s: run.submit(1_000_000 + s, timeout=10.0), range(n)))
    acked = set(run.acked)
    # a snapshot of where they are, then kill every node at once
    for aid in list(acked):
        run.observe(aid)
    before = {s: sum(1 for aid in acked if run.snap.get(aid, (0, {}))[1].get("status") == s)
              for s in ("queued", "running", "completed")}
    pids = [cl.pid(i) for i in range(1, a.nodes + 1)]
    for p in pids:
        try:
            os.kill(p, 9)
        except ProcessLookupError:
            pass
    log(f"SIGKILLed every node (pids {pids}); acknowledged {len(acked)}, by status before the kill: {before}")
    for i in range(1, a.nodes + 1):
        cl.wait_gone(i, 10.0)
    run.final.clear()
    for i in range(1, a.nodes + 1):
        cl.start(i)
    cl.wait_ready(range(1, a.nodes + 1), timeout=90)
    log("every node restarted on its data and ready")
    stop = threading.Event()
    tr = threading.Thread(target=run.tracker, args=(stop,), daemon=True)
    tr.start()
    run.wait_all(a.wait)
    stop.set()
    tr.join()
    missing = run.classify_missing()
    bad = run.check_reports()
    completed = sum(1 for s, _ in run.final.values() if s == "completed")
    res = {"acknowledged": len(acked), "present": len(acked) - sum(1 for w in missing.values() if w == "unknown"),
           "completed": completed, "lost": len(missing), "mismatched": len(bad),
           "failed": sum(1 for s, _ in run.final.values() if s != "completed"), "before_kill": before}
    for aid, why in list(missing.items())[:10]:
        log(f"CRASH LOST {aid}: {why}")
    for aid, why in bad[:10]:
        log(f"CRASH MISMATCH {aid}: {why}")
    cl.down()
    keep_logs(cl, "crash")
    return res


def main():
    # SIGTERM (from the wrapper's trap) unwinds through the finally blocks that stop what we started
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser(prog="scripts/chaos")
    ap.add_argument("--root", required=True)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--nodes", type=int, default=3)
    ap.add_argument("--assessments", type=int, default=60)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--base-port", type=int, default=None)
    ap.add_argument("--agent-sleep-ms", type=int, default=100)
    ap.add_argument("--agent-cpu-iterations", type=int, default=0)
    ap.add_argument("--node-arg", action="append", default=[])
    ap.add_argument("--replicas", type=int, default=None,
                    help="replication factor given to the nodes (default: 5 when --nodes >= 5, else the node's own)")
    ap.add_argument("--wait", type=float, default=180.0)
    ap.add_argument("--submitters", type=int, default=16)
    ap.add_argument("--crash-assessments", type=int, default=30)
    ap.add_argument("--skip", default="", help="chaos,crash")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    if a.nodes < 3:
        raise SystemExit("--nodes must be at least 3 (a minority of fewer is nobody)")
    skip = set(filter(None, a.skip.split(",")))
    node_args = clusterlib.slowdown_args(a.bin, a.agent_sleep_ms, a.agent_cpu_iterations) + a.node_arg
    # Two nodes down at once must stay a minority of every replica set: from 5 nodes on, 5 replicas.
    if a.replicas is None and a.nodes >= 5:
        a.replicas = 5
    if a.replicas is not None:
        node_args += clusterlib.replication_args(a.bin, a.replicas)
    a.max_down = min(faultlib.max_minority(a.nodes), faultlib.max_minority(a.replicas or min(3, a.nodes)))
    cl = clusterlib.Cluster(a.root, a.bin, a.nodes, a.base_port, node_args, log=log)
    factory = imload.RequestFactory(os.path.join(a.root, "examples"))
    refs = imload.References(a.bin)
    ok = True
    out = {}
    try:
        if "chaos" not in skip:
            r = out["chaos"] = phase_chaos(a, cl, factory, refs)
            keys = ("submitted", "acknowledged", "completed", "failed", "lost", "mismatched", "requeues",
                    "max_recovery_s")
            extra = ("max_recovery_kill_s", "max_recovery_stop_s", "max_running_again_kill_s",
                     "max_running_again_stop_s", "duplicated", "unacknowledged", "rejected",
                     "agent_retries", "faults", "faults_skipped", "recovery_samples")
            print(" ".join(f"{k}={fmt(r[k])}" for k in keys + extra), flush=True)
            ok &= r["lost"] == 0 and r["mismatched"] == 0 and r["failed"] == 0 and r["duplicated"] == 0 \
                and r["rejected"] == 0 and r["acknowledged"] > 0
        if "crash" not in skip:
            r = out["crash"] = phase_crash(a, cl, factory, refs)
            print("whole-cluster crash: " + " ".join(f"{k}={fmt(v)}" for k, v in r.items() if k != "before_kill"),
                  flush=True)
            ok &= r["lost"] == 0 and r["mismatched"] == 0 and r["failed"] == 0 and r["acknowledged"] > 0
    finally:
        cl.down()
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    print("chaos: PASS" if ok else "chaos: FAIL", flush=True)
    sys.exit(0 if ok else 1)


def fmt(v):
    return "-" if v is None else v


if __name__ == "__main__":
    main()
