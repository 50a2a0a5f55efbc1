"""Driver of scripts/partitions (see `scripts/partitions --help` and docs/partitions.md).

A Jepsen-style run over the namespace cluster of netns.py: clients attached to every node submit,
read, cancel and stream while a seeded schedule of network and process faults plays; then the
network heals, every node is brought back and the run waits for convergence. Every operation goes
into a history with its invocation and completion times, and a checker reads the history.

Every random choice comes from one generator seeded with --seed: the schedule directly, and each
client from a seed drawn from it in order, so the seed replays the schedule and each client's
choices (the interleaving with the cluster's answers is the machine's).
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import imload
import netns

FINAL = ("completed", "failed", "cancelled")
KINDS = ("split", "bridge", "cut", "flap", "slow", "kill", "stop")
WEIGHTS = {"split": 3, "bridge": 2, "cut": 2, "flap": 2, "slow": 2, "kill": 2, "stop": 2}
T0 = time.monotonic()


def now() -> float:
    return time.monotonic() - T0


def log(*parts: object) -> None:
    print(f"[{now():7.1f}s]", *parts, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------- schedule
@dataclass
class Step:
    """At `t`, the network becomes `groups`/`cuts`/`slow` (None: as before) and `signals` are sent."""
    t: float
    groups: list[list[int]] | None = None
    cuts: list[tuple[int, int]] | None = None
    slow: list[int] | None = None
    signals: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Fault:
    kind: str
    start: float
    end: float
    steps: list[Step]
    # For the quorum check: the groups of a stable split (not a bridge, not a flap).
    majority: list[int] = field(default_factory=list)
    minority: list[int] = field(default_factory=list)
    # When the run applied it: its first and last step, and each node's SIGCONT/restart.
    began: float = -1.0
    healed: float = -1.0
    resumed: dict[int, float] = field(default_factory=dict)


def schedule(rng: random.Random, nodes: int, duration: float, split_s: tuple[float, float]) -> list[Fault]:
    """Faults one after another, each healed before the next; every kind once first (seeded order)."""
    everyone = list(range(1, nodes + 1))
    first = list(KINDS)
    rng.shuffle(first)
    faults: list[Fault] = []
    t = min(5.0, duration * 0.05)
    end_by = duration * 0.85
    while True:
        kind = first.pop(0) if first else rng.choices(list(WEIGHTS), [WEIGHTS[k] for k in WEIGHTS])[0]
        if kind == "split":
            # Half of the splits also SIGKILL or SIGSTOP a node of the minority meanwhile.
            kind = rng.choice(["split", "split", "split_kill", "split_stop"])
            length = rng.uniform(*split_s)
        elif kind == "flap":
            length = rng.uniform(8, 12)
        else:
            length = rng.uniform(4, 8)
        if t + length > end_by:
            if faults or t + 5 > end_by:
                break
            length = end_by - t
        shuffled = everyone[:]
        rng.shuffle(shuffled)
        majority_size = nodes // 2 + 1
        fault = Fault(kind=kind, start=round(t, 3), end=round(t + length, 3), steps=[])
        if kind in ("split", "split_kill", "split_stop"):
            major, minor = sorted(shuffled[:majority_size]), sorted(shuffled[majority_size:])
            fault.majority, fault.minority = major, minor
            fault.steps.append(Step(t, groups=[major, minor]))
            if kind != "split" and minor:
                victim = rng.choice(minor)
                at = t + rng.uniform(1, length / 2)
                sig = "KILL" if kind == "split_kill" else "STOP"
                fault.steps.append(Step(at, signals=[(victim, sig)]))
                fault.steps.append(Step(t + length - 0.5, signals=[(victim, "START" if sig == "KILL" else "CONT")]))
        elif kind == "bridge":
            bridge, rest = shuffled[0], shuffled[1:]
            half = len(rest) // 2
            fault.steps.append(Step(t, groups=[sorted(rest[:half] + [bridge]), sorted(rest[half:] + [bridge])]))
        elif kind == "cut":
            a, b = shuffled[0], shuffled[1]
            fault.steps.append(Step(t, cuts=[(a, b)]))
        elif kind == "flap":
            at = t
            while at < t + length:
                cut = shuffled[:]
                rng.shuffle(cut)
                size = rng.randint(1, nodes // 2)
                fault.steps.append(Step(at, groups=[sorted(cut[size:]), sorted(cut[:size])]))
                at += rng.uniform(1, 3)
                if at >= t + length:
                    break
                fault.steps.append(Step(at, groups=[]))
                at += rng.uniform(1, 3)
        elif kind == "slow":
            fault.steps.append(Step(t, slow=sorted(shuffled[: rng.randint(1, 2)])))
        elif kind in ("kill", "stop"):
            victim = shuffled[0]
            sig = "KILL" if kind == "kill" else "STOP"
            fault.steps.append(Step(t, signals=[(victim, sig)]))
            fault.steps.append(Step(t + length, signals=[(victim, "START" if sig == "KILL" else "CONT")]))
        fault.steps.append(Step(t + length, groups=[], cuts=[], slow=[]))
        faults.append(fault)
        t += length + rng.uniform(2, 4)
        if t >= end_by:
            break
    return faults


# ---------------------------------------------------------------------------------- history
@dataclass
class Op:
    """One operation: what a client asked of which node, when, and what came back."""
    index: int
    client: int
    node: int
    kind: str  # submit | read | cancel | stream | final (the convergence check's reads)
    invoked: float
    completed: float = 0.0
    key: str | None = None
    id: str | None = None
    http: int | None = None
    # ok: the answer is known (acknowledged, read, cancelled); fail: refused, nothing happened;
    # info: unknown (a timeout, a dropped connection: the write may or may not have happened).
    outcome: str = "info"
    status: str | None = None
    observations: list[tuple[float, str]] = field(default_factory=list)
    detail: str = ""


class History:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ops: list[Op] = []
        self.acked: dict[str, tuple[float, int]] = {}  # id -> (ack time, op index)
        self.bodies: dict[str, bytes] = {}  # id -> request bytes
        self.keys: dict[str, set[str]] = {}  # idempotency key -> ids answered
        self.open_ids: list[str] = []

    def begin(self, client: int, node: int, kind: str, **kw: object) -> Op:
        with self.lock:
            op = Op(index=len(self.ops), client=client, node=node, kind=kind, invoked=now(), **kw)  # type: ignore[arg-type]
            self.ops.append(op)
            return op

    def end(self, op: Op, outcome: str, **kw: object) -> None:
        with self.lock:
            op.completed = now()
            op.outcome = outcome
            for k, v in kw.items():
                setattr(op, k, v)


# ---------------------------------------------------------------------------------- client
class HTTP:
    """One request per connection, to the namespace cluster's addresses only."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    def request(self, addr: str, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        host, port = addr.rsplit(":", 1)
        if not host.startswith(netns.SUBNET + "."):
            raise ValueError(f"refusing {addr}: not a namespace of this run")
        conn = http.client.HTTPConnection(host, int(port), timeout=self.timeout)
        try:
            h = {"Content-Type": "application/json"} if body is not None else {}
            h.update(headers or {})
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def stream(self, addr: str, aid: str, seconds: float) -> tuple[int, list[tuple[float, str]]]:
        """(status, [(time, status)]) of GET …/events for up to `seconds`."""
        host, port = addr.rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=seconds)
        seen: list[tuple[float, str]] = []
        deadline = time.monotonic() + seconds
        try:
            conn.request("GET", f"/v1/assessments/{aid}/events", headers={"Accept": "text/event-stream"})
            r = conn.getresponse()
            if r.status != 200:
                r.read()
                return r.status, seen
            data: list[bytes] = []
            while time.monotonic() < deadline:
                line = r.fp.readline()
                if not line:
                    break
                line = line.rstrip(b"\r\n")
                if line.startswith(b"data:"):
                    data.append(line[5:].strip())
                elif line == b"" and data:
                    try:
                        event = json.loads(b"\n".join(data))
                    except ValueError:
                        event = {}
                    data = []
                    status = event.get("status") if isinstance(event, dict) else None
                    if status:
                        seen.append((now(), status))
                    if status in FINAL:
                        break
            return 200, seen
        finally:
            conn.close()


def status_of(data: bytes) -> str | None:
    try:
        body = json.loads(data)
    except ValueError:
        return None
    return body.get("status") if isinstance(body, dict) else None


@dataclass
class Client:
    number: int
    node: int
    rng: random.Random
    cluster: netns.NetnsCluster
    history: History
    factory: imload.RequestFactory
    bodies: int
    http: HTTP
    mine: list[str] = field(default_factory=list)  # keys this client submitted

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            roll = self.rng.random()
            with self.history.lock:
                known = list(self.history.acked)
            try:
                if roll < 0.35 or not known:
                    self.submit()
                elif roll < 0.70:
                    self.read(self.rng.choice(known))
                elif roll < 0.80:
                    self.cancel(self.rng.choice(known[-50:]))
                else:
                    self.stream(self.rng.choice(known[-50:]))
            except ValueError as error:
                raise SystemExit(str(error)) from None
            stop.wait(self.rng.uniform(0.1, 0.4))

    def addr(self) -> str:
        return self.cluster.http(self.node)

    def submit(self) -> None:
        if self.mine and self.rng.random() < 0.1:
            key = self.rng.choice(self.mine)  # a retry: the same key, so the same assessment
        else:
            key = f"p{self.number}-{len(self.mine)}-{self.rng.getrandbits(32):08x}"
            self.mine.append(key)
        seq = int(key.split("-")[1]) * 7 + self.number
        _, body = self.factory.make(seq % self.bodies)
        # A retry may go to any node, across a partition too (a client that moved).
        node = self.node if key == self.mine[-1] else self.rng.randint(1, self.cluster.nodes)
        op = self.history.begin(self.number, node, "submit", key=key)
        try:
            code, data = self.http.request(self.cluster.http(node), "POST", "/v1/assessments", body,
                                           {"Idempotency-Key": key})
        except (OSError, http.client.HTTPException) as error:
            self.history.end(op, "info", detail=type(error).__name__)
            return
        aid = None
        if code in (200, 201, 202):
            try:
                aid = json.loads(data)["id"]
            except (ValueError, KeyError, TypeError):
                self.history.end(op, "info", http=code, detail="2xx without an id")
                return
        with self.history.lock:
            op.completed = now()
            op.http = code
            if aid:
                op.outcome, op.id, op.status = "ok", aid, status_of(data)
                self.history.keys.setdefault(key, set()).add(aid)
                self.history.bodies[aid] = body
                if aid not in self.history.acked:
                    self.history.acked[aid] = (op.completed, op.index)
            else:
                op.outcome = "fail"
                op.detail = data[:200].decode(errors="replace")

    def read(self, aid: str) -> None:
        op = self.history.begin(self.number, self.node, "read", id=aid)
        try:
            code, data = self.http.request(self.addr(), "GET", f"/v1/assessments/{aid}")
        except (OSError, http.client.HTTPException) as error:
            self.history.end(op, "info", detail=type(error).__name__)
            return
        status = status_of(data) if code == 200 else None
        self.history.end(op, "ok" if code == 200 else "fail", http=code, status=status,
                         detail="" if code == 200 else data[:200].decode(errors="replace"))

    def cancel(self, aid: str) -> None:
        op = self.history.begin(self.number, self.node, "cancel", id=aid)
        try:
            code, data = self.http.request(self.addr(), "DELETE", f"/v1/assessments/{aid}")
        except (OSError, http.client.HTTPException) as error:
            self.history.end(op, "info", detail=type(error).__name__)
            return
        status = status_of(data) if code == 200 else None
        # Acknowledged only when the answer says cancelled; 200 with another final state is a no-op.
        self.history.end(op, "ok" if code == 200 else "fail", http=code, status=status,
                         detail="" if code == 200 else data[:200].decode(errors="replace"))

    def stream(self, aid: str) -> None:
        op = self.history.begin(self.number, self.node, "stream", id=aid)
        try:
            code, seen = self.http.stream(self.addr(), aid, 4.0)
        except (OSError, http.client.HTTPException) as error:
            self.history.end(op, "info", detail=type(error).__name__)
            return
        self.history.end(op, "ok" if code == 200 else "fail", http=code, observations=seen,
                         status=seen[-1][1] if seen else None)


# ---------------------------------------------------------------------------------- nemesis
class Nemesis:
    def __init__(self, cluster: netns.NetnsCluster, faults: list[Fault]) -> None:
        self.cluster = cluster
        self.faults = faults
        self.groups: list[list[int]] = []
        self.cuts: list[tuple[int, int]] = []
        self.slow: list[int] = []
        self.stopped: set[int] = set()
        self.killed: set[int] = set()
        self.applied: list[tuple[float, str]] = []

    def links(self) -> list[netns.Link]:
        result = []
        for i in self.slow:
            result.append(netns.Link(i, None, 50, 20, 5, 2000))
            for j in range(1, self.cluster.nodes + 1):
                if j != i:
                    result.append(netns.Link(j, i, 50, 20, 5, 2000))
        return result

    def play(self, stop: threading.Event) -> None:
        steps = sorted(((s, f) for f in self.faults for s in f.steps), key=lambda p: p[0].t)
        # A step applied late (a loaded machine runs nft and tc slowly) delays every later one as
        # much, so each fault keeps its length: a SIGSTOP is not followed at once by its SIGCONT.
        offset = 0.0
        for step, fault in steps:
            if stop.wait(max(0.0, step.t + offset - now())):
                return
            offset = max(offset, now() - step.t)
            self.apply(step, fault)

    def apply(self, step: Step, fault: Fault) -> None:
        if step is fault.steps[0]:
            fault.began = now()
        if step is fault.steps[-1]:
            fault.healed = now()
        if step.groups is not None:
            self.groups = step.groups
        if step.cuts is not None:
            self.cuts = step.cuts
        if step.slow is not None:
            self.slow = step.slow
        if step.groups is not None or step.cuts is not None or step.slow is not None:
            self.cluster.apply(netns.Faults(groups=self.groups, cuts=self.cuts, links=self.links()))
        for node, sig in step.signals:
            if sig == "KILL":
                self.cluster.signal(node, signal.SIGKILL)
                self.killed.add(node)
            elif sig == "STOP":
                self.cluster.signal(node, signal.SIGSTOP)
                self.stopped.add(node)
            elif sig == "CONT":
                self.cluster.signal(node, signal.SIGCONT)
                self.stopped.discard(node)
                fault.resumed[node] = now()
            elif sig == "START":
                self.cluster.start(node)
                self.killed.discard(node)
                fault.resumed[node] = now()
        text = f"{fault.kind}: groups={self.groups} cuts={self.cuts} slow={self.slow} signals={step.signals}"
        self.applied.append((now(), text))
        log(text)

    def heal(self) -> None:
        self.cluster.apply(netns.Faults())
        for node in sorted(self.stopped):
            self.cluster.signal(node, signal.SIGCONT)
        for node in sorted(self.killed):
            if not self.cluster.alive(node):
                self.cluster.start(node)
        self.stopped.clear()
        self.killed.clear()


# ---------------------------------------------------------------------------------- checker
@dataclass
class Verdict:
    violations: list[str] = field(default_factory=list)
    lost: int = 0
    duplicated: int = 0
    stale_reads: int = 0
    mismatched: int = 0
    converge_s: float | None = None
    detect_s: list[float] = field(default_factory=list)

    def violate(self, text: str) -> None:
        self.violations.append(text)


def describe(op: Op) -> str:
    return (f"op#{op.index} client {op.client} {op.kind} via node-{op.node} [{op.invoked:.2f}s..{op.completed:.2f}s]"
            f" http={op.http} status={op.status}{' ' + op.detail if op.detail else ''}")


def check(history: History, faults: list[Fault], final_reads: dict[str, dict[int, tuple[int, str | None]]],
          reports: dict[str, str | None], detection_s: float, verdict: Verdict) -> None:
    ops = history.ops
    acked = history.acked
    # Exactly once: one id per idempotency key.
    for key, ids in history.keys.items():
        if len(ids) > 1:
            verdict.duplicated += 1
            verdict.violate(f"key {key} was acknowledged as {len(ids)} assessments: {sorted(ids)}")
    # Observations of each id, in completion order: (invoked, completed, status, op).
    seen: dict[str, list[tuple[float, float, str, Op]]] = {}
    for op in ops:
        if op.id is None:
            continue
        if op.kind in ("read", "cancel") and op.outcome == "ok" and op.status:
            seen.setdefault(op.id, []).append((op.invoked, op.completed, op.status, op))
        if op.kind == "stream":
            for t, status in op.observations:
                seen.setdefault(op.id, []).append((op.invoked, t, status, op))
        # No 404 for an assessment acknowledged before the request was made.
        if op.http == 404 and op.id in acked and acked[op.id][0] < op.invoked:
            ack = ops[acked[op.id][1]]
            verdict.violate(f"404 for acknowledged {op.id}: {describe(op)}; acknowledged by {describe(ack)}")
    # A final state, once seen, never changes: no later read (invoked after it was seen) shows
    # another final state (a violation) or a state before the final (a stale read).
    for aid, observations in seen.items():
        finals = sorted((c, s, op) for (_, c, s, op) in observations if s in FINAL)
        if not finals:
            continue
        first_t, first_status, first_op = finals[0]
        for invoked, completed, status, op in observations:
            if invoked <= first_t:
                continue
            if status in FINAL and status != first_status:
                verdict.violate(f"{aid} was {first_status} ({describe(first_op)}) and later {status} ({describe(op)})")
            elif status not in FINAL:
                verdict.stale_reads += 1
                verdict.violate(f"stale read of {aid}: {status} after {first_status} was seen "
                                f"({describe(first_op)}); {describe(op)}")
    # An acknowledged cancel is never followed by completed.
    for op in ops:
        if op.kind == "cancel" and op.outcome == "ok" and op.status == "cancelled":
            for invoked, completed, status, other in seen.get(op.id or "", []):
                if status == "completed" and invoked > op.completed:
                    verdict.violate(f"{op.id} completed after its cancel was acknowledged: {describe(op)}; "
                                    f"then {describe(other)}")
            end = {s for (_, s) in final_reads.get(op.id or "", {}).values()}
            if "completed" in end:
                verdict.violate(f"{op.id} ended completed after its cancel was acknowledged: {describe(op)}")
    # Every acknowledged assessment: one final state on every node, the reference report if completed.
    for aid in acked:
        answers = final_reads.get(aid, {})
        states = {s for (code, s) in answers.values() if code == 200}
        codes = sorted({code for (code, _) in answers.values()})
        if any(code == 404 for code in codes):
            verdict.violate(f"{aid} (acknowledged) answered 404 after the heal: {answers}")
        if len(states) != 1 or not states <= set(FINAL) or codes != [200]:
            verdict.lost += 1
            verdict.violate(f"{aid} (acknowledged by {describe(ops[acked[aid][1]])}) has no single final state "
                            f"on every node after the heal: {answers}")
        difference = reports.get(aid)
        if difference:
            verdict.mismatched += 1
            verdict.violate(f"{aid}: report differs from a single node's: {difference}")
    # Quorum: after the detection window, a minority refuses writes and a majority accepts them.
    for fault in faults:
        if not fault.minority or fault.began < 0 or fault.healed < 0:
            continue
        # A node SIGSTOPped or restarted during the split detects it only from when it runs again:
        # its window starts then (a paused node answers what queued up with the view it had).
        def window_open(op: Op) -> bool:
            start = max(fault.began, fault.resumed.get(op.node, fault.began)) + detection_s
            return start <= op.invoked and op.completed <= fault.healed

        minority_ok = [op for op in ops if op.kind == "submit" and op.node in fault.minority
                       and window_open(op) and op.outcome == "ok"]
        for op in minority_ok:
            verdict.violate(f"the minority {fault.minority} acknowledged a write {detection_s:.0f} s into "
                            f"a split applied at {fault.began:.2f}s: {describe(op)}")
        majority = [op for op in ops if op.kind == "submit" and op.node in fault.majority and window_open(op)]
        refused = [op for op in majority if op.outcome != "ok"]
        if majority and len(refused) == len(majority):
            verdict.violate(f"the majority {fault.majority} acknowledged none of {len(majority)} writes "
                            f"{detection_s:.0f} s into a split (first: {describe(refused[0])})")
        # Measured: from the split until the minority's first 503 "unavailable" (its detection delay;
        # a 5xx names no reason, which the node logs: docs/security.md, "Server errors").
        refusals = [op.invoked - fault.began for op in ops if op.kind == "submit" and op.node in fault.minority
                    and fault.began <= op.invoked <= fault.healed and op.http == 503 and '"unavailable"' in op.detail]
        if refusals:
            verdict.detect_s.append(min(refusals))


# ---------------------------------------------------------------------------------- the end
def converge(cluster: netns.NetnsCluster, history: History, http_client: HTTP, timeout: float,
             final_reads: dict[str, dict[int, tuple[int, str | None]]]) -> float | None:
    """Seconds from now until every node sees every member up and answers one final state for every
    acknowledged assessment; None after `timeout` (final_reads then holds the last answers)."""
    t0 = time.monotonic()
    ids = list(history.acked)
    pending = set(ids)
    while time.monotonic() - t0 < timeout:
        members_ok = all(members_up(cluster, http_client, i) for i in range(1, cluster.nodes + 1))

        def ask(aid: str) -> tuple[str, dict[int, tuple[int, str | None]]]:
            answers: dict[int, tuple[int, str | None]] = {}
            for i in range(1, cluster.nodes + 1):
                try:
                    code, data = http_client.request(cluster.http(i), "GET", f"/v1/assessments/{aid}")
                    answers[i] = (code, status_of(data) if code == 200 else None)
                except (OSError, http.client.HTTPException) as error:
                    answers[i] = (0, type(error).__name__)
            return aid, answers

        # In parallel: a long run has thousands of assessments, each asked of every node.
        with ThreadPoolExecutor(16) as pool:
            for aid, answers in pool.map(ask, sorted(pending)):
                final_reads[aid] = answers
                states = {s for (c, s) in answers.values() if c == 200}
                if all(c == 200 for (c, _) in answers.values()) and len(states) == 1 and states <= set(FINAL):
                    pending.discard(aid)
        if members_ok and not pending:
            return time.monotonic() - t0
        time.sleep(0.5)
    return None


def members_up(cluster: netns.NetnsCluster, http_client: HTTP, i: int) -> bool:
    """Node i sees every member up (the best status of each name, as the coordinator counts)."""
    try:
        code, data = http_client.request(cluster.http(i), "GET", "/v1/cluster")
        members = json.loads(data).get("members", []) if code == 200 else []
    except (OSError, http.client.HTTPException, ValueError):
        return False
    up = {m.get("id") for m in members if m.get("status") == "up"}
    return len(up) == cluster.nodes


def compare_reports(cluster: netns.NetnsCluster, history: History, http_client: HTTP,
                    refs: imload.References, final_reads: dict[str, dict[int, tuple[int, str | None]]]
                    ) -> dict[str, str | None]:
    completed = [aid for aid in history.acked
                 if {s for (c, s) in final_reads.get(aid, {}).values() if c == 200} == {"completed"}]

    def one(aid: str) -> tuple[str, str | None]:
        node = 1 + sum(aid.encode()) % cluster.nodes
        try:
            code, data = http_client.request(cluster.http(node), "GET", f"/v1/assessments/{aid}/report")
        except (OSError, http.client.HTTPException) as error:
            return aid, f"report not served: {type(error).__name__}"
        return aid, refs.compare(history.bodies[aid], data) if code == 200 else f"report: HTTP {code}"

    with ThreadPoolExecutor(4) as pool:
        return dict(pool.map(one, completed))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", required=True)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--nodes", type=int, default=5)
    ap.add_argument("--duration", type=float, default=120)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--clients-per-node", type=int, default=2)
    ap.add_argument("--bodies", type=int, default=20, help="distinct requests (each needs a reference report)")
    ap.add_argument("--detection-window", type=float, default=15.0,
                    help="seconds after a split from which the minority must refuse writes")
    ap.add_argument("--converge-timeout", type=float, default=120.0)
    ap.add_argument("--agent-sleep-ms", type=int, default=100)
    ap.add_argument("--print-schedule", action="store_true")
    a = ap.parse_args()
    if a.nodes < 3:
        raise SystemExit("--nodes must be at least 3 (a split needs a majority and a minority)")

    rng = random.Random(a.seed)
    split_s = (a.detection_window + 4, a.detection_window + 8)
    faults = schedule(rng, a.nodes, a.duration, split_s)
    client_seeds = [rng.getrandbits(64) for _ in range(a.nodes * a.clients_per_node)]
    if a.print_schedule:
        print(json.dumps([asdict(f) for f in faults], indent=1))
        return 0

    root = Path(a.root)
    cluster = netns.NetnsCluster(root=root, binary=Path(a.bin).resolve(), nodes=a.nodes,
                                 node_args=["--agent-sleep-ms", str(a.agent_sleep_ms)])
    history = History()
    verdict = Verdict()
    http_client = HTTP(timeout=6.0)
    refs = imload.References(str(cluster.binary))
    factory = imload.RequestFactory(str(root / "examples"))
    stop = threading.Event()
    final_reads: dict[str, dict[int, tuple[int, str | None]]] = {}
    nemesis = Nemesis(cluster, faults)

    def interrupted(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    try:
        cluster.create()
        cluster.start_all()
        if not netns.wait_ready(cluster, list(range(1, a.nodes + 1)), timeout=90):
            raise RuntimeError("the namespace cluster was not ready in 90 s; see .netns/node-*/log")
        log(f"cluster of {a.nodes} ready; {len(faults)} faults over {a.duration:.0f} s, seed {a.seed}")
        global T0
        T0 = time.monotonic()
        clients = [Client(number=n, node=1 + n % a.nodes, rng=random.Random(seed), cluster=cluster,
                          history=history, factory=factory, bodies=a.bodies, http=http_client)
                   for n, seed in enumerate(client_seeds)]
        threads = [threading.Thread(target=c.run, args=(stop,), daemon=True) for c in clients]
        player = threading.Thread(target=nemesis.play, args=(stop,), daemon=True)
        for thread in threads + [player]:
            thread.start()
        stop.wait(a.duration)
        stop.set()
        for thread in threads + [player]:
            thread.join(timeout=15)
        nemesis.heal()
        log(f"healed; {len(history.ops)} operations, {len(history.acked)} acknowledged; waiting for convergence")
        verdict.converge_s = converge(cluster, history, http_client, a.converge_timeout, final_reads)
        if verdict.converge_s is None:
            down = [i for i in range(1, a.nodes + 1) if not members_up(cluster, http_client, i)]
            verdict.violate(f"no convergence within {a.converge_timeout:.0f} s of the heal"
                            + (f"; nodes not seeing every member up: {down}" if down else ""))
        reports = compare_reports(cluster, history, http_client, refs, final_reads)
        check(history, faults, final_reads, reports, a.detection_window, verdict)
    except (RuntimeError, KeyboardInterrupt) as error:
        verdict.violate(f"run aborted: {error!r}")
    finally:
        stop.set()
        keep = root / ".netns" / "partitions"
        keep.mkdir(parents=True, exist_ok=True)
        with open(keep / "history.jsonl", "w") as f:
            for op in history.ops:
                f.write(json.dumps(asdict(op)) + "\n")
        with open(keep / "faults.json", "w") as f:
            json.dump({"schedule": [asdict(x) for x in faults], "applied": nemesis.applied}, f, indent=1)
        for i in range(1, a.nodes + 1):
            src = cluster.node_dir(i) / "log"
            if src.exists():
                (keep / f"node-{i}.log").write_bytes(src.read_bytes())
        cluster.destroy()

    for text in verdict.violations[:40]:
        print(f"VIOLATION {text}")
    if len(verdict.violations) > 40:
        print(f"… and {len(verdict.violations) - 40} more (history in .netns/partitions/history.jsonl)")
    detect = f"{max(verdict.detect_s):.1f}" if verdict.detect_s else "na"
    converge_s = f"{verdict.converge_s:.1f}" if verdict.converge_s is not None else "none"
    print(f"seed={a.seed} faults={len(faults)} operations={len(history.ops)} acknowledged={len(history.acked)} "
          f"lost={verdict.lost} duplicated={verdict.duplicated} stale_reads={verdict.stale_reads} "
          f"mismatched={verdict.mismatched} detect_s={detect} violations={len(verdict.violations)} "
          f"converge_s={converge_s}")
    return 1 if verdict.violations else 0


if __name__ == "__main__":
    sys.exit(main())
