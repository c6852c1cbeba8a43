#!/usr/bin/python3
"""Reference output sizes from PyTorch for Stride's shape arithmetic.

Needs: Python 3 with PyTorch (tested with 1.13, Debian's python3-torch); CPU only, no network.
Run from the repository root:

    /usr/bin/python3 tools/shape_cases.py

It runs real torch.nn.functional conv2d / max_pool2d / avg_pool2d on zero tensors over a
seeded sample of a grid (n 1..40, kernel 1..7, stride 1..4, padding 0..3, dilation 1..3,
ceil_mode on/off, padding='same' at stride 1, asymmetric conv padding via F.pad) and writes
processor/src/test/resources/shape_cases.csv, one case per row:

    op,n,k,s,before,after,d,ceil,out

op is conv, maxpool, avgpool or same; out is torch's output height, or "error" when torch
refuses the case (output below 1). ShapeArithmeticTest compares every row. The output is
deterministic (fixed seed), so re-running it leaves the file unchanged.
"""
import os
import random

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "processor", "src", "test", "resources",
                   "shape_cases.csv")


def height(fn):
    """torch's output height, or 'error' when torch rejects the sizes."""
    try:
        return str(fn().shape[2])
    except RuntimeError:
        return "error"


def conv(n, k, s, before, after, d):
    x = torch.zeros(1, 1, n, n)
    w = torch.zeros(1, 1, k, k)
    # torch's conv padding is symmetric: pad explicitly (zeros) for the asymmetric cases.
    return height(lambda: F.conv2d(F.pad(x, (before, after, before, after)), w, stride=s, dilation=d))


def pool(op, n, k, s, p, ceil):
    x = torch.zeros(1, 1, n, n)
    if op == "maxpool":
        return height(lambda: F.max_pool2d(x, k, stride=s, padding=p, ceil_mode=ceil))
    return height(lambda: F.avg_pool2d(x, k, stride=s, padding=p, ceil_mode=ceil))


def same(n, k, d):
    x = torch.zeros(1, 1, n, n)
    w = torch.zeros(1, 1, k, k)
    return height(lambda: F.conv2d(x, w, stride=1, padding="same", dilation=d))


def main():
    rng = random.Random(20240601)
    rows = set()
    # Every small case exhaustively (where off-by-ones live), then a seeded sample of the rest.
    for n in range(1, 9):
        for k in range(1, 5):
            for s in range(1, 4):
                for p in range(0, 3):
                    rows.add(("conv", n, k, s, p, p, 1, 0))
                    if p <= k // 2:
                        for ceil in (0, 1):
                            rows.add(("maxpool", n, k, s, p, p, 1, ceil))
                            rows.add(("avgpool", n, k, s, p, p, 1, ceil))
    while len(rows) < 4000:
        n, k, s = rng.randint(1, 40), rng.randint(1, 7), rng.randint(1, 4)
        op = rng.choice(["conv", "conv", "maxpool", "avgpool", "same"])
        if op == "conv":
            d = rng.randint(1, 3)
            before, after = rng.randint(0, 3), rng.randint(0, 3)
            if rng.random() < 0.6:
                after = before
            rows.add(("conv", n, k, s, before, after, d, 0))
        elif op == "same":
            rows.add(("same", n, k, 1, 0, 0, rng.randint(1, 3), 0))
        else:
            p = rng.randint(0, min(3, k // 2))  # torch: padding at most half the kernel
            rows.add((op, n, k, s, p, p, 1, rng.randint(0, 1)))
    with open(OUT, "w") as f:
        f.write("op,n,k,s,before,after,d,ceil,out\n")
        for op, n, k, s, before, after, d, ceil in sorted(rows):
            if op == "conv":
                out = conv(n, k, s, before, after, d)
            elif op == "same":
                out = same(n, k, d)
            else:
                out = pool(op, n, k, s, before, bool(ceil))
            f.write(f"{op},{n},{k},{s},{before},{after},{d},{ceil},{out}\n")
    print(f"wrote {len(rows)} cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
