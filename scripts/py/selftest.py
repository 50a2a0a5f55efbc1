"""Checks of the chaos/bench harness itself, with no cluster: the fault schedule, the requests it
sends, and the report comparison against `inframind assess`. Run by scripts/test before the chaos run:

    python3 -B scripts/py/selftest.py --bin .build/debug/inframind
"""

import argparse
import json
import os
import subprocess
import sys

import chaos
import faults
import imload
import load


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--examples", default=os.path.join(os.path.dirname(__file__), "..", "..", "examples"))
    a = ap.parse_args()

    # 1. the fault schedule: deterministic, every kind present, never more than a minority out
    n = 0
    for nodes in (3, 4, 5, 7):
        for duration in (30, 45, 90, 600):
            for seed in range(50):
                f = faults.schedule(seed, nodes, duration)
                faults.check(f, nodes, faults.max_minority(nodes))
                kinds = {x["kind"] for x in f}
                assert {"kill", "stop", "term"} <= kinds, (nodes, duration, seed, kinds)
                assert ("kill2" in kinds) == (nodes >= 5), (nodes, duration, seed, kinds)
                assert f == faults.schedule(seed, nodes, duration)
                n += 1
    f5 = faults.schedule(1, 5, 600, max_down=1)
    assert all(len(x["nodes"]) == 1 for x in f5), "a budget of one node must never kill two"
    print(f"ok: {n} fault schedules (minority, every kind, deterministic)")

    # 2. the requests: distinct, and valid (inframind assess validates before it computes)
    factory = imload.RequestFactory(a.examples)
    refs = imload.References(a.bin)
    bodies = [factory.make(s)[1] for s in range(12)]
    assert len(set(bodies)) == len(bodies), "requests must differ"
    for b in bodies:
        refs.get(b)  # raises on a validation error
    print(f"ok: {len(bodies)} varied requests pass validation")

    # 3. the comparison: another id is the same report; another request, or a changed report, is not
    b0, b1 = bodies[0], bodies[len(factory.examples)]  # same example, different variation
    as_other_id = subprocess.run([a.bin, "assess", "-", "--format", "json", "--id", "some-cluster-id"],
                                 input=b0, capture_output=True, check=True).stdout
    assert refs.compare(b0, as_other_id) is None, "the id must be normalised"
    assert json.loads(as_other_id)["assessment_id"] == "some-cluster-id"
    other = subprocess.run([a.bin, "assess", "-", "--format", "json"], input=b1, capture_output=True,
                           check=True).stdout
    assert refs.compare(b0, other) is not None, "a report of another request must not match"
    tampered = json.loads(as_other_id)
    tampered["title"] = tampered.get("title", "") + "!"
    assert refs.compare(b0, json.dumps(tampered).encode()) is not None, "a changed field must not match"
    assert refs.compare(b0, b"not json") is not None
    print("ok: report comparison (id normalised; other request, changed field and garbage all differ)")

    # 4. /metrics parsing
    text = ("# HELP inframind_requeues_total x\n# TYPE inframind_requeues_total counter\n"
            "inframind_requeues_total 3\ninframind_requeues_total{reason=\"expired\"} 2\n"
            "inframind_tasks_assigned_total 40\n")
    assert chaos.requeue_count(text) == (5.0, "inframind_requeues_total"), chaos.requeue_count(text)
    assert chaos.node_matches("node-1@127.0.0.1:7101#ab", {"node-1"})
    assert not chaos.node_matches("node-10@127.0.0.1:7110#ab", {"node-1"})
    print("ok: requeue counter and node-name matching")

    # 5. scripts/load: wrk's output parsed, histograms merged, nearest-rank percentiles, connections split
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("duration_us 2000000\nrequests 100\nerror_timeout 1\nstatus 202 97\nstatus 429 3\n"
                + "".join(f"latency_us {1000 * (k + 1)} 1\n" for k in range(100)))
    try:
        parsed = load.read_wrk_out(f.name)
    finally:
        os.unlink(f.name)
    assert parsed["requests"] == 100 and parsed["status"] == {"202": 97, "429": 3}, parsed
    assert parsed["errors"]["timeout"] == 1
    h = parsed["latency"]
    assert (load.percentile(h, 50), load.percentile(h, 99), load.percentile(h, 100)) == (50_000, 99_000, 100_000)
    assert load.percentile({5: 99, 900: 1}, 99) == 5 and load.percentile({5: 98, 900: 2}, 99) == 900
    assert load.split(16, 3) == [6, 5, 5] and load.split(1, 3) == [1] and sum(load.split(128, 3)) == 128
    print("ok: load driver (wrk output, merged percentiles, connections over nodes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
