#!/usr/bin/python3
"""PyTorch reference benchmark for the shapes `cmc-bench engine` measures.

    /usr/bin/python3 tools/bench_torch.py [--json FILE] [--quick]

Measures (full-size encoders of method.md §3, UTD shapes):
  sgemm_gflops              1024^3 float32 torch.mm; best of N (median also recorded), all cores
  inference_ms.{inertial,skeleton,both}.{p50,p99}
                            batch 1, eval mode, torch.no_grad(), torch.set_num_threads(1);
                            inertial input (1, 6, 50), skeleton (1, 3, 50, 20); "both" = the two
                            encoders back to back
  train_samples_per_s       both encoders + projection heads, CMC loss (§4.2, tau 0.1),
                            forward + backward + Adam step, batch 64, train mode,
                            2 threads (torch + OpenBLAS); 64 / median step time
  train_cmkm_samples_per_s  the same step with the CMC-CMKM loss (§4.3, tau 0.1, k 1, lambda 1): two
                            frozen teacher encoders (eval mode, no_grad) run on the batch first and
                            their features mine the positives, as in `cmc-train`'s CMC-CMKM stage
  train_simclr_inertial_samples_per_s, train_simclr_skeleton_samples_per_s
                            SimCLR (§4.1) of one encoder + projection head at the UTD experiment's
                            settings: inertial batch 128 (tau 0.05), skeleton batch 32 (tau 0.5), two
                            views per sample concatenated (torch.cat, as the reference's training_step)
                            and encoded in one forward, NT-Xent, backward, Adam; 2 threads;
                            batch / median step time (samples, not views)
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models as tm  # noqa: E402


def _openblas():
    """Torch's BLAS here is Debian's OpenBLAS (pthreads). torch.set_num_threads does not reach its
    thread pool (BLAS_INFO=generic), so it is set explicitly through the already-loaded library."""
    import ctypes

    for name in ("libopenblas.so.0", "libopenblas.so"):
        try:
            lib = ctypes.CDLL(name)
            lib.openblas_get_config.restype = ctypes.c_char_p
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return lib
        except (OSError, AttributeError):
            continue
    return None


OPENBLAS = _openblas()


def set_threads(n):
    torch.set_num_threads(n)
    if OPENBLAS is not None:
        OPENBLAS.openblas_set_num_threads(n)


def blas_threads():
    return OPENBLAS.openblas_get_num_threads() if OPENBLAS is not None else None


def percentiles_ms(samples_s):
    a = np.asarray(samples_s) * 1e3
    return {"p50": float(np.percentile(a, 50)), "p99": float(np.percentile(a, 99)),
            "mean": float(a.mean()), "min": float(a.min()), "n": int(a.size)}


def bench_sgemm(threads, reps, n=1024):
    set_threads(threads)
    g = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=g)
    b = torch.randn(n, n, generator=g)
    c = torch.empty(n, n)
    for _ in range(2):
        torch.mm(a, b, out=c)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        torch.mm(a, b, out=c)
        times.append(time.perf_counter() - t0)
    flops = 2.0 * n ** 3
    return {"best": flops / min(times) / 1e9, "median": flops / statistics.median(times) / 1e9, "reps": reps,
            "threads": threads, "blas_threads": blas_threads()}


def time_loop(fn, warmup, iters):
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def bench_inference(warmup, iters):
    set_threads(1)
    torch.manual_seed(0)
    ie = tm.InertialEncoder(in_channels=6).eval()
    se = tm.SkeletonEncoder(in_channels=3, joints=20).eval()
    xi = torch.randn(1, 6, 50)
    xs = torch.randn(1, 3, 50, 20)
    res = {}
    with torch.no_grad():
        assert ie(xi).shape == (1, 5632) and se(xs).shape == (1, 256)
        res["inertial"] = percentiles_ms(time_loop(lambda: ie(xi), warmup, iters))
        res["skeleton"] = percentiles_ms(time_loop(lambda: se(xs), warmup, iters))

        def both():
            ie(xi)
            se(xs)

        res["both"] = percentiles_ms(time_loop(both, warmup, iters))
    return res


def bench_train(warmup, steps, batch=64, threads=2, cmkm=False):
    set_threads(threads)
    torch.manual_seed(0)
    ie = tm.InertialEncoder(in_channels=6)
    se = tm.SkeletonEncoder(in_channels=3, joints=20)
    hi = tm.ProjectionHead(ie.out_size, 256, 128)
    hs = tm.ProjectionHead(se.out_size, 256, 128)
    mods = torch.nn.ModuleList([ie, se, hi, hs]).train()
    opt = torch.optim.Adam(mods.parameters(), lr=1e-3)
    teachers = None
    if cmkm:
        teachers = (tm.InertialEncoder(in_channels=6).eval(), tm.SkeletonEncoder(in_channels=3, joints=20).eval())
        for t in teachers:
            t.requires_grad_(False)
    xi = torch.randn(batch, 6, 50)
    xs = torch.randn(batch, 3, 50, 20)
    losses = []

    def step():
        opt.zero_grad(set_to_none=True)
        zi, zs = hi(ie(xi)), hs(se(xs))
        if teachers is None:
            loss = tm.cmc_loss(zi, zs, 0.1)
        else:
            with torch.no_grad():
                fi, fs = teachers[0](xi), teachers[1](xs)
            loss = tm.cmkm_loss(zi, zs, fi, fs, 0.1)
        loss.backward()
        opt.step()
        losses.append(float(loss))

    times = time_loop(step, warmup, steps)
    med = statistics.median(times)
    return {"samples_per_s": batch / med, "step_ms": percentiles_ms(times), "batch": batch, "threads": threads,
            "steps": steps, "first_loss": losses[0], "last_loss": losses[-1]}


def bench_simclr(warmup, steps, modality, batch, tau, threads=2):
    set_threads(threads)
    torch.manual_seed(0)
    if modality == "inertial":
        enc, shape = tm.InertialEncoder(in_channels=6), (batch, 6, 50)
    else:
        enc, shape = tm.SkeletonEncoder(in_channels=3, joints=20), (batch, 3, 50, 20)
    head = tm.ProjectionHead(enc.out_size, 256, 128)
    mods = torch.nn.ModuleList([enc, head]).train()
    opt = torch.optim.Adam(mods.parameters(), lr=1e-3)
    v1, v2 = torch.randn(*shape), torch.randn(*shape)
    losses = []

    def step():
        opt.zero_grad(set_to_none=True)
        z = head(enc(torch.cat((v1, v2), dim=0)))  # one forward over both views: BatchNorm sees 2N rows
        loss = tm.nt_xent(z[:batch], z[batch:], tau)
        loss.backward()
        opt.step()
        losses.append(float(loss))

    times = time_loop(step, warmup, steps)
    med = statistics.median(times)
    return {"samples_per_s": batch / med, "step_ms": percentiles_ms(times), "batch": batch, "views": 2,
            "tau": tau, "threads": threads, "steps": steps, "first_loss": losses[0], "last_loss": losses[-1]}


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main():
    ap = argparse.ArgumentParser(description="PyTorch reference benchmark (same shapes as cmc-bench engine)")
    ap.add_argument("--json", metavar="FILE", help="write results as JSON")
    ap.add_argument("--quick", action="store_true", help="fewer iterations")
    args = ap.parse_args()

    q = args.quick
    cores = os.cpu_count() or 1
    cfg = {"sgemm_reps": 5 if q else 20, "inference_warmup": 10 if q else 30, "inference_iters": 200 if q else 500,
           "train_warmup": 2 if q else 3, "train_steps": 5 if q else 20}

    t_start = time.time()
    sg = bench_sgemm(min(2, cores), cfg["sgemm_reps"])
    sg1 = bench_sgemm(1, cfg["sgemm_reps"])
    inf = bench_inference(cfg["inference_warmup"], cfg["inference_iters"])
    tr = bench_train(cfg["train_warmup"], cfg["train_steps"], threads=min(2, cores))
    trk = bench_train(cfg["train_warmup"], cfg["train_steps"], threads=min(2, cores), cmkm=True)
    sci = bench_simclr(cfg["train_warmup"], cfg["train_steps"], "inertial", 128, 0.05, threads=min(2, cores))
    scs = bench_simclr(cfg["train_warmup"], cfg["train_steps"], "skeleton", 32, 0.5, threads=min(2, cores))

    result = {
        "sgemm_gflops": sg["best"],
        "sgemm_gflops_median": sg["median"],
        "sgemm_gflops_1thread": sg1["best"],
        "inference_ms": {k: {"p50": v["p50"], "p99": v["p99"]} for k, v in inf.items()},
        "train_samples_per_s": tr["samples_per_s"],
        "train_cmkm_samples_per_s": trk["samples_per_s"],
        "train_simclr_inertial_samples_per_s": sci["samples_per_s"],
        "train_simclr_skeleton_samples_per_s": scs["samples_per_s"],
        "details": {"inference_ms": inf, "train": tr, "train_cmkm": trk, "train_simclr_inertial": sci,
                    "train_simclr_skeleton": scs, "sgemm": sg, "sgemm_1thread": sg1, "iterations": cfg},
        "torch_version": torch.__version__,
        "threads": {"sgemm": sg["threads"], "inference": 1, "train": tr["threads"], "cpu_count": cores,
                    "interop": torch.get_num_interop_threads(), "parallel_backend": "OpenMP"
                    if "OpenMP" in torch.__config__.parallel_info() else "other"},
        "mkldnn": {"available": torch.backends.mkldnn.is_available(), "enabled": bool(torch.backends.mkldnn.enabled)},
        "blas": {"library": os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
                 if os.path.exists("/usr/lib/x86_64-linux-gnu/libblas.so.3") else "unknown",
                 "config": OPENBLAS.openblas_get_config().decode() if OPENBLAS is not None else None,
                 "core": OPENBLAS.openblas_get_corename().decode() if OPENBLAS is not None else None,
                 "threads_follow_set_num_threads": OPENBLAS is not None},
        "transformer_fastpath": False,  # seq-first (batch_first=False) layers never take the 1.13 fast path
        "cpu": cpu_model(),
        "python": sys.version.split()[0],
        "quick": q,
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "wall_s": None,
    }
    result["wall_s"] = round(time.time() - t_start, 1)

    print(f"PyTorch {torch.__version__} on {result['cpu']} ({cores} cores), mkldnn "
          f"{'yes' if result['mkldnn']['available'] else 'no'}, blas {result['blas']['config']}")
    print(f"sgemm 1024^3 f32      {sg['best']:8.1f} GFLOP/s best ({sg['median']:.1f} median) with {sg['threads']} "
          f"threads; {sg1['best']:.1f} with 1 thread")
    print("inference (batch 1, 1 thread, eval, no_grad)        p50 ms    p99 ms")
    for k in ("inertial", "skeleton", "both"):
        print(f"  {k:10s}                                   {inf[k]['p50']:8.3f}  {inf[k]['p99']:8.3f}")
    print(f"train CMC step (batch {tr['batch']}, {tr['threads']} threads, Adam)  median "
          f"{tr['step_ms']['p50']:.1f} ms -> {tr['samples_per_s']:.1f} samples/s  "
          f"(loss {tr['first_loss']:.3f} -> {tr['last_loss']:.3f})")
    print(f"train CMC-CMKM step (batch {trk['batch']}, {trk['threads']} threads, Adam, teachers' forward)  median "
          f"{trk['step_ms']['p50']:.1f} ms -> {trk['samples_per_s']:.1f} samples/s")
    for name, r in (("inertial", sci), ("skeleton", scs)):
        print(f"train SimCLR {name} step (batch {r['batch']} x 2 views, {r['threads']} threads, Adam)  median "
              f"{r['step_ms']['p50']:.1f} ms -> {r['samples_per_s']:.1f} samples/s  "
              f"(loss {r['first_loss']:.3f} -> {r['last_loss']:.3f})")
    print(f"wall time {result['wall_s']} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
