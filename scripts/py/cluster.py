"""A local cluster driven through scripts/cluster-up, node-kill, node-start and cluster-down.

Every node is a process whose PID is in .cluster/node-<i>/pid; this module signals only those
PIDs (through the scripts) and never searches for processes by name.
"""

import os
import re
import shlex
import subprocess
import time

import imload

# The agent slowdown is a node setting. These are the flags `inframind node` takes for it; they
# are checked against `inframind node --help` (see slowdown_args) so a rename fails loudly.
AGENT_SLEEP_FLAG = "--agent-sleep-ms"
AGENT_CPU_FLAG = "--agent-cpu-iterations"
REPLICATION_FLAG = "--replication-factor"
HTTP_PORT_BASE = 8100


class Cluster:
    def __init__(self, root, binary, nodes, base_port=None, node_args=(), log=print):
        self.root = root
        self.binary = binary
        self.nodes = nodes
        self.base_port = base_port
        self.node_args = list(node_args)
        self.log = log
        self.client = imload.Client(timeout=5.0)
        self.names = {}

    # -------------------------------------------------------------- scripts
    def _script(self, name, *args, check=True, quiet=True):
        cmd = [os.path.join(self.root, "scripts", name), *map(str, args)]
        out = subprocess.run(cmd, cwd=self.root, capture_output=True, text=True)
        if check and out.returncode != 0:
            raise RuntimeError(f"{' '.join(map(shlex.quote, cmd))} failed ({out.returncode}):\n"
                               f"{out.stdout[-2000:]}{out.stderr[-2000:]}")
        if not quiet:
            self.log(out.stdout.rstrip())
        return out

    def up(self):
        """cluster-up (which wipes the nodes' data) with this cluster's node flags after `--`."""
        args = ["--nodes", self.nodes, "--bin", self.binary]
        if self.base_port:
            args += ["--base-port", self.base_port, "--http-base-port", self.base_port + 1000]
        self._script("cluster-up", *args, "--", *self.node_args)
        self.wait_ready(range(1, self.nodes + 1), timeout=60)

    def down(self):
        self._script("cluster-down", check=False)

    def signal(self, i, sig):
        return self._script("node-kill", i, "--signal", sig, check=False).returncode == 0

    def start(self, i):
        self._script("node-start", i)

    # -------------------------------------------------------------- state
    def pid(self, i):
        try:
            with open(os.path.join(self.root, ".cluster", f"node-{i}", "pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def alive(self, i):
        """Whether the node's process exists, a zombie included: node-start (kill -0) refuses to start
        a node until its old process has been reaped."""
        p = self.pid(i)
        return bool(p) and os.path.exists(f"/proc/{p}")

    def wait_gone(self, i, timeout):
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if not self.alive(i):
                return True
            time.sleep(0.02)
        return False

    def http(self, i):
        """The node's HTTP address: from its args file (an --http… option), else 127.0.0.1:8100+i."""
        try:
            with open(os.path.join(self.root, ".cluster", f"node-{i}", "args")) as f:
                args = f.read().split("\n")
            for k, v in zip(args, args[1:]):
                if k.startswith("--http"):
                    if re.fullmatch(r"\d+", v):
                        return f"127.0.0.1:{v}"
                    if re.fullmatch(r"127\.[\d.]+:\d+", v):
                        return v
        except OSError:
            pass
        return f"127.0.0.1:{HTTP_PORT_BASE + i}"

    def name(self, i):
        return f"node-{i}"

    def ready(self, i, timeout=1.0):
        try:
            status, _, _ = self.client.request(self.http(i), "GET", "/readyz", timeout=timeout)
            return status == 200
        except (OSError, Exception):
            return False

    def wait_ready(self, nodes, timeout=60):
        nodes = list(nodes)
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            pending = [i for i in nodes if not self.ready(i)]
            if not pending:
                return True
            time.sleep(0.1)
        raise RuntimeError(f"nodes {pending} not ready after {timeout} s; see .cluster/node-*/log")

    def metrics(self, i, timeout=2.0):
        status, _, data = self.client.request(self.http(i), "GET", "/metrics", timeout=timeout)
        return data.decode(errors="replace") if status == 200 else ""


def node_help(binary):
    return subprocess.run([binary, "node", "--help"], capture_output=True, text=True).stdout


def slowdown_args(binary, sleep_ms=0, cpu_iterations=0):
    """Node arguments for the agent slowdown (none when both are 0)."""
    if not sleep_ms and not cpu_iterations:
        return []
    helptext = node_help(binary)
    flag, value = (AGENT_SLEEP_FLAG, sleep_ms) if sleep_ms else (AGENT_CPU_FLAG, cpu_iterations)
    if flag not in helptext:
        raise SystemExit(f"`inframind node --help` lists no {flag}: update AGENT_*_FLAG in scripts/py/cluster.py")
    return [flag, str(int(value))]


def replication_args(binary, replicas):
    if REPLICATION_FLAG not in node_help(binary):
        raise SystemExit(f"`inframind node --help` lists no {REPLICATION_FLAG}: update REPLICATION_FLAG in scripts/py/cluster.py")
    return [REPLICATION_FLAG, str(int(replicas))]
