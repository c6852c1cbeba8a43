#!/usr/bin/python3
"""Trains d2l's LeNet (sigmoid, average pooling) on Fashion-MNIST and writes what Stride's
example and tests load without Python.

Needs Debian's python3-torch (1.13), python3-numpy and dataset-fashion-mnist
(/usr/share/datasets/fashion-mnist/*.gz). Run from anywhere:

    /usr/bin/python3 tools/train_lenet.py            # 10 epochs, d2l's recipe
    /usr/bin/python3 tools/train_lenet.py --epochs 3 # quicker, lower accuracy

Writes to example-app/src/main/resources/fashion-mnist/:
  lenet.pt                        torch.save(net.state_dict()): nn.Sequential keys 0.weight, 3.weight, ...
  lenet.safetensors               the same tensors under LeNet.java's field names (conv1, conv2, fc1, fc2, fc3)
  lenet-reference.json            PyTorch's test accuracy, per-class accuracy, predicted class of every
                                  one of the 10,000 test images, and logits of the first 100
  t10k-subset-images-idx3-ubyte.gz  the first 1,000 test images, original IDX format
  t10k-subset-labels-idx1-ubyte.gz  their labels
"""

import argparse
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
import torch
from torch import nn

DATA = "/usr/share/datasets/fashion-mnist"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "example-app", "src", "main", "resources", "fashion-mnist")
SUBSET = 1000
LOGITS = 100
CLASSES = ["t-shirt", "trouser", "pullover", "dress", "coat",
           "sandal", "shirt", "sneaker", "bag", "ankle boot"]
# Sequential index -> field of example-app's LeNet.java (every module counts, as in nn.Sequential).
FIELDS = {0: "conv1", 3: "conv2", 7: "fc1", 9: "fc2", 11: "fc3"}


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic, n = struct.unpack(">II", raw[:8])
    if magic == 2051:
        rows, cols = struct.unpack(">II", raw[8:16])
        return raw, np.frombuffer(raw, np.uint8, offset=16).reshape(n, rows, cols)
    if magic == 2049:
        return raw, np.frombuffer(raw, np.uint8, offset=8)
    raise ValueError("not an IDX file: " + path)


def lenet():
    """d2l 6.6: the network exactly as the book writes it."""
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))


def init_weights(m):
    # d2l's train_ch6: Xavier-uniform weights, PyTorch's default biases.
    if type(m) in (nn.Linear, nn.Conv2d):
        nn.init.xavier_uniform_(m.weight)


def write_safetensors(path, tensors):
    """A minimal safetensors writer (F32 only): 8-byte little-endian header length, JSON, data."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        b = t.detach().contiguous().to(torch.float32).numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--lr", type=float, default=0.9)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    _, train_x = read_idx(os.path.join(DATA, "train-images-idx3-ubyte.gz"))
    _, train_y = read_idx(os.path.join(DATA, "train-labels-idx1-ubyte.gz"))
    test_x_raw, test_x = read_idx(os.path.join(DATA, "t10k-images-idx3-ubyte.gz"))
    test_y_raw, test_y = read_idx(os.path.join(DATA, "t10k-labels-idx1-ubyte.gz"))
    # transforms.ToTensor(): uint8 -> float32 in [0, 1], (N, 1, 28, 28).
    xs = torch.from_numpy(train_x.astype(np.float32) / 255.0).unsqueeze(1)
    ys = torch.from_numpy(train_y.astype(np.int64))
    tx = torch.from_numpy(test_x.astype(np.float32) / 255.0).unsqueeze(1)
    ty = torch.from_numpy(test_y.astype(np.int64))

    net = lenet()
    net.apply(init_weights)
    opt = torch.optim.SGD(net.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    start = time.time()
    for epoch in range(args.epochs):
        net.train()
        order = torch.randperm(len(xs))
        total, correct, loss_sum = 0, 0, 0.0
        for i in range(0, len(xs), args.batch):
            idx = order[i:i + args.batch]
            x, y = xs[idx], ys[idx]
            opt.zero_grad()
            out = net(x)
            loss = loss_fn(out, y)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(y)
            correct += (out.argmax(1) == y).sum().item()
            total += len(y)
        print(f"epoch {epoch + 1}: loss {loss_sum / total:.3f}, train acc {correct / total:.3f}, "
              f"{time.time() - start:.0f} s", flush=True)
    seconds = time.time() - start

    net.eval()
    with torch.no_grad():
        logits = torch.cat([net(tx[i:i + 1000]) for i in range(0, len(tx), 1000)])
    pred = logits.argmax(1)
    acc = (pred == ty).float().mean().item()
    per_class = {CLASSES[c]: round((pred[ty == c] == c).float().mean().item(), 4) for c in range(10)}
    top2 = logits[:SUBSET].topk(2, dim=1).values
    margin = (top2[:, 0] - top2[:, 1]).min().item()
    print(f"test acc {acc:.4f} after {args.epochs} epochs, {seconds:.0f} s; "
          f"smallest top-2 logit gap in the subset {margin:.4g}")

    os.makedirs(OUT, exist_ok=True)
    state = net.state_dict()
    torch.save(state, os.path.join(OUT, "lenet.pt"))
    write_safetensors(os.path.join(OUT, "lenet.safetensors"),
                      {FIELDS[int(k.split(".")[0])] + "." + k.split(".")[1]: v for k, v in state.items()})
    reference = {
        "about": "PyTorch " + torch.__version__ + " eval-mode results of lenet.pt on the Fashion-MNIST "
                 "test set, made by tools/train_lenet.py",
        "recipe": {"epochs": args.epochs, "lr": args.lr, "batch": args.batch, "seed": args.seed,
                   "optimizer": "SGD", "init": "xavier_uniform", "threads": 2,
                   "input": "uint8 / 255, shape (N, 1, 28, 28)"},
        "training_seconds": round(seconds, 1),
        "classes": CLASSES,
        "test_images": len(ty),
        "test_accuracy": round(acc, 4),
        "per_class_accuracy": per_class,
        "subset_images": SUBSET,
        "subset_accuracy": round((pred[:SUBSET] == ty[:SUBSET]).float().mean().item(), 4),
        "subset_min_top2_gap": margin,
        "predictions": "".join(str(int(p)) for p in pred),
        "logits_first_%d" % LOGITS: [[float(v) for v in row] for row in logits[:LOGITS]],
    }
    with open(os.path.join(OUT, "lenet-reference.json"), "w") as f:
        json.dump(reference, f, indent=1)
        f.write("\n")

    # The first SUBSET images and labels, byte for byte as in the original IDX files.
    rows, cols = test_x.shape[1:]
    images = struct.pack(">IIII", 2051, SUBSET, rows, cols) + test_x_raw[16:16 + SUBSET * rows * cols]
    labels = struct.pack(">II", 2049, SUBSET) + test_y_raw[8:8 + SUBSET]
    for name, data in (("t10k-subset-images-idx3-ubyte.gz", images), ("t10k-subset-labels-idx1-ubyte.gz", labels)):
        # mtime=0 so that re-running with the same result gives identical files.
        with open(os.path.join(OUT, name), "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
            f.write(data)
    print("wrote", OUT)


if __name__ == "__main__":
    sys.exit(main())
