"""A cluster of inframind nodes, each in its own network namespace (see docs/partitions.md).

Each node i runs in namespace `imns-i` with address 10.213.0.(10+i)/24 on a veth whose other end is
on the bridge `imbr0` (10.213.0.1/24) in the root namespace, so a client in the root namespace
reaches every node's HTTP port whatever the faults between nodes. Faults are rules inside the
nodes' namespaces and only ever name node addresses, never the bridge's:

- partition into groups: every node drops (in and out) what comes from or goes to a node outside
  its group; a node listed in two groups is a bridge that sees both;
- isolate a node: a partition of that node against the rest;
- one-way cut A->B: A's namespace drops what it sends to B (B still reaches A's port, but no TCP
  answer comes back);
- slow/lossy link: `tc netem` delay and jitter where the kernel has it; otherwise (this machine's
  kernel is built without CONFIG_NET_SCH_NETEM) an HTB rate limit, whose queue is the delay, plus
  random loss with nftables `numgen`;
- heal: every rule and qdisc gone.

Everything is tagged by name (namespaces `imns-*`, bridge `imbr0`, veths `imh-*`, nftables table
`inet imfault` inside the namespaces), and `destroy` removes all of it, processes included (by
PID). `scripts/netns` is the command line; scripts/py/partitions.py drives it from Python.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

SUBNET = "10.213.0"
BRIDGE = "imbr0"
NS_PREFIX = "imns-"
VETH_PREFIX = "imh-"
TABLE = "imfault"
CLUSTER_PORT = 7000
HTTP_PORT = 8000


def run(*cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(list(cmd), capture_output=True, text=True)
    if check and out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr.strip()}")
    return out


def namespace(i: int) -> str:
    return f"{NS_PREFIX}{i}"


def address(i: int) -> str:
    return f"{SUBNET}.{10 + i}"


def in_ns(i: int, *cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run("ip", "netns", "exec", namespace(i), *cmd, check=check)


def nft(i: int, script: str) -> None:
    out = subprocess.run(["ip", "netns", "exec", namespace(i), "nft", "-f", "-"], input=script,
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"nft in {namespace(i)} failed: {out.stderr.strip()}\n{script}")


_netem: bool | None = None


def kernel_has_netem() -> bool:
    """Whether `tc ... netem` works here (probed once on a namespace's loopback)."""
    global _netem
    if _netem is None:
        probe = "imns-probe"
        run("ip", "netns", "add", probe)
        try:
            out = run("ip", "netns", "exec", probe, "tc", "qdisc", "add", "dev", "lo", "root", "netem",
                      "delay", "1ms", check=False)
            _netem = out.returncode == 0
        finally:
            run("ip", "netns", "del", probe, check=False)
    return _netem


@dataclass
class Link:
    """A slow, lossy link from node `source` (to `peer`, or to every node when None)."""
    source: int
    peer: int | None
    delay_ms: float
    jitter_ms: float
    loss_pct: float
    rate_kbit: int


@dataclass
class Faults:
    """The network faults in force: the rules `apply` writes."""
    groups: list[list[int]] = field(default_factory=list)
    cuts: list[tuple[int, int]] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)

    def blocked(self, a: int, b: int) -> bool:
        """Whether a's packets to b are dropped."""
        if (a, b) in self.cuts:
            return True
        if not self.groups:
            return False
        return not any(a in g and b in g for g in self.groups)


@dataclass
class NetnsCluster:
    root: Path
    binary: Path
    nodes: int
    node_args: list[str] = field(default_factory=list)
    pids: dict[int, int] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    procs: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def state(self) -> Path:
        return self.root / ".netns"

    def http(self, i: int) -> str:
        return f"{address(i)}:{HTTP_PORT}"

    def name(self, i: int) -> str:
        return f"node-{i}"

    # ------------------------------------------------------------------ network
    def create(self) -> None:
        existing = [n for n in list_namespaces() if n.startswith(NS_PREFIX)]
        if existing or link_exists(BRIDGE):
            raise RuntimeError(f"namespaces {existing} or bridge {BRIDGE} exist: run `scripts/netns down` first")
        run("ip", "link", "add", BRIDGE, "type", "bridge")
        run("ip", "addr", "add", f"{SUBNET}.1/24", "dev", BRIDGE)
        run("ip", "link", "set", BRIDGE, "up")
        for i in range(1, self.nodes + 1):
            ns, veth = namespace(i), f"{VETH_PREFIX}{i}"
            run("ip", "netns", "add", ns)
            run("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
            run("ip", "link", "set", veth, "master", BRIDGE, "up")
            run("ip", "-n", ns, "addr", "add", f"{address(i)}/24", "dev", "eth0")
            run("ip", "-n", ns, "link", "set", "eth0", "up")
            run("ip", "-n", ns, "link", "set", "lo", "up")
        self.apply(Faults())

    def apply(self, faults: Faults) -> None:
        """Replaces every rule and qdisc with those of `faults`."""
        for i in range(1, self.nodes + 1):
            drops_out = [address(b) for b in range(1, self.nodes + 1) if b != i and faults.blocked(i, b)]
            drops_in = [address(a) for a in range(1, self.nodes + 1)
                        if a != i and faults.blocked(a, i) and (a, i) not in faults.cuts]
            lines = [f"table inet {TABLE} {{}}", f"delete table inet {TABLE}", f"table inet {TABLE} {{",
                     "  chain output { type filter hook output priority 0; policy accept;"]
            if drops_out:
                lines.append(f"    ip daddr {{ {', '.join(drops_out)} }} drop")
            for link in faults.links:
                if link.source == i and link.loss_pct > 0:
                    target = f"ip daddr {address(link.peer)} " if link.peer else f"ip daddr {SUBNET}.0/24 "
                    lines.append(f"    {target}numgen random mod 1000 < {int(link.loss_pct * 10)} drop")
            lines.append("  }")
            lines.append("  chain input { type filter hook input priority 0; policy accept;")
            if drops_in:
                lines.append(f"    ip saddr {{ {', '.join(drops_in)} }} drop")
            lines.append("  }")
            lines.append("}")
            nft(i, "\n".join(lines) + "\n")
            mine = [link for link in faults.links if link.source == i]
            shaped = any(link.source == i for link in self.faults.links)
            if mine or shaped:
                # One `tc -batch` per namespace: a process per command made a loaded machine's
                # schedule lag by seconds (docs/partitions.md).
                commands = ["qdisc del dev eth0 root"] if shaped else []
                commands += self._shape(mine)
                out = subprocess.run(["ip", "netns", "exec", namespace(i), "tc", "-force", "-batch", "-"],
                                     input="\n".join(commands) + "\n", capture_output=True, text=True)
                if out.returncode != 0 and mine:
                    raise RuntimeError(f"tc in {namespace(i)} failed: {out.stderr.strip()}")
        self.faults = faults
        self.save()

    def _shape(self, links: list[Link]) -> list[str]:
        """The tc commands for `links` from one node's eth0."""
        if not links:
            return []
        commands = []
        if kernel_has_netem():
            # One netem band per link behind a prio qdisc; unmatched traffic keeps the default bands.
            commands.append(f"qdisc add dev eth0 root handle 1: prio bands {3 + len(links)}")
            for n, link in enumerate(links):
                band = 4 + n
                commands.append(f"qdisc add dev eth0 parent 1:{band} handle {band}0: netem delay "
                                f"{link.delay_ms}ms {link.jitter_ms}ms distribution normal")
                dst = f"{address(link.peer)}/32" if link.peer else f"{SUBNET}.0/24"
                commands.append(f"filter add dev eth0 parent 1: protocol ip u32 match ip dst {dst} flowid 1:{band}")
            return commands
        # No netem: a rate limit per link (its queue delays what exceeds it).
        commands.append("qdisc add dev eth0 root handle 1: htb default 1 r2q 1000")
        commands.append("class add dev eth0 parent 1: classid 1:1 htb rate 10gbit")
        for n, link in enumerate(links):
            cls = f"1:{10 + n}"
            commands.append(f"class add dev eth0 parent 1: classid {cls} htb rate {link.rate_kbit}kbit burst 4k")
            dst = f"{address(link.peer)}/32" if link.peer else f"{SUBNET}.0/24"
            commands.append(f"filter add dev eth0 parent 1: protocol ip u32 match ip dst {dst} flowid {cls}")
        return commands

    # ------------------------------------------------------------------ nodes
    def certs(self) -> Path:
        return self.state / "certs"

    def node_dir(self, i: int) -> Path:
        return self.state / f"node-{i}"

    def args(self, i: int) -> list[str]:
        seeds: list[str] = []
        for j in range(1, self.nodes + 1):
            # As scripts/cluster-up: only node-1 lists itself (it forms the cluster).
            if j != i or i == 1:
                seeds += ["--seed", f"node-{j}@{address(j)}:{CLUSTER_PORT}"]
        # The API listens on the namespace's own address, reachable only inside the test's private
        # network: open on purpose (a node refuses a non-loopback API without tokens otherwise).
        return ["node", "--name", self.name(i), "--host", address(i), "--port", str(CLUSTER_PORT),
                "--http-port", str(HTTP_PORT), "--insecure-open-api", "--certs", str(self.certs()),
                "--data-dir", str(self.node_dir(i) / "data"), *self.node_args, *seeds]

    def start_all(self) -> None:
        self.state.mkdir(parents=True, exist_ok=True)
        names = [self.name(i) for i in range(1, self.nodes + 1)]
        run(str(self.binary), "certs", "init", "--out", str(self.certs()), "--names", *names, "--force")
        for i in range(1, self.nodes + 1):
            d = self.node_dir(i)
            if (d / "data").exists():
                subprocess.run(["rm", "-rf", str(d / "data")], check=True)
            (d / "data").mkdir(parents=True, exist_ok=True)
            (d / "log").write_bytes(b"")
            self.start(i)

    def start(self, i: int) -> None:
        if self.alive(i):
            raise RuntimeError(f"node-{i} is running (pid {self.pids[i]})")
        log = open(self.node_dir(i) / "log", "ab")
        # `ip netns exec` execs the binary, so the PID is the node's.
        proc = subprocess.Popen(["ip", "netns", "exec", namespace(i), str(self.binary), *self.args(i)],
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        self.procs[i] = proc
        self.pids[i] = proc.pid
        self.save()

    def alive(self, i: int) -> bool:
        pid = self.pids.get(i)
        if not pid:
            return False
        proc = self.procs.get(i)
        if proc is not None:
            return proc.poll() is None
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    def signal(self, i: int, sig: signal.Signals) -> bool:
        pid = self.pids.get(i)
        if not pid or not self.alive(i):
            return False
        os.kill(pid, sig)
        if sig == signal.SIGKILL:
            proc = self.procs.get(i)
            if proc is not None:
                proc.wait(timeout=10)
        return True

    def stop_all(self) -> None:
        for i in list(self.pids):
            if self.alive(i):
                os.kill(self.pids[i], signal.SIGCONT)
                os.kill(self.pids[i], signal.SIGKILL)
            proc = self.procs.get(i)
            if proc is not None:
                proc.wait(timeout=10)
        self.pids.clear()
        self.save()

    # ------------------------------------------------------------------ state
    def save(self) -> None:
        self.state.mkdir(parents=True, exist_ok=True)
        data = {"nodes": self.nodes, "binary": str(self.binary), "node_args": self.node_args,
                "pids": self.pids, "faults": {
                    "groups": self.faults.groups, "cuts": self.faults.cuts,
                    "links": [vars(link) for link in self.faults.links]}}
        (self.state / "state.json").write_text(json.dumps(data))

    @classmethod
    def load(cls, root: Path) -> NetnsCluster:
        path = root / ".netns" / "state.json"
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise SystemExit("no namespace cluster here (.netns/state.json): run `scripts/netns up` first") from None
        faults = Faults(groups=data["faults"]["groups"], cuts=[tuple(c) for c in data["faults"]["cuts"]],
                        links=[Link(**link) for link in data["faults"]["links"]])
        return cls(root=root, binary=Path(data["binary"]), nodes=data["nodes"], node_args=data["node_args"],
                   pids={int(k): v for k, v in data["pids"].items()}, faults=faults)

    def destroy(self) -> None:
        """Every process (by PID), namespace, veth and the bridge this module made."""
        self.stop_all()
        teardown()


def list_namespaces() -> list[str]:
    out = run("ip", "netns", "list", check=False)
    return [line.split()[0] for line in out.stdout.splitlines() if line.strip()]


def link_exists(name: str) -> bool:
    return run("ip", "link", "show", name, check=False).returncode == 0


def teardown() -> None:
    """Removes the namespaces (their veths and rules go with them) and the bridge."""
    for ns in list_namespaces():
        if ns.startswith(NS_PREFIX):
            run("ip", "netns", "del", ns, check=False)
    out = run("ip", "-o", "link", "show", check=False)
    for line in out.stdout.splitlines():
        name = line.split(":")[1].strip().split("@")[0]
        if name.startswith(VETH_PREFIX):
            run("ip", "link", "del", name, check=False)
    if link_exists(BRIDGE):
        run("ip", "link", "del", BRIDGE, check=False)


def wait_ready(cluster: NetnsCluster, nodes: list[int], timeout: float) -> bool:
    """Every node of `nodes` answers /readyz 200 and lists `len(nodes)` members up."""
    import http.client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ok = True
        for i in nodes:
            host, port = cluster.http(i).split(":")
            conn = http.client.HTTPConnection(host, int(port), timeout=1.0)
            try:
                conn.request("GET", "/readyz")
                ready = conn.getresponse()
                ready.read()
                if ready.status != 200:
                    ok = False
                    break
                conn.request("GET", "/v1/cluster")
                body = json.loads(conn.getresponse().read() or b"{}")
                up = sum(1 for m in body.get("members", []) if m.get("status") == "up")
                if up < len(nodes):
                    ok = False
                    break
            except (OSError, http.client.HTTPException, ValueError):
                ok = False
                break
            finally:
                conn.close()
        if ok:
            return True
        time.sleep(0.2)
    return False


def parse_groups(text: list[str]) -> list[list[int]]:
    """'1,2 3,4,5' -> [[1, 2], [3, 4, 5]]."""
    groups = []
    for group in text:
        try:
            groups.append(sorted({int(x) for x in group.split(",") if x}))
        except ValueError:
            raise SystemExit(f"a group is node numbers separated by commas, not {group!r}") from None
    return groups


def main() -> None:
    ap = argparse.ArgumentParser(prog="scripts/netns", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="verb", required=True)
    up = sub.add_parser("up", help="create the namespaces and start the nodes")
    up.add_argument("--nodes", type=int, default=5)
    up.add_argument("--bin", required=True)
    up.add_argument("--root", required=True)
    up.add_argument("node_args", nargs="*")
    for verb in ("down", "heal", "status"):
        p = sub.add_parser(verb)
        p.add_argument("--root", required=True)
    p = sub.add_parser("partition", help="split into groups, e.g. 1,2,3 4,5 (a node in two groups bridges them)")
    p.add_argument("--root", required=True)
    p.add_argument("groups", nargs="+")
    p = sub.add_parser("isolate")
    p.add_argument("--root", required=True)
    p.add_argument("node", type=int)
    p = sub.add_parser("cut", help="drop what FROM sends to TO (one way)")
    p.add_argument("--root", required=True)
    p.add_argument("source", type=int)
    p.add_argument("target", type=int)
    p = sub.add_parser("slow", help="a slow, lossy link from NODE (to PEER, or to every node)")
    p.add_argument("--root", required=True)
    p.add_argument("node", type=int)
    p.add_argument("peer", type=int, nargs="?")
    p.add_argument("--delay-ms", type=float, default=50)
    p.add_argument("--jitter-ms", type=float, default=20)
    p.add_argument("--loss", type=float, default=5, help="percent")
    p.add_argument("--rate-kbit", type=int, default=2000, help="without netem: the rate limit")
    for verb in ("kill", "stop", "cont", "start"):
        p = sub.add_parser(verb)
        p.add_argument("--root", required=True)
        p.add_argument("node", type=int)
    a = ap.parse_args()
    root = Path(a.root)

    if a.verb == "up":
        cluster = NetnsCluster(root=root, binary=Path(a.bin).resolve(), nodes=a.nodes, node_args=a.node_args)
        try:
            cluster.create()
            cluster.start_all()
            if not wait_ready(cluster, list(range(1, a.nodes + 1)), timeout=90):
                raise RuntimeError("the cluster was not ready in 90 s; see .netns/node-*/log")
        except (RuntimeError, OSError) as error:
            cluster.destroy()
            raise SystemExit(f"netns up: {error}") from None
        for i in range(1, a.nodes + 1):
            print(f"  node-{i}  http://{cluster.http(i)}  namespace {namespace(i)}  pid {cluster.pids[i]}")
        return
    if a.verb == "down":
        if (root / ".netns" / "state.json").exists():
            cluster = NetnsCluster.load(root)
            for i, pid in cluster.pids.items():
                if cluster.alive(i):
                    os.kill(pid, signal.SIGCONT)
                    os.kill(pid, signal.SIGKILL)
            (root / ".netns" / "state.json").unlink()
        teardown()
        return
    cluster = NetnsCluster.load(root)
    faults = cluster.faults
    if a.verb == "heal":
        cluster.apply(Faults())
    elif a.verb == "status":
        print(json.dumps({"pids": cluster.pids, "alive": {i: cluster.alive(i) for i in cluster.pids},
                          "groups": faults.groups, "cuts": faults.cuts,
                          "links": [vars(link) for link in faults.links], "netem": kernel_has_netem()}))
    elif a.verb == "partition":
        cluster.apply(Faults(groups=parse_groups(a.groups), cuts=faults.cuts, links=faults.links))
    elif a.verb == "isolate":
        rest = [i for i in range(1, cluster.nodes + 1) if i != a.node]
        cluster.apply(Faults(groups=[[a.node], rest], cuts=faults.cuts, links=faults.links))
    elif a.verb == "cut":
        cluster.apply(Faults(groups=faults.groups, cuts=faults.cuts + [(a.source, a.target)], links=faults.links))
    elif a.verb == "slow":
        link = Link(a.node, a.peer, a.delay_ms, a.jitter_ms, a.loss, a.rate_kbit)
        cluster.apply(Faults(groups=faults.groups, cuts=faults.cuts, links=faults.links + [link]))
    elif a.verb in ("kill", "stop", "cont"):
        sig = {"kill": signal.SIGKILL, "stop": signal.SIGSTOP, "cont": signal.SIGCONT}[a.verb]
        if not cluster.signal(a.node, sig):
            raise SystemExit(f"node-{a.node} is not running")
        cluster.save()
    elif a.verb == "start":
        cluster.start(a.node)
        print(f"node-{a.node} started (pid {cluster.pids[a.node]})")


if __name__ == "__main__":
    main()
