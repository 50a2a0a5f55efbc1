"""Driver of scripts/chaos (see `scripts/chaos --help`).

Phase 1 (chaos): a fresh cluster; assessments submitted at a steady rate to random nodes (with an
Idempotency-Key, retried on another node when a node does not answer); the seeded fault schedule
of faults.py runs meanwhile; then every node is brought back, every acknowledged assessment is
awaited, and each report is compared with `inframind assess` of the same request bytes.

Phase 2 (whole-cluster crash): a fresh cluster; assessments submitted; every node SIGKILLed at
once while they run; every node restarted on its data; every acknowledged assessment must still
be known and must complete with the reference report.

Every random choice of a phase (the node a submission, a poll or a report read goes to) comes from
one `random.Random` seeded from --seed; the fault schedule is faults.py's own pure function of it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

import cluster as clusterlib
import faults as faultlib
import imload

T0 = time.monotonic()

# What a request to a node may raise while nodes are killed, stopped and restarted: refused, reset,
# timed out (OSError), a connection closed mid-answer (HTTPException), or a 2xx whose body has no
# id (imload.HTTPError). Anything else is a bug of this harness and ends the run.
TRANSPORT_ERRORS = (OSError, http.client.HTTPException, imload.HTTPError)

AgentKey = tuple[str, str]  # (assessment id, agent name)


def log(*a: object) -> None:
    print(f"[{time.monotonic() - T0:7.1f}s]", *a, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ records
@dataclass
class Fault:
    """One fault of the schedule (faults.schedule's dict, unchanged) and what became of it."""

    spec: dict[str, Any]
    at: Optional[float] = None  # seconds from the start of the load when it was injected
    skipped: bool = False  # not injected: the nodes out at the time left no minority for it

    @property
    def kind(self) -> str:
        return self.spec["kind"]

    @property
    def nodes(self) -> list[int]:
        return self.spec["nodes"]

    def as_json(self) -> dict[str, Any]:
        out = dict(self.spec)
        if self.skipped:
            out["skipped"] = True
        if self.at is not None:
            out["at"] = self.at
        return out


@dataclass
class Acknowledged:
    """A submission a node answered with an id."""

    seq: int
    body: bytes
    t_ack: float
    node: int


@dataclass
class Snapshot:
    """The latest status body seen of an assessment, and when."""

    t: float
    body: dict[str, Any]


@dataclass
class Final:
    status: str
    t: float


@dataclass
class Watch:
    """A recovery measurement: the agents running on the faulted nodes when the fault hit."""

    t: float
    fault: Fault
    names: set[str]
    pending: set[AgentKey]
    hit: int
    done: list[float] = field(default_factory=list)  # seconds until each finished elsewhere
    restarted: dict[AgentKey, float] = field(default_factory=dict)  # seconds until running elsewhere
    self_finished: int = 0  # finished by the faulted node itself: no recovery sample


@dataclass
class Submissions:
    """What was submitted and what the nodes answered."""

    submitted: int = 0
    acked: dict[str, Acknowledged] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # idempotency key -> id
    duplicated: int = 0  # a key that got two different ids
    rejected: list[tuple[int, int]] = field(default_factory=list)  # (seq, 4xx status): a bug of the generator or API
    unacked: int = 0


@dataclass
class Observations:
    """What the polls saw: each assessment's latest status and final state, and the faults' watches."""

    final: dict[str, Final] = field(default_factory=dict)
    snap: dict[str, Snapshot] = field(default_factory=dict)
    out: set[int] = field(default_factory=set)  # nodes known to be killed/stopped (the observer avoids them)
    watches: list[Watch] = field(default_factory=list)


@dataclass
class Requeues:
    """The largest requeue counter seen per node incarnation (a restart resets a counter)."""

    largest: dict[tuple[int, Optional[int]], float] = field(default_factory=dict)  # (node, pid) -> value
    metric: Optional[str] = None

    def record(self, node: int, pid: Optional[int], value: float, metric: str) -> None:
        self.metric = metric
        self.largest[(node, pid)] = max(self.largest.get((node, pid), 0.0), value)


@dataclass
class Chooser:
    """The phase's one seeded generator, shared by its threads."""

    rng: random.Random
    lock: threading.Lock = field(default_factory=threading.Lock)

    def choice(self, options: list[int]) -> int:
        with self.lock:
            return self.rng.choice(options)

    def node(self, nodes: int, exclude: Iterable[int] = ()) -> int:
        excluded = set(exclude)
        with self.lock:
            choices = [i for i in range(1, nodes + 1) if i not in excluded]
            return self.rng.choice(choices) if choices else self.rng.randrange(1, nodes + 1)


class Run:
    """The book-keeping of one phase: what was submitted and acknowledged, and what each became."""

    def __init__(self, cl: clusterlib.Cluster, factory: imload.RequestFactory, refs: imload.References,
                 rng: random.Random, label: str) -> None:
        self.cl = cl
        self.factory = factory
        self.refs = refs
        self.label = label
        self.choose = Chooser(rng)
        self.lock = threading.Lock()  # guards the four records below
        self.subs = Submissions()
        self.seen = Observations()
        self.requeue = Requeues()
        self.errors: Counter[str] = Counter()  # "where: exception type" -> count, logged by log_errors
        self.client = imload.Client(timeout=5.0)

    def pick(self, exclude: Iterable[int] = ()) -> int:
        return self.choose.node(self.cl.nodes, exclude)

    def live_nodes(self) -> list[int]:
        with self.lock:
            out = set(self.seen.out)
        return [i for i in range(1, self.cl.nodes + 1) if i not in out] or list(range(1, self.cl.nodes + 1))

    def note_error(self, where: str, error: BaseException) -> None:
        with self.lock:
            self.errors[f"{where}: {type(error).__name__}"] += 1

    def log_errors(self) -> None:
        """One line for the errors counted instead of logged one by one (polls fail often during faults)."""
        with self.lock:
            counted = sorted(self.errors.items())
        if counted:
            log(f"{self.label}: requests that failed: " + ", ".join(f"{what} ×{n}" for what, n in counted))

    # -------------------------------------------------------------- submission
    def submit(self, seq: int, attempts: int = 8, timeout: float = 10.0) -> Optional[str]:
        _, body = self.factory.make(seq)
        key = f"chaos-{self.label}-{seq}"
        with self.lock:
            self.subs.submitted += 1
        tried: list[int] = []
        ids: set[str] = set()
        # A client as a user would write it: another node after a refusal, and backing off (0.1 s
        # doubling to 1.6 s, about 5 s in all) while the cluster answers 503 during a fault.
        for attempt in range(attempts):
            node = self.pick(exclude=tried)
            tried = (tried + [node])[-(self.cl.nodes - 1):]
            try:
                status, aid, _ = self.client.submit(self.cl.http(node), body, key, timeout=timeout)
            except TRANSPORT_ERRORS as e:  # refused, reset, timed out: try another node
                log(f"submit {seq} to node-{node}: {type(e).__name__}")
                time.sleep(0.1)
                continue
            if aid:
                ids.add(aid)
                with self.lock:
                    if len(ids) > 1 or (key in self.subs.keys and self.subs.keys[key] != aid):
                        self.subs.duplicated += 1
                    self.subs.keys[key] = aid
                    if aid not in self.subs.acked:
                        self.subs.acked[aid] = Acknowledged(seq=seq, body=body, t_ack=time.monotonic(), node=node)
                return aid
            if 400 <= status < 500 and status not in (408, 429):
                with self.lock:
                    self.subs.rejected.append((seq, status))
                return None
            time.sleep(min(1.6, 0.1 * 2 ** attempt))  # 503 (no quorum), 429, 5xx
        with self.lock:
            self.subs.unacked += 1
        return None

    # -------------------------------------------------------------- observation
    def pending(self) -> list[str]:
        with self.lock:
            return [a for a in self.subs.acked if a not in self.seen.final]

    def observe(self, aid: str, timeout: float = 1.0) -> Optional[dict[str, Any]]:
        """One GET of the assessment's status from a live node; records it."""
        node = self.choose.choice(self.live_nodes())
        try:
            code, body = self.client.status(self.cl.http(node), aid, timeout=timeout)
        except TRANSPORT_ERRORS as e:
            self.note_error("status poll", e)
            return None
        if code != 200 or not isinstance(body, dict):
            return None
        now = time.monotonic()
        with self.lock:
            self.seen.snap[aid] = Snapshot(now, body)
            if body.get("status") in imload.FINAL and aid not in self.seen.final:
                self.seen.final[aid] = Final(body["status"], now)
            for w in self.seen.watches:
                for (wid, agent) in list(w.pending):
                    if wid != aid:
                        continue
                    st = agent_state(body, agent)
                    # "Running again": first seen running (or finished) on a node that was not faulted.
                    if (wid, agent) not in w.restarted and st in ("running", "succeeded", "completed") \
                            and agent_node(body, agent) and not node_matches(agent_node(body, agent), w.names):
                        w.restarted[(wid, agent)] = now - w.t
                    if st in ("succeeded", "completed") or body.get("status") == "completed":
                        w.pending.discard((wid, agent))
                        # Finished by the faulted node itself (just before a kill, or after a pause
                        # ended): nothing was requeued, so it is no recovery sample.
                        if node_matches(agent_node(body, agent), w.names):
                            w.self_finished += 1
                        else:
                            w.done.append(now - w.t)
        return body

    def tracker(self, stop: threading.Event) -> None:
        """Polls every unfinished acknowledged assessment, the ones a fault is watching first."""
        while not stop.is_set():
            with self.lock:
                watched = {a for w in self.seen.watches for (a, _) in w.pending}
                final = set(self.seen.final)
            todo = [a for a in watched if a not in final] + [a for a in self.pending() if a not in watched]
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

    def watch_fault(self, fault: Fault, t: float) -> Watch:
        """Starts a recovery measurement: agents the latest snapshots show running on the faulted nodes."""
        names = {self.cl.name(i) for i in fault.nodes}
        pend: set[AgentKey] = set()
        with self.lock:
            for aid, snap in self.seen.snap.items():
                if aid in self.seen.final or t - snap.t > 3.0:
                    continue
                for ag in (snap.body.get("progress") or {}).get("agents") or []:
                    if ag.get("state") == "running" and node_matches(ag.get("node"), names):
                        pend.add((aid, ag.get("name")))
            w = Watch(t=t, fault=fault, names=names, pending=pend, hit=len(pend))
            self.seen.watches.append(w)
        return w

    def scrape_once(self, i: int, timeout: float = 2.0) -> None:
        """Reads node i's requeue counter into the largest seen for its current incarnation."""
        pid = self.cl.pid(i)
        try:
            text = self.cl.metrics(i, timeout=timeout)
        except TRANSPORT_ERRORS as e:
            self.note_error("metrics scrape", e)
            return
        v, name = requeue_count(text)
        if v is None or name is None:
            return
        with self.lock:
            self.requeue.record(i, pid, v, name)

    def scrape(self, stop: threading.Event, period: float = 2.0) -> None:
        """Largest value of the requeue counter per node incarnation (a restart resets a counter)."""
        while not stop.wait(period):
            for i in self.live_nodes():
                self.scrape_once(i, timeout=1.0)

    def requeues(self) -> Optional[int]:
        with self.lock:
            return int(sum(self.requeue.largest.values())) if self.requeue.largest else None

    def agent_retries(self) -> int:
        """Σ (attempts − 1) over the agents of the final snapshots: requeues and retries seen by the API."""
        n = 0
        with self.lock:
            for aid in self.seen.final:
                snap = self.seen.snap.get(aid)
                body = snap.body if snap else {}
                for ag in (body.get("progress") or {}).get("agents") or []:
                    n += max(0, int(ag.get("attempts") or 0) - 1)
        return n

    # -------------------------------------------------------------- the end
    def wait_all(self, timeout: float) -> bool:
        t0 = time.monotonic()
        last: Optional[float] = None
        while time.monotonic() - t0 < timeout:
            left = self.pending()
            if not left:
                return True
            if last is None or time.monotonic() - last > 10:
                log(f"{self.label}: waiting for {len(left)} of {len(self.subs.acked)} acknowledged assessments")
                last = time.monotonic()
            time.sleep(0.2)
        return not self.pending()

    def classify_missing(self) -> dict[str, str]:
        """For each unfinished id: 'unknown' (404 on every node) or its last status."""
        res: dict[str, str] = {}
        for aid in self.pending():
            seen: list[str] = []
            for i in range(1, self.cl.nodes + 1):
                try:
                    code, body = self.client.status(self.cl.http(i), aid, timeout=3.0)
                    seen.append(body.get("status") if code == 200 and body else str(code))
                except TRANSPORT_ERRORS as e:
                    seen.append(type(e).__name__)
            final = next((s for s in seen if s in imload.FINAL), None)
            if final:  # finished just after the deadline: not lost
                with self.lock:
                    self.seen.final.setdefault(aid, Final(final, time.monotonic()))
                continue
            res[aid] = "unknown" if all(s == "404" for s in seen) else ",".join(map(str, seen))
        return res

    def completed_ids(self) -> list[str]:
        with self.lock:
            return [a for a, f in self.seen.final.items() if f.status == "completed"]

    def check_reports(self, workers: int = 2) -> list[tuple[str, str]]:
        """(id, first difference) of every completed assessment whose report is not the reference."""
        done = self.completed_ids()
        bad: list[tuple[str, str]] = []

        def one(aid: str) -> Optional[tuple[str, str]]:
            body = self.subs.acked[aid].body
            for _ in range(5):
                node = self.pick()
                try:
                    code, data = self.client.report(self.cl.http(node), aid, timeout=5.0)
                except TRANSPORT_ERRORS as e:
                    self.note_error("report read", e)
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

    def count_final(self, completed: bool) -> int:
        with self.lock:
            return sum(1 for f in self.seen.final.values() if (f.status == "completed") == completed)


def keep_logs(cl: clusterlib.Cluster, phase: str) -> None:
    """Copies the nodes' logs to .cluster/chaos-logs/<phase>/ (the next cluster-up truncates them)."""
    dest = os.path.join(cl.root, ".cluster", "chaos-logs", phase)
    os.makedirs(dest, exist_ok=True)
    for i in range(1, cl.nodes + 1):
        src = os.path.join(cl.root, ".cluster", f"node-{i}", "log")
        if os.path.exists(src):
            with open(src, "rb") as f, open(os.path.join(dest, f"node-{i}.log"), "wb") as g:
                g.write(f.read())
    log(f"node logs kept in {os.path.relpath(dest, cl.root)}/")


def agent_state(body: dict[str, Any], agent: str) -> Optional[str]:
    for ag in (body.get("progress") or {}).get("agents") or []:
        if ag.get("name") == agent:
            return ag.get("state")
    return None


def agent_node(body: dict[str, Any], agent: str) -> Optional[str]:
    for ag in (body.get("progress") or {}).get("agents") or []:
        if ag.get("name") == agent:
            return ag.get("node")
    return None


def node_matches(node: Optional[str], names: Iterable[str]) -> bool:
    if not node:
        return False
    return any(re.search(rf"(^|[^\w-]){re.escape(n)}($|[^\w-])", str(node)) for n in names)


def requeue_count(text: str) -> tuple[Optional[float], Optional[str]]:
    """Σ of every counter whose name contains 'requeue' (no _created series)."""
    total: Optional[float] = None
    name: Optional[str] = None
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
def run_faults(run: Run, cl: clusterlib.Cluster, schedule: list[Fault], t_start: float, stop: threading.Event,
               max_down: int) -> None:
    for f in schedule:
        if stop.wait(max(0.0, t_start + f.spec["t"] - time.monotonic())):
            return
        victims = f.nodes
        # runtime guard on top of the schedule: never more than a minority out or not ready
        # (a healed node counts as out until its /readyz answers 200; see heal)
        with run.lock:
            out = set(run.seen.out)
        out |= {i for i in range(1, cl.nodes + 1) if not cl.alive(i)}
        if len(out | set(victims)) > max_down or out & set(victims):
            log(f"fault {f.kind} {victims} skipped: nodes {sorted(out)} are still out")
            f.skipped = True
            continue
        with run.lock:
            run.seen.out.update(victims)
        t = time.monotonic()
        for i in victims:
            cl.signal(i, f.spec["signal"])
        f.at = round(t - t_start, 2)
        w = run.watch_fault(f, t)
        log(f"fault {f.kind} node(s) {victims} (SIG{f.spec['signal']}); {w.hit} running agent(s) there")
        if stop.wait(max(0.0, t_start + f.spec["heal_t"] - time.monotonic())):
            heal(run, cl, f)
            return
        heal(run, cl, f)


def heal(run: Run, cl: clusterlib.Cluster, f: Fault) -> None:
    for i in f.nodes:
        if f.spec["signal"] == "STOP":
            cl.signal(i, "CONT")
        else:
            if not cl.wait_gone(i, 20.0):
                log(f"node-{i} still running 20 s after SIG{f.spec['signal']}: SIGKILL")
                cl.signal(i, "KILL")
                cl.wait_gone(i, 5.0)
            cl.start(i)
    log(f"healed {f.kind} node(s) {f.nodes}")

    def mark_ready() -> None:
        for i in f.nodes:
            t0 = time.monotonic()
            while time.monotonic() - t0 < 60 and not cl.ready(i, timeout=0.5):
                time.sleep(0.1)
        with run.lock:
            run.seen.out.difference_update(f.nodes)

    threading.Thread(target=mark_ready, daemon=True).start()


def phase_chaos(a: argparse.Namespace, cl: clusterlib.Cluster, factory: imload.RequestFactory,
                refs: imload.References) -> dict[str, Any]:
    log(f"chaos: {a.nodes} nodes, {a.assessments} assessments over {a.duration:.0f} s, seed {a.seed}, "
        f"at most {a.max_down} node(s) out at once, node arguments: {' '.join(cl.node_args)}")
    cl.up()
    rng = random.Random(a.seed)
    specs = faultlib.schedule(a.seed, a.nodes, a.duration, max_down=a.max_down)
    faultlib.check(specs, a.nodes, a.max_down)
    schedule = [Fault(spec) for spec in specs]
    log("fault schedule: " + "; ".join(f"{f['t']:.1f}s {f['kind']} {f['nodes']} heal {f['heal_t']:.1f}s"
                                      for f in specs))
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
        for fut in futs:
            fut.result()
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
        run.seen.out.clear()
    log(f"load done: submitted {run.subs.submitted}, acknowledged {len(run.subs.acked)}; waiting for the rest")
    run.wait_all(a.wait)
    stop.set()
    for t in bg:
        t.join()
    missing = run.classify_missing()
    # one last scrape so the counters of the final incarnations are in
    for i in range(1, a.nodes + 1):
        run.scrape_once(i)
    log("comparing reports with `inframind assess` of the same requests…")
    bad = run.check_reports()
    run.log_errors()
    completed = run.count_final(completed=True)
    failed = run.count_final(completed=False)
    watches = run.seen.watches
    recoveries = [max(w.done) for w in watches if w.done]

    def worst(kinds: set[str], restarted: bool = False) -> Optional[float]:
        xs = [max(w.restarted.values()) if restarted else max(w.done)
              for w in watches if (w.restarted if restarted else w.done) and w.fault.kind in kinds]
        return round(max(xs), 2) if xs else None

    for w in watches:
        f = w.fault
        log(f"fault at {f.at} s: {f.kind} {f.nodes}: {w.hit} running agent(s) there, "
            f"running again elsewhere after " + (", ".join(f"{x:.2f}" for x in sorted(w.restarted.values())) or "-")
            + " s, finished elsewhere after " + (", ".join(f"{x:.2f}" for x in sorted(w.done)) or "-") + " s"
            + (f"; {w.self_finished} finished by the faulted node itself" if w.self_finished else "")
            + (f"; {len(w.pending)} never seen finishing" if w.pending else ""))
    unrecovered = sum(len(w.pending) for w in watches)
    subs = run.subs
    res: dict[str, Any] = {
        "submitted": subs.submitted, "acknowledged": len(subs.acked), "completed": completed, "failed": failed,
        "lost": len(missing), "mismatched": len(bad), "requeues": run.requeues(),
        "max_recovery_s": round(max(recoveries), 2) if recoveries else None,
        "max_recovery_kill_s": worst({"kill", "kill2"}), "max_recovery_stop_s": worst({"stop"}),
        "max_running_again_kill_s": worst({"kill", "kill2"}, restarted=True),
        "max_running_again_stop_s": worst({"stop"}, restarted=True),
        "duplicated": subs.duplicated, "unacknowledged": subs.unacked, "rejected": len(subs.rejected),
        "agent_retries": run.agent_retries(), "faults": sum(1 for f in schedule if f.at is not None),
        "faults_skipped": sum(1 for f in schedule if f.skipped),
        "recovery_samples": len(recoveries), "unrecovered_agents_at_end": unrecovered}
    for aid, why in list(missing.items())[:10]:
        ack = subs.acked[aid]
        log(f"LOST {aid} (seq {ack.seq}, acknowledged at {ack.t_ack - t_start:.1f} s by node-{ack.node}): {why}")
    for aid, why in bad[:10]:
        log(f"MISMATCH {aid} (seq {subs.acked[aid].seq}): {why}")
    for aid, fin in list(run.seen.final.items()):
        if fin.status != "completed":
            snap = run.seen.snap.get(aid)
            log(f"FAILED {aid}: {fin.status} {json.dumps(snap.body if snap else {})[:300]}")
    for seq, status in subs.rejected[:5]:
        log(f"REJECTED seq {seq}: HTTP {status}")
    if run.requeue.metric:
        log(f"requeues from /metrics ({run.requeue.metric}, summed over node incarnations)")
    else:
        log("no requeue counter in /metrics: requeues= shows agent_retries (Σ attempts − 1 from GET status)")
        res["requeues"] = res["agent_retries"]
    res["schedule"] = [f.as_json() for f in schedule]
    for aid in missing:
        res.setdefault("lost_ids", []).append({"id": aid, "seq": subs.acked[aid].seq,
                                               "acknowledged_at_s": round(subs.acked[aid].t_ack - t_start, 2)})
    cl.down()
    keep_logs(cl, "chaos")
    return res


# ------------------------------------------------------------------ phase 2
def phase_crash(a: argparse.Namespace, cl: clusterlib.Cluster, factory: imload.RequestFactory,
                refs: imload.References) -> dict[str, Any]:
    n = a.crash_assessments
    log(f"whole-cluster crash: {a.nodes} fresh nodes, {n} assessments, then SIGKILL of every node")
    cl.up()
    run = Run(cl, factory, refs, random.Random(a.seed + 1), f"crash{a.seed}")
    with ThreadPoolExecutor(8) as ex:
        list(ex.map(lambda s: run.submit(1_000_000 + s, timeout=10.0), range(n)))
    acked = set(run.subs.acked)
    # a snapshot of where they are, then kill every node at once
    for aid in list(acked):
        run.observe(aid)

    def status_of(aid: str) -> Optional[str]:
        snap = run.seen.snap.get(aid)
        return snap.body.get("status") if snap else None

    before = {s: sum(1 for aid in acked if status_of(aid) == s) for s in ("queued", "running", "completed")}
    pids = [cl.pid(i) for i in range(1, a.nodes + 1)]
    for p in pids:
        if p is None:
            continue
        try:
            os.kill(p, 9)
        except ProcessLookupError:
            pass  # already gone: what the kill was for
    log(f"SIGKILLed every node (pids {pids}); acknowledged {len(acked)}, by status before the kill: {before}")
    for i in range(1, a.nodes + 1):
        cl.wait_gone(i, 10.0)
    with run.lock:
        run.seen.final.clear()
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
    run.log_errors()
    res: dict[str, Any] = {
        "acknowledged": len(acked), "present": len(acked) - sum(1 for w in missing.values() if w == "unknown"),
        "completed": run.count_final(completed=True), "lost": len(missing), "mismatched": len(bad),
        "failed": run.count_final(completed=False), "before_kill": before}
    for aid, why in list(missing.items())[:10]:
        log(f"CRASH LOST {aid}: {why}")
    for aid, why in bad[:10]:
        log(f"CRASH MISMATCH {aid}: {why}")
    cl.down()
    keep_logs(cl, "crash")
    return res


def main() -> None:
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
    out: dict[str, Any] = {}
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


def fmt(v: object) -> object:
    return "-" if v is None else v


if __name__ == "__main__":
    main()
