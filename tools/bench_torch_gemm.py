#!/usr/bin/env python3
"""GFLOP/s of torch.mm at the shapes `cmc-bench engine --gemm-shapes` times (PyTorch's BLAS, e.g. MKL).

Shapes come from CMC_GEMM_SHAPES, as for cmc-bench ("NT 44x2048x128,NN 32x1380x180": op, m, n, k; T = that
operand transposed), or a default list of the training steps' largest products. Each figure is the median of
7 rounds of at least 20 ms of repeated products, as cmc-bench measures its own.

    python3 tools/bench_torch_gemm.py --threads 1
"""
import argparse
import os
import time

import torch

DEFAULT = ("NT 2816x2048x128,NN 2816x2048x128,TN 2048x128x2816,NN 32x8640x60,NT 32x60x8640,TN 60x8640x32,"
           "NN 32x1920x192,NN 64x5382x96,NN 128x880x576,NT 44x2048x128,NN 1024x1024x1024")


def shapes(text):
    for item in text.split(","):
        op, dims = item.split()
        m, n, k = (int(v) for v in dims.replace("×", "x").split("x"))
        yield op, m, n, k


def gflops(op, m, n, k):
    a = torch.rand(k, m).t() if op[0] == "T" else torch.rand(m, k)
    b = torch.rand(n, k).t() if op[1] == "T" else torch.rand(k, n)
    c = torch.empty(m, n)
    torch.mm(a, b, out=c)
    start, repeats = time.perf_counter(), 0
    while time.perf_counter() - start < 0.02:
        torch.mm(a, b, out=c)
        repeats += 1
    rounds = []
    for _ in range(7):
        t = time.perf_counter()
        for _ in range(repeats):
            torch.mm(a, b, out=c)
        rounds.append((time.perf_counter() - t) / repeats)
    return 2 * m * n * k / sorted(rounds)[3] / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s)")
    for op, m, n, k in shapes(os.environ.get("CMC_GEMM_SHAPES", DEFAULT)):
        print(f"{op} {m}×{n}×{k}".ljust(22) + f"{gflops(op, m, n, k):8.1f}")


if __name__ == "__main__":
    main()
