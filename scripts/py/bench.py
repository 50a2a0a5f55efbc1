"""Driver of scripts/bench (see `scripts/bench --help`).

InfraMind runs as a 3-node local cluster; the Celery + Redis baseline is DIR/bench.py (--celery-dir DIR),
run unchanged (with its own worker management) against a private redis-server, in the same run.
Every figure is measured here, now; the table gives each row's ratio and the issue's target.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time

import cluster as clusterlib
import imload
from archive_run import NX

T0 = time.monotonic()
NCPU = os.cpu_count()


def log(*a):
    print(f"[{time.monotonic() - T0:7.1f}s]", *a, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ InfraMind measurements
class Bench:
    def __init__(self, a):
        self.a = a
        self.factory = imload.RequestFactory(os.path.join(a.root, "examples"))
        self.client = imload.Client(timeout=30.0)
        self.seq = 0
        self.seq_lock = threading.Lock()
        self.cl = None
        self.tag = time.time_ns()
        # With --archive-nx: what the nodes' archive writers had done when each cluster went down.
        self.archive = []
        self.phase = None

    def next_request(self):
        with self.seq_lock:
            self.seq += 1
            s = self.seq
        return s, self.factory.make(s)[1]

    def start_cluster(self, sleep_ms=0, cpu_iterations=0, extra=()):
        self.stop_cluster()
        args = clusterlib.slowdown_args(self.a.bin, sleep_ms, cpu_iterations) + list(extra) + self.a.node_arg
        self.cl = clusterlib.Cluster(self.a.root, self.a.bin, self.a.nodes, self.a.base_port, args, log=log)
        self.cl.up()
        self.phase = " ".join(clusterlib.slowdown_args(self.a.bin, sleep_ms, cpu_iterations) + list(extra)) or "no-op"
        log(f"cluster of {self.a.nodes} up with {' '.join(args) or 'no agent slowdown'}")
        return self.cl

    def stop_cluster(self):
        if not self.cl:
            return
        if self.a.archive_nx:
            self.archive.append({"cluster": self.phase, **self.archive_figures()})
            log(f"archive, cluster '{self.phase}': {self.archive[-1]}")
        self.cl.down()
        self.cl = None

    def archive_figures(self):
        """The archive writers' counters summed over the nodes (their /metrics), before the cluster goes down:
        final states written, still pending (their records go with the cluster), failed writes."""
        names = {"written": "inframind_archive_written_total", "pending": "inframind_archive_pending",
                 "failed": "inframind_archive_failed_total"}
        total = dict.fromkeys(names, 0)
        total["unreachable"] = []
        for i in range(1, self.cl.nodes + 1):
            try:
                text = self.cl.metrics(i)
            except OSError:  # the node the recovery row SIGKILLed
                total["unreachable"].append(i)
                continue
            for key, name in names.items():
                total[key] += int(imload.parse_prometheus(text, name) or 0)
        return total

    def pids(self):
        return [self.cl.pid(i) for i in range(1, self.cl.nodes + 1)]

    def nodes_cpu(self):
        return sum(imload.proc_cpu_s(p) for p in self.pids())

    def nodes_written(self):
        """Bytes all nodes have caused to be written to storage (/proc/<pid>/io write_bytes)."""
        return sum(imload.proc_write_bytes(p) for p in self.pids())

    def nodes_metric(self, name, labels=""):
        """A metric summed over all nodes (only samples whose labels contain `labels`), or None if a node has none."""
        total = 0.0
        for i in range(1, self.cl.nodes + 1):
            text = self.cl.metrics(i)
            if labels:
                text = "\n".join(line for line in text.splitlines() if labels in line)
            value = imload.parse_prometheus(text, name)
            if value is None:
                return None
            total += value
        return total

    def nodes_fsyncs(self):
        """fsyncs all nodes' stores have made (inframind_store_fsyncs_total)."""
        return self.nodes_metric("inframind_store_fsyncs_total")

    def agents_cpu(self):
        """Seconds of agent computation all nodes have counted (inframind_agent_compute_seconds_total)."""
        total = 0.0
        for i in range(1, self.cl.nodes + 1):
            value = imload.parse_prometheus(self.cl.metrics(i), "inframind_agent_compute_seconds_total")
            if value is None:
                return None
            total += value
        return total

    def node_addr(self, k):
        return self.cl.http(1 + k % self.cl.nodes)

    def idle_memory(self, settle=3.0):
        time.sleep(settle)
        rss = [imload.proc_rss_kb(p) for p in self.pids()]
        pss = [imload.proc_pss_kb(p) for p in self.pids()]
        return {"rss_kb": rss, "pss_kb": pss, "rss_mean_kb": statistics.fmean(rss), "pss_mean_kb": statistics.fmean(pss)}

    def one(self, k, timeout=60.0):
        """Submit one assessment and wait for its final state: (submit s, end-to-end s, status)."""
        _, body = self.next_request()
        addr = self.node_addr(k)
        t0 = time.perf_counter()
        code, aid, dt = self.client.submit(addr, body)
        if aid is None:
            raise RuntimeError(f"POST answered {code}")
        st = self.client.wait_final(addr, aid, timeout)
        return dt, time.perf_counter() - t0, st

    def submit_latency(self, n):
        """n sequential POSTs, round robin over the nodes; then waits for all of them."""
        lat, ids, refused = [], [], {}
        for k in range(n):
            _, body = self.next_request()
            for attempt in range(50):
                addr = self.node_addr(k + attempt)
                code, aid, dt = self.client.submit(addr, body, idempotency_key=f"bench-{self.tag}-submit-{k}")
                if aid is not None:
                    break
                refused[code] = refused.get(code, 0) + 1
                time.sleep(0.05)
            if aid is None:
                raise RuntimeError(f"POST answered {code} 50 times")
            lat.append(dt)
            ids.append((addr, aid))
        t0 = time.perf_counter()
        for addr, aid in ids:
            self.client.wait_final(addr, aid, 300)
        drain = time.perf_counter() - t0
        res = {"submit_idle": imload.summ_ms(lat), "n": n, "wait_after_s": drain,
               "refused": {str(k): v for k, v in refused.items()}}
        if refused:
            log(f"submit: refused answers (retried on the next node): {refused}")
        log(f"submit: {n} sequential POSTs p50 {res['submit_idle']['p50']:.2f} ms p99 {res['submit_idle']['p99']:.2f} ms")
        return res

    def closed_loop(self, C, warmup, measure):
        """C assessments in flight from C client threads; the window opens after `warmup` s and the first
        C completions, and lasts `measure` s. CPU of the nodes, the client and the machine over the window."""
        lock = threading.Lock()
        state = {"done": 0, "w_start": None, "w_end": None, "stop": False, "errors": 0, "gave_up": False}
        lat, sub, snaps = [], [], {}
        t_begin = time.perf_counter()

        def snap():
            tot, idle = imload.sys_busy()
            return {"t": time.perf_counter(), "nodes": self.nodes_cpu(), "client": imload.proc_cpu_s(os.getpid()),
                    "agents": self.agents_cpu(), "tot": tot, "idle": idle, "written": self.nodes_written(),
                    "fsyncs": self.nodes_fsyncs(),
                    "calls": self.nodes_metric("inframind_transport_calls_total", 'direction="sent"'),
                    "sent": self.nodes_metric("inframind_transport_bytes_total", 'direction="sent"'),
                    "archive": imload.proc_cpu_s(self.a.archive_pid) if self.a.archive_pid else 0.0}

        give_up = t_begin + warmup + measure + 120.0  # a cluster that stops completing must not hang the run

        def worker(k):
            n = 0
            while True:
                with lock:
                    if state["stop"]:
                        return
                    if time.perf_counter() > give_up:
                        state["stop"] = state["gave_up"] = True
                        return
                try:
                    dt, e2e, st = self.one(k * 100003 + n)
                    if st != "completed":
                        raise RuntimeError(f"assessment ended as {st or 'nothing within 60 s'}")
                except Exception as e:
                    with lock:
                        state["errors"] += 1
                        if state["errors"] <= 5 or state["errors"] % 100 == 0:
                            log(f"C={C}: error {state['errors']}: {type(e).__name__}: {e}")
                    time.sleep(0.1)
                    continue
                n += 1
                now = time.perf_counter()
                with lock:
                    state["done"] += 1
                    if state["w_start"] is None and state["done"] >= C and now - t_begin >= warmup:
                        state["w_start"], state["w_end"] = now, now + measure
                        snaps["0"] = snap()
                        snaps["count0"] = 0
                    elif state["w_start"] is not None and now < state["w_end"]:
                        lat.append(e2e)
                        sub.append(dt)
                        snaps["count0"] += 1
                    elif state["w_end"] is not None and now >= state["w_end"]:
                        if "1" not in snaps:
                            snaps["1"] = snap()
                        state["stop"] = True
                        return

        threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(C)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if "0" not in snaps or "1" not in snaps:
            log(f"C={C}: NO RESULT — {state['done']} completed, {state['errors']} errors before giving up")
            return {"C": C, "failed": True, "completed": state["done"], "errors": state["errors"]}
        s0, s1 = snaps["0"], snaps["1"]
        win = s1["t"] - s0["t"]
        count = snaps["count0"]
        dtot, didle = s1["tot"] - s0["tot"], s1["idle"] - s0["idle"]
        nodes_cores = (s1["nodes"] - s0["nodes"]) / win
        client_cores = (s1["client"] - s0["client"]) / win
        # The archive's server (--archive-nx) runs on this machine too: counted apart from the foreign load.
        archive_cores = (s1["archive"] - s0["archive"]) / win
        res = {"C": C, "completed_in_window": count, "window_s": win, "assess_per_s": count / win,
               "e2e": imload.summ_ms(lat), "submit_loaded": imload.summ_ms(sub), "errors": state["errors"],
               "cpu": {"nodes_cores": nodes_cores, "client_cores": client_cores,
                       "system_busy_pct": 100.0 * (dtot - didle) / dtot if dtot else None,
                       "foreign_cores":
                       NCPU * (dtot - didle) / dtot - nodes_cores - client_cores - archive_cores if dtot else None,
                       "nodes_cpu_ms_per_assessment": 1000 * (s1["nodes"] - s0["nodes"]) / count if count else None,
                       "client_cpu_ms_per_assessment": 1000 * (s1["client"] - s0["client"]) / count if count else None},
               # Per assessment and per node: what one node writes to disk and how often it waits for it.
               "storage": {"kb_written_per_assessment_per_node":
                           (s1["written"] - s0["written"]) / 1024 / count / self.cl.nodes if count else None,
                           "fsyncs_per_assessment_per_node":
                           (s1["fsyncs"] - s0["fsyncs"]) / count / self.cl.nodes
                           if count and s0["fsyncs"] is not None and s1["fsyncs"] is not None else None},
               # Between the nodes, all of them together: calls made and bytes sent per assessment.
               "transport": {"calls_per_assessment": (s1["calls"] - s0["calls"]) / count
                             if count and s0["calls"] is not None and s1["calls"] is not None else None,
                             "kb_sent_per_assessment": (s1["sent"] - s0["sent"]) / 1024 / count
                             if count and s0["sent"] is not None and s1["sent"] is not None else None}}
        if self.a.archive_pid:
            res["cpu"]["archive_cores"] = archive_cores
            res["cpu"]["archive_cpu_ms_per_assessment"] = 1000 * (s1["archive"] - s0["archive"]) / count if count else None
        if count and s0["agents"] is not None and s1["agents"] is not None:
            # The agents' own computation, as the nodes count it by thread CPU clock: the rest of the
            # nodes' CPU is orchestration (transport, replication, storage, encoding, HTTP).
            agents_ms = 1000 * (s1["agents"] - s0["agents"]) / count
            res["cpu"]["agents_cpu_ms_per_assessment"] = agents_ms
            res["cpu"]["orchestration_cpu_ms_per_assessment"] = res["cpu"]["nodes_cpu_ms_per_assessment"] - agents_ms
        agents = res["cpu"].get("agents_cpu_ms_per_assessment")
        log(f"C={C}: {res['assess_per_s']:.1f} assess/s, e2e p50 {res['e2e']['p50']:.1f} ms p99 {res['e2e']['p99']:.1f} ms, "
            f"nodes {res['cpu']['nodes_cpu_ms_per_assessment']:.2f} ms CPU/assessment "
            f"(agents {'-' if agents is None else f'{agents:.2f}'}), "
            f"foreign {res['cpu']['foreign_cores']:.2f} cores")
        return res

    def recovery(self, C=8, warmup=3.0, after=5.0, agent_ms=200):
        """Closed loop with sleep agents; SIGKILL the node running the most agents; time until every agent
        that was running there has finished elsewhere (as GET status shows)."""
        lock = threading.Lock()
        inflight = {}  # aid -> addr
        snaps = {}
        stop = threading.Event()
        obs = imload.Client(timeout=2.0)
        victim = {"i": None}

        def loop(k):
            n = 0
            while not stop.is_set():
                _, body = self.next_request()
                addr = self.node_addr(k + n)
                n += 1
                if victim["i"] is not None and addr == self.cl.http(victim["i"]):
                    continue
                try:
                    code, aid, _ = self.client.submit(addr, body, timeout=5)
                except Exception:
                    continue
                if not aid:
                    continue
                with lock:
                    inflight[aid] = addr
                self.client.wait_final(self.survivor_addr(victim), aid, 60)
                with lock:
                    inflight.pop(aid, None)

        def poll_all(ids=None):
            if ids is None:
                with lock:
                    ids = list(inflight)
            addr = self.survivor_addr(victim)
            for aid in ids:
                try:
                    code, body = obs.status(addr, aid, timeout=2)
                except Exception:
                    continue
                if code == 200 and body:
                    snaps[aid] = (time.monotonic(), body)

        threads = [threading.Thread(target=loop, args=(k,), daemon=True) for k in range(C)]
        for t in threads:
            t.start()
        time.sleep(warmup)
        # pick the node with the most running agents in a fresh snapshot
        running = {}
        # The victim is picked from progress that can be a flush (250 ms) old, so it may have finished
        # what it was seen running; then it is started again and the next trial kills a node anew.
        trials = 0
        for trials in range(1, 4):
            for _ in range(100):
                round_start = time.monotonic()
                poll_all()
                running = {}
                # this round's snapshots only: an assessment that finished meanwhile keeps its last one
                for aid, (ts, body) in list(snaps.items()):
                    if ts < round_start:
                        continue
                    for ag in (body.get("progress") or {}).get("agents") or []:
                        if ag.get("state") == "running" and ag.get("node"):
                            running.setdefault(str(ag["node"]), {})[(aid, ag["name"])] = int(ag.get("attempts") or 1)
                if running:
                    break
                time.sleep(0.02)
            if not running:
                stop.set()
                return {"error": "no running agent with a node seen in GET status; cannot measure"}
            vnode = max(running, key=lambda n: len(running[n]))
            vi = next((i for i in range(1, self.cl.nodes + 1) if self.cl.name(i) in vnode), None)
            if vi is None:
                stop.set()
                return {"error": f"cannot map agent node {vnode!r} to a node index"}
            pending = dict(running[vnode])  # (id, agent) -> the attempt seen running on the victim
            victim["i"] = vi
            t_kill = time.monotonic()
            self.cl.signal(vi, "KILL")
            log(f"recovery: SIGKILLed node-{vi} with {len(pending)} running agent(s)")
            # An agent counts once it has finished on another node: one the victim finished before it died
            # (the snapshot was a few ms old) was never requeued. The pending ones are polled themselves,
            # since a finished assessment leaves the load loop's in-flight set.
            done, finished_by_victim = {}, 0
            t_end = t_kill + 60
            while pending and time.monotonic() < t_end:
                poll_all(sorted({aid for aid, _ in pending}))
                for (aid, name), attempt in list(pending.items()):
                    body = snaps.get(aid, (0, {}))[1]
                    st = next((ag for ag in (body.get("progress") or {}).get("agents") or [] if ag.get("name") == name), {})
                    if st.get("state") in ("succeeded", "completed"):
                        if st.get("node") and str(st["node"]) != vnode:
                            done[(aid, name)] = (time.monotonic() - t_kill, st.get("node"), st.get("attempts"))
                        else:
                            finished_by_victim += 1
                        del pending[(aid, name)]
                time.sleep(0.005)
            if done or pending or trials == 3:
                break
            log(f"recovery: node-{vi} had finished all of them; restarting it for another trial")
            self.cl.start(vi)
            self.cl.wait_ready([vi])
            victim["i"] = None
            time.sleep(warmup)
        time.sleep(after)
        stop.set()
        for t in threads:
            t.join(timeout=70)
        res = {"agent_ms": agent_ms, "C": C, "victim": vi, "trials": trials,
               "agents_running_on_victim": len(done) + len(pending) + finished_by_victim,
               "finished_by_victim_before_it_died": finished_by_victim,
               "recovered": len(done), "not_recovered_in_60s": len(pending),
               "recovery_max_s": max(v[0] for v in done.values()) if done else None,
               "recovery_p50_s": statistics.median(v[0] for v in done.values()) if done else None,
               "attempts_after": sorted({v[2] for v in done.values() if v[2] is not None})}
        log(f"recovery: {json.dumps(res)}")
        return res

    def survivor_addr(self, victim):
        for i in range(1, self.cl.nodes + 1):
            if i != victim.get("i"):
                return self.cl.http(i)
        return self.cl.http(1)


# 200 ms sleep agents stand for agents waiting on a remote model: I/O-bound, so a node runs many at
# once, as an operator would configure them (the default, one per core, suits CPU-bound agents).
RECOVERY_NODE_ARGS = ["--worker-concurrency", "16"]


def inframind(a, out=None):
    b = Bench(a)
    out = {"nodes": a.nodes} if out is None else out
    try:
        if a.only == "recovery":
            b.start_cluster(sleep_ms=200, extra=RECOVERY_NODE_ARGS)
            out["recovery"] = b.recovery(agent_ms=200)
            return out
        if a.only == "noop":
            b.start_cluster()
            out["idle_memory"] = b.idle_memory()
            out["noop"] = [b.closed_loop(16, a.warmup, a.measure)]
            return out
        # no-op agents: idle memory, submission latency, no-op throughput, orchestration CPU
        b.start_cluster()
        out["idle_memory"] = b.idle_memory()
        log(f"idle memory per node: RSS {[k // 1024 for k in out['idle_memory']['rss_kb']]} MiB")
        # C=1 first, on a fresh cluster: the base of the CPU calibration
        noop_c1 = out["noop_c1"] = b.closed_loop(1, a.warmup, a.calib_measure)
        out["submit"] = b.submit_latency(a.n_submit)
        out["noop"] = [b.closed_loop(C, a.warmup, a.measure) for C in (16, 64)]
        # calibrate the CPU slowdown to ~5 ms of CPU per agent, from the nodes' own CPU time
        b.start_cluster(cpu_iterations=a.calib_iterations)
        probe = b.closed_loop(1, a.warmup, a.calib_measure)
        cpu_of = lambda r: (r.get("cpu") or {}).get("nodes_cpu_ms_per_assessment")  # noqa: E731
        if cpu_of(probe) is None or cpu_of(noop_c1) is None:
            raise RuntimeError("calibration failed: the C=1 loops gave no result")
        per_agent = (cpu_of(probe) - cpu_of(noop_c1)) / 11
        if per_agent <= 0:
            raise RuntimeError(f"calibration failed: {a.calib_iterations} iterations cost {per_agent:.2f} ms per agent")
        iters = int(a.calib_iterations * a.agent_ms / per_agent) if per_agent > 0 else a.calib_iterations
        out["calibration"] = {"probe_iterations": a.calib_iterations, "probe_agent_cpu_ms": per_agent,
                              "iterations": iters, "noop_c1_cpu_ms": cpu_of(noop_c1)}
        log(f"calibration: {a.calib_iterations} iterations = {per_agent:.2f} ms CPU per agent → {iters} for {a.agent_ms} ms")
        b.start_cluster(cpu_iterations=iters)
        out["cpu"] = [b.closed_loop(C, a.warmup, a.measure) for C in (1, 16, 64)]
        noop16, c16 = cpu_of(out["noop"][0]), cpu_of(out["cpu"][1])
        # agent CPU measured under load (what the CPU bound uses); the calibration probe's if that failed
        out["agent_cpu_ms"] = (c16 - noop16) / 11 if noop16 is not None and c16 is not None \
            else per_agent * iters / a.calib_iterations
        # recovery with 200 ms sleep agents
        b.start_cluster(sleep_ms=200, extra=RECOVERY_NODE_ARGS)
        out["recovery"] = b.recovery(agent_ms=200)
    finally:
        b.stop_cluster()
        if a.archive_nx:
            out["archive"] = b.archive
    return out


# ------------------------------------------------------------------ Celery
def celery(a):
    """Runs the baseline's bench.py (--celery-dir) three times against one private redis-server."""
    here = a.celery_dir
    venv = a.celery_venv
    work = os.path.join(a.workdir, "celery")
    os.makedirs(work, exist_ok=True)
    port = a.redis_port
    redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                              "no", "--dir", work, "--logfile", os.path.join(work, "redis.log"), "--daemonize", "no"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(os.path.join(a.workdir, "redis.pid"), "w") as f:
        f.write(str(redis.pid))
    out = {}
    try:
        for _ in range(50):
            if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        common = [os.path.join(venv, "bin", "python"), os.path.join(here, "bench.py"),
                  "--redis-url", f"redis://127.0.0.1:{port}/0", "--redis-pid", str(redis.pid),
                  "--celery", os.path.join(venv, "bin", "celery"), "--workdir", work,
                  "--warmup", str(a.warmup), "--measure", str(a.measure)]
        runs = {
            "cpu": ["--agent-iters", "0", "--agent-ms", str(a.agent_ms), "--cs", "1,16,64", "--skip", "d",
                    "--n-submit", str(a.n_submit)],
            "noop": ["--agent-mode", "sleep", "--agent-ms", "0", "--cs", "16,64", "--skip", "a,d"],
            "fault": ["--skip", "a,b", "--fault-variants", a.celery_faults, "--fault-n", "20"],
        }
        for name, extra in runs.items():
            if name == "fault" and a.skip_celery_fault:
                continue
            path = os.path.join(a.workdir, f"celery-{name}.json")
            log(f"celery {name}: {' '.join(common[1:2] + extra)}")
            r = subprocess.run(common + ["--out", path] + extra, cwd=here)
            if r.returncode != 0:
                raise RuntimeError(f"celery bench ({name}) failed with {r.returncode}")
            with open(path) as f:
                out[name] = json.load(f)
    finally:
        redis.terminate()
        try:
            redis.wait(10)
        except subprocess.TimeoutExpired:
            redis.kill()
            redis.wait()
    return out


# ------------------------------------------------------------------ the table
def table(im, ce, a):
    rows = []

    def ratio(x, y, higher_better):
        if higher_better is None or x is None or y is None or x != x or y != y or x == 0 or y == 0:
            return "-"
        r = x / y if higher_better else y / x
        return f"{r:.2f}×" if r < 1 else f"{r:.1f}×"

    def f(v, fmtstr="{:.1f}"):
        return "-" if v is None or v != v else fmtstr.format(v)

    def row(name, iv, cv, hb, target="", fmtstr="{:.1f}", show=None):
        rows.append((name, show[0] if show else f(iv, fmtstr), show[1] if show else f(cv, fmtstr),
                     ratio(iv, cv, hb), target))

    cc = ce.get("cpu", {}) if ce else {}
    cn = ce.get("noop", {}) if ce else {}
    cf = ce.get("fault", {}) if ce else {}
    cb = {r["C"]: r for r in (cc.get("phases", {}).get("b") or [])}
    cbn = {r["C"]: r for r in (cn.get("phases", {}).get("b") or [])}
    ib = {r["C"]: r for r in im.get("cpu", [])}
    ibn = {r["C"]: r for r in im.get("noop", [])}
    ca = cc.get("phases", {}).get("a", {}).get("submit_idle", {})
    ia = im.get("submit", {}).get("submit_idle", {})
    row("submit p50, idle (ms)", ia.get("p50"), ca.get("p50"), False, "≤ 2 ms", "{:.2f}")
    row("submit p99, idle (ms)", ia.get("p99"), ca.get("p99"), False, "≤ 5 ms", "{:.2f}")
    for C in (16,):
        il, cl_ = ib.get(C, {}).get("submit_loaded", {}), cb.get(C, {}).get("submit_loaded", {})
        row(f"submit p50 / p99 at C={C} (ms)", il.get("p99"), cl_.get("p99"), False, "",
            show=(f"{f(il.get('p50'), '{:.2f}')} / {f(il.get('p99'), '{:.2f}')}",
                  f"{f(cl_.get('p50'), '{:.2f}')} / {f(cl_.get('p99'), '{:.2f}')}"))
    i_agent = im.get("agent_cpu_ms")
    c_agent = (cb.get(16) or {}).get("agent_busy_cpu_ms_mean")
    row("agent CPU, measured (ms)", i_agent, c_agent, None, "5 ms", "{:.2f}")
    ie1, ce1 = ib.get(1, {}).get("e2e", {}), cb.get(1, {}).get("e2e", {})
    row("end-to-end C=1 p50 (ms)", ie1.get("p50"), ce1.get("p50"), False,
        f"≤ 1.2 × ideal (6 × agent: {f(6 * i_agent if i_agent else None)} / {f(6 * c_agent if c_agent else None)})")
    row("end-to-end C=1 p99 (ms)", ie1.get("p99"), ce1.get("p99"), False)
    for C in (16, 64):
        it, ct = ib.get(C, {}).get("assess_per_s"), cb.get(C, {}).get("assess_per_s")
        row(f"throughput C={C} (assessments/s)", it, ct, True)
        ib_ = NCPU / (11 * i_agent / 1000) if i_agent else None
        cb_ = NCPU / (11 * c_agent / 1000) if c_agent else None
        ifr = it / ib_ if it and ib_ else None
        cfr = ct / cb_ if ct and cb_ else None
        row(f"  … of the CPU bound ({NCPU} cores)", ifr, cfr, True, "≥ 90 %",
            show=(f(ifr * 100 if ifr else None, "{:.0f} %"), f(cfr * 100 if cfr else None, "{:.0f} %")))
        row(f"  e2e p50 / p99 at C={C} (ms)", ib.get(C, {}).get("e2e", {}).get("p99"), cb.get(C, {}).get("e2e", {}).get("p99"),
            False, "", show=(f"{f(ib.get(C, {}).get('e2e', {}).get('p50'), '{:.0f}')} / {f(ib.get(C, {}).get('e2e', {}).get('p99'), '{:.0f}')}",
                             f"{f(cb.get(C, {}).get('e2e', {}).get('p50'), '{:.0f}')} / {f(cb.get(C, {}).get('e2e', {}).get('p99'), '{:.0f}')}"))
    for C in (16, 64):
        row(f"no-op throughput C={C} (assessments/s)", ibn.get(C, {}).get("assess_per_s"),
            cbn.get(C, {}).get("assess_per_s"), True, "≥ 250/s" if C == 16 else "")
    io = ibn.get(16, {}).get("cpu", {}).get("nodes_cpu_ms_per_assessment")
    cbn16 = cbn.get(16, {}).get("cpu", {})
    co = (cbn16.get("worker_cpu_ms_per_assessment") or 0) + (cbn16.get("redis_cpu_ms_per_assessment") or 0) if cbn16 else None
    row("node CPU, no-op agents, C=16 (ms/assessment)", io, co, False, "", "{:.2f}")
    ia = ibn.get(16, {}).get("cpu", {}).get("agents_cpu_ms_per_assessment")
    row("  of which the agents' own computation (ms)", ia, 0.0 if cbn16 else None, False, "", "{:.2f}")
    iorch = ibn.get(16, {}).get("cpu", {}).get("orchestration_cpu_ms_per_assessment")
    row("  of which orchestration (ms)", iorch, co, False, "≤ 3 ms", "{:.2f}")
    istore = ibn.get(16, {}).get("storage", {})
    row("  KB written per assessment per node", istore.get("kb_written_per_assessment_per_node"), None, False, "",
        "{:.1f}")
    row("  fsyncs per assessment per node", istore.get("fsyncs_per_assessment_per_node"), None, False, "", "{:.2f}")
    itransport = ibn.get(16, {}).get("transport", {})
    row("  transport calls per assessment (all nodes)", itransport.get("calls_per_assessment"), None, False, "",
        "{:.1f}")
    row("  KB sent between nodes per assessment", itransport.get("kb_sent_per_assessment"), None, False, "", "{:.1f}")
    ic = ibn.get(16, {}).get("cpu", {}).get("client_cpu_ms_per_assessment")
    cc_ = cbn16.get("client_cpu_ms_per_assessment") if cbn16 else None
    row("  client CPU (ms/assessment), not counted", ic, cc_, False, "", "{:.2f}")
    rec = im.get("recovery", {})
    cdesc = []
    crec = None
    for v in (cf.get("phases", {}).get("d") or []):
        s = list((v.get("straggler_agent_done_after_kill_s") or {}).values())
        t = s[0] if s else None
        chord = list((v.get("straggler_done_after_kill_s") or {}).values())
        if t is not None and t <= 0 and chord:
            # the agent had finished just before the kill, yet its chord waited for the worker's
            # unacknowledged messages to come back: that wait is the recovery a user sees (none when
            # the chord never completed)
            t = chord[0]
            if t is None:
                cdesc.append(f"{v['variant']}: stuck ({v.get('stuck')} chord)")
                continue
            cdesc.append(f"{v['variant']}: {t:.1f} s (chord)")
            crec = t if crec is None else min(crec, t)
            continue
        cdesc.append(f"{v['variant']}: {f(t, '{:.1f} s') if t is not None else 'stuck (' + str(v.get('stuck')) + ' chord)'}")
        if t is not None:
            crec = t if crec is None else min(crec, t)
    row("recovery of a SIGKILLed worker's tasks, 200 ms agents, 16 per node (s)", rec.get("recovery_max_s"), crec, False, "≤ 1 s",
        show=(f(rec.get("recovery_max_s"), "{:.2f}") + (f" ({rec.get('recovered')} agents)" if rec.get("recovered") else ""),
              "; ".join(cdesc) or "-"))
    mem = im.get("idle_memory", {})
    cm = cc.get("meta", {}) if cc else {}
    cmem = (cm.get("worker_idle_mem", {}).get("total_rss_kb", 0) + cm.get("redis_idle_rss_kb_with_worker", 0)) / 1024 if cm else None
    imem = mem.get("rss_mean_kb", 0) / 1024 if mem else None
    row("idle RSS per node vs worker (2 procs) + Redis (MiB)", imem, cmem, False, "", "{:.1f}")
    row("  all 3 nodes vs worker + Redis (MiB)", sum(mem.get("rss_kb", [])) / 1024 if mem else None, cmem, False, "", "{:.1f}")

    head = ("metric", f"InfraMind ({im.get('nodes', '?')} nodes, 1 machine)", "Celery + Redis",
            "InfraMind's advantage", "target")
    widths = [max(len(str(r[k])) for r in rows + [head]) for k in range(5)]
    lines = ["| " + " | ".join(str(h).ljust(w) for h, w in zip(head, widths)) + " |",
             "| " + " | ".join("-" * w for w in widths) + " |"]
    for r in rows:
        lines.append("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")
    return "\n".join(lines)


def main():
    # SIGTERM (from the wrapper's trap) unwinds through the finally blocks that stop what we started
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser(prog="scripts/bench")
    ap.add_argument("--root", required=True)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--nodes", type=int, default=3)
    ap.add_argument("--base-port", type=int, default=None)
    ap.add_argument("--node-arg", action="append", default=[])
    ap.add_argument("--baseline", default="")
    ap.add_argument("--celery-dir", default=None)
    ap.add_argument("--celery-venv", default="/tmp/celery-bench-venv")
    ap.add_argument("--celery-faults", default="default-vt:whole,vt10-throttle1:whole")
    ap.add_argument("--skip-celery-fault", action="store_true")
    ap.add_argument("--redis-port", type=int, default=6391)
    ap.add_argument("--agent-ms", type=float, default=5.0)
    ap.add_argument("--calib-iterations", type=int, default=2_000_000)
    ap.add_argument("--calib-measure", type=float, default=5.0)
    ap.add_argument("--n-submit", type=int, default=500)
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--measure", type=float, default=15.0)
    ap.add_argument("--skip", default="", help="inframind,celery")
    ap.add_argument("--only", default="", choices=["", "recovery", "noop"], help="one InfraMind row alone")
    ap.add_argument("--from-json", default=None, help="print the table of an earlier run's results.json")
    ap.add_argument("--archive-nx", default=None,
                    help="start this nx-27017 on a free loopback port and give every node archive_mongodb_uri")
    a = ap.parse_args()
    if a.from_json:
        with open(a.from_json) as f:
            r = json.load(f)
        print(table(r.get("inframind", {}), r.get("celery"), a))
        return
    skip = set(filter(None, a.skip.split(",")))
    a.archive_pid = None
    nx = None
    if a.archive_nx:
        nx = NX(a.archive_nx, a.workdir)
        nx.start()
        a.node_arg = a.node_arg + ["--archive-mongodb-uri", f"mongodb://127.0.0.1:{nx.port}/"]
        a.archive_pid = nx.process.pid
        log(f"archive: nx-27017 on 127.0.0.1:{nx.port} (pid {nx.process.pid}), files in {a.workdir}")
    try:
        run(a, skip)
    finally:
        if nx:
            nx.kill()


def run(a, skip):
    res = {"meta": {"ncpu": NCPU, "started": time.strftime("%Y-%m-%d %H:%M:%S"), "args": vars(a),
                    "loadavg_before": os.getloadavg()}}
    t0, i0 = imload.sys_busy()
    time.sleep(1)
    t1, i1 = imload.sys_busy()
    res["meta"]["background_busy_cores_before"] = NCPU * ((t1 - t0) - (i1 - i0)) / (t1 - t0)
    log(f"background busy cores before start: {res['meta']['background_busy_cores_before']:.2f}")
    path = os.path.join(a.workdir, "results.json")

    def save():
        with open(path, "w") as f:
            json.dump(res, f, indent=1)

    if "inframind" not in skip:
        res["inframind"] = {"nodes": a.nodes}
        try:
            inframind(a, res["inframind"])
        except Exception as e:  # the baseline still runs; the table shows what was measured
            log(f"InfraMind run failed: {type(e).__name__}: {e}")
            res["inframind_error"] = f"{type(e).__name__}: {e}"
        save()
    if a.baseline == "celery" and "celery" not in skip:
        res["celery"] = celery(a)
        save()
    res["meta"]["loadavg_after"] = os.getloadavg()
    save()
    text = table(res.get("inframind", {}), res.get("celery"), a)
    if a.archive_nx:
        text += "\n\narchive (nx-27017), summed over the nodes when each cluster went down:\n" + "\n".join(
            f"  {row['cluster']}: written {row['written']}, pending {row['pending']}, failed {row['failed']}"
            + (f" (nodes not answering: {row['unreachable']})" if row["unreachable"] else "")
            for row in res.get("inframind", {}).get("archive", []))
        loops = [(f"no-op C={r['C']}", r) for r in res.get("inframind", {}).get("noop", [])] + [
            (f"5 ms agents C={r['C']}", r) for r in res.get("inframind", {}).get("cpu", [])]
        text += "\nnx-27017's own CPU in each window: " + ", ".join(
            f"{name} {r['cpu']['archive_cores']:.2f} cores ({r['cpu']['archive_cpu_ms_per_assessment']:.1f} ms/assessment)"
            for name, r in loops if (r.get("cpu") or {}).get("archive_cpu_ms_per_assessment") is not None)
    text += "\n\nload average (1, 5, 15 min): before {:.2f} {:.2f} {:.2f}, after {:.2f} {:.2f} {:.2f}".format(
        *res["meta"]["loadavg_before"], *res["meta"]["loadavg_after"])
    with open(os.path.join(a.workdir, "table.md"), "w") as f:
        f.write(text + "\n")
    print(text)
    log(f"results: {path}")


if __name__ == "__main__":
    main()
