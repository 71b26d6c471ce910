#!/usr/bin/env python3
"""The Python `nir` package's side of sglab's NIR tests (tests/nir.rs).

    python3 scripts/nir_python.py describe FILE   # nir.read(FILE), printed as JSON
    python3 scripts/nir_python.py example FILE    # writes a recurrent LIF graph with nir.write

`describe` prints {"version", "nodes": {name: {"type", field: values}}, "edges"}, every array
as nested lists of floats, so that the test compares each value with what sglab wrote.
`example` writes, in float64 as numpy makes it, a graph sglab did not write: Input(3) ->
Linear -> LIF(4, recurrent Linear with a diagonal) -> Affine -> LIF(3) -> Affine -> Output(2),
with v_leak != 0 and R != tau/dt, for sglab to import and run against NIR's equations.
"""
import json
import sys

import nir
import numpy as np

FIELDS = ("shape", "weight", "bias", "tau", "r", "v_leak", "v_threshold", "v_reset")


def describe(path):
    graph = nir.read(path)
    nodes = {}
    for name, node in graph.nodes.items():
        entry = {"type": type(node).__name__}
        for field in FIELDS:
            value = getattr(node, field, None)
            if field == "shape":
                value = (node.input_type.get("input") if isinstance(node, nir.Input) else
                         node.output_type.get("output") if isinstance(node, nir.Output) else None)
            if value is not None:
                entry[field] = np.asarray(value, dtype=np.float64).tolist()
        meta = getattr(node, "metadata", None) or {}
        if "sglab_tau_steps" in meta:
            entry["sglab_tau_steps"] = np.asarray(meta["sglab_tau_steps"], dtype=np.float64).tolist()
        nodes[name] = entry
    print(json.dumps({"version": nir.serialization.read_version(path), "nodes": nodes,
                      "edges": [list(e) for e in graph.edges]}))


def example(path):
    rng = np.random.default_rng(11)
    dt = 1e-3

    def lif(n):
        tau = rng.uniform(2e-3, 2e-2, n)
        gain = rng.uniform(0.6, 1.4, n)
        return nir.LIF(tau=tau, r=gain * tau / dt, v_leak=rng.uniform(-0.2, 0.3, n),
                       v_threshold=rng.uniform(0.4, 0.9, n), v_reset=np.zeros(n))

    w_rec = rng.normal(0.0, 0.4, (4, 4))
    graph = nir.NIRGraph(
        nodes={
            "in": nir.Input(input_type=np.array([3])),
            "proj0": nir.Linear(weight=rng.normal(0.6, 0.5, (4, 3))),
            "lif0": lif(4),
            "rec0": nir.Linear(weight=w_rec),
            "proj1": nir.Affine(weight=rng.normal(0.3, 0.5, (3, 4)), bias=rng.normal(0.1, 0.1, 3)),
            "lif1": lif(3),
            "head": nir.Affine(weight=rng.normal(0.0, 1.0, (2, 3)), bias=rng.normal(0.0, 0.1, 2)),
            "out": nir.Output(output_type=np.array([2])),
        },
        edges=[("in", "proj0"), ("proj0", "lif0"), ("lif0", "rec0"), ("rec0", "lif0"),
               ("lif0", "proj1"), ("proj1", "lif1"), ("lif1", "head"), ("head", "out")],
    )
    nir.write(path, graph)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("describe", "example"):
        sys.exit(__doc__)
    {"describe": describe, "example": example}[sys.argv[1]](sys.argv[2])
