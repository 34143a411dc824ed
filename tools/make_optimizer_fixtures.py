#!/usr/bin/env python3
"""Writes Tests/CMCTestSupport/Fixtures/optimizers.json: parameter trajectories of torch.optim.Adam
(with and without weight decay), SGD with momentum, and ReduceLROnPlateau learning rates, for the
Swift optimizer parity tests. Run with Debian's torch: /usr/bin/python3 tools/make_optimizer_fixtures.py
"""
import json
import os

import torch

torch.manual_seed(0)
p0 = torch.randn(7)
grads = [torch.randn(7) for _ in range(5)]


def trajectory(make):
    p = torch.nn.Parameter(p0.clone())
    opt = make([p])
    out = []
    for g in grads:
        opt.zero_grad()
        p.grad = g.clone()
        opt.step()
        out.append(p.detach().tolist())
    return out


cases = {
    "adam": trajectory(lambda ps: torch.optim.Adam(ps, lr=1e-2)),
    "adam_wd": trajectory(lambda ps: torch.optim.Adam(ps, lr=1e-2, weight_decay=0.1)),
    "sgd_momentum": trajectory(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)),
    "sgd_momentum_wd": trajectory(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01)),
}

metrics = [1.0, 0.9, 0.95, 0.92, 0.91, 0.93, 0.94, 0.8, 0.85, 0.86, 0.87, 0.88, 0.81, 0.82]
lrs = {}
for mode in ["min", "max"]:
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=1.0)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode=mode, factor=0.5, patience=2)
    seq = []
    for m in metrics:
        sched.step(m)
        seq.append(opt.param_groups[0]["lr"])
    lrs[mode] = seq

out = {"p0": p0.tolist(), "grads": [g.tolist() for g in grads], "trajectories": cases,
       "plateau": {"metrics": metrics, "factor": 0.5, "patience": 2, "lrs": lrs}}
path = os.path.join(os.path.dirname(__file__), "..", "Tests", "CMCTestSupport", "Fixtures", "optimizers.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print("wrote", os.path.normpath(path))
