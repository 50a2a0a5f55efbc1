"""The seeded fault schedule of scripts/chaos: a pure function of (seed, nodes, duration, …).

A fault takes nodes out for an interval: `kill` (SIGKILL, then node-start), `term` (SIGTERM: the node
leaves gracefully, then node-start), `stop` (SIGSTOP, then SIGCONT: a hung node whose leases must
expire) and, with five nodes or more, `kill2` (two nodes SIGKILLed at the same instant). A node
counts as out from its fault until `rejoin_s` after it is healed (a restarted process needs time
to rejoin), and the schedule never has more than `max_down` nodes out at once — a minority.

The first faults cycle through every kind once (in a seeded order), so even a short run has one
of each; later ones are drawn with fixed weights. `python3 faults.py --seed K --nodes N
--duration S` prints a schedule.
"""

import argparse
import json
import random

KINDS = ("kill", "stop", "term")
WEIGHTS = {"kill": 4, "stop": 3, "term": 2, "kill2": 2}


def max_minority(nodes):
    """The largest minority of `nodes`: 1 of 3, 2 of 5."""
    return (nodes - 1) // 2


def schedule(seed, nodes, duration, max_down=None, start_s=None, end_s=None, rejoin_s=3.0,
             gap=(4.0, 12.0), outage=(1.0, 6.0)):
    """A list of faults, sorted by time:
    {"t": seconds from the start, "kind": kill|term|stop|kill2, "nodes": [1-based indices],
     "heal_t": when node-start / SIGCONT is sent, "signal": KILL|TERM|STOP}.
    Every fault heals by `end_s` (default 85 % of the duration)."""
    rng = random.Random(seed)
    max_down = max_minority(nodes) if max_down is None else max_down
    if max_down < 1:
        return []
    start_s = min(3.0, duration * 0.1) if start_s is None else start_s
    end_s = duration * 0.85 if end_s is None else end_s
    window = end_s - start_s
    # short runs: squeeze the gaps so that the guaranteed kinds fit
    gap_hi = max(0.5, min(gap[1], window / 4.0))
    gap_lo = min(gap[0], gap_hi / 2.0)
    out_hi = max(0.5, min(outage[1], window / 6.0))
    out_lo = min(outage[0], out_hi / 2.0)

    first = list(KINDS)
    rng.shuffle(first)
    if nodes >= 5 and max_down >= 2:
        first.insert(rng.randrange(len(first) + 1), "kill2")
    kinds = list(WEIGHTS) if (nodes >= 5 and max_down >= 2) else list(KINDS)
    weights = [WEIGHTS[k] for k in kinds]

    busy = []  # (from, until, node): a node is out from its fault until heal + rejoin
    faults = []
    t = start_s
    while True:
        kind = first.pop(0) if first else rng.choices(kinds, weights)[0]
        count = 2 if kind == "kill2" else 1
        length = rng.uniform(out_lo, out_hi)
        # find the earliest time ≥ t at which `count` nodes can go out for `length` + rejoin
        placed = None
        probe = t
        while probe + length <= end_s:
            until = probe + length + rejoin_s
            out = {n for (a, b, n) in busy if a < until and probe < b}
            free = [n for n in range(1, nodes + 1) if n not in out]
            if len(out) + count <= max_down and len(free) >= count:
                placed = (probe, sorted(rng.sample(free, count)))
                break
            probe = min(b for (a, b, n) in busy if a < until and probe < b) + 0.01
        if placed is None:
            break
        at, victims = placed
        heal = at + length
        for n in victims:
            busy.append((at, heal + rejoin_s, n))
        faults.append({"t": round(at, 3), "kind": kind, "nodes": victims, "heal_t": round(heal, 3),
                       "signal": {"kill": "KILL", "kill2": "KILL", "term": "TERM", "stop": "STOP"}[kind]})
        t = at + rng.uniform(gap_lo, gap_hi)
        if t >= end_s:
            break
    return faults


def check(faults, nodes, max_down, rejoin_s=3.0):
    """Raises AssertionError if any instant has more than max_down nodes out or a node is hit twice."""
    points = sorted({f["t"] for f in faults} | {f["heal_t"] + rejoin_s - 1e-6 for f in faults})
    for p in points:
        out = [n for f in faults for n in f["nodes"] if f["t"] <= p < f["heal_t"] + rejoin_s]
        assert len(out) == len(set(out)), f"a node is hit twice at {p}: {out}"
        assert len(out) <= max_down, f"{len(out)} nodes out at {p} (max {max_down})"
        assert all(1 <= n <= nodes for n in out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--nodes", type=int, default=3)
    ap.add_argument("--duration", type=float, default=60)
    ap.add_argument("--self-test", action="store_true", help="check many seeds and sizes, print a summary")
    a = ap.parse_args()
    if a.self_test:
        total = 0
        for n in (3, 4, 5, 7):
            for d in (30, 45, 90, 600):
                for s in range(200):
                    f = schedule(s, n, d)
                    check(f, n, max_minority(n))
                    kinds = {x["kind"] for x in f}
                    assert {"kill", "stop", "term"} <= kinds, (n, d, s, kinds)
                    if n >= 5:
                        assert "kill2" in kinds, (n, d, s, kinds)
                    assert f == schedule(s, n, d), "not deterministic"
                    assert all(x["heal_t"] <= d * 0.85 + 1e-9 for x in f)
                    total += 1
        print(f"fault schedule self-test: {total} schedules ok")
        return
    f = schedule(a.seed, a.nodes, a.duration)
    check(f, a.nodes, max_minority(a.nodes))
    print(json.dumps(f, indent=1))


if __name__ == "__main__":
    main()
