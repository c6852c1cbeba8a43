#!/usr/bin/python3
"""PyTorch's side of benchmarks/compare.sh: the same networks with the same weights.

Reads what `dev.stride.benchmarks.Compare` wrote to --dir (default benchmarks/target/compare):
  <net>.json               the layer table Stride ran (every LayerDef field), or for a block
                           network {"torchvision": "resnet18", "input": [...], "multiplyAdds": n,
                           "rename": [[regex, replacement], ...]}: torchvision's own model, the
                           weights' field keys renamed by the spec's WeightNames.replace rules
  <net>.safetensors        the weights Stride ran (PyTorch names and layouts)
  <net>-check.safetensors  an input batch and Stride's output for it
builds the network from the table, loads the weights, checks that PyTorch's output equals Stride's
within 1e-4 of the output's scale (and stops if not), then times it like Compare does: warm-up,
then timed rounds, median images/s and GFLOP/s.

Meant for Debian's python3-torch (`/usr/bin/python3`), 2 threads, eval mode, no_grad. Needs only
torch and numpy (and python3-torchvision for the block networks); safetensors is parsed here.

OpenBLAS: Debian's torch sends Linear layers' sgemm to whatever libblas.so.3 the alternatives
system points at (reference BLAS from libblas3, or OpenBLAS once libopenblas0 is installed);
convolutions go through oneDNN (libdnnl). On this machine OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE may
be set for other work: they must be unset, together, for this command only when benchmarking
(compare.sh runs it under `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`). The BLAS in use (and
OpenBLAS's core type) is printed.

  /usr/bin/python3 benchmarks/torch_bench.py [--quick] [--dir DIR] [--tsv FILE] [--cases ...]
"""

import argparse
import ctypes
import json
import os
import platform
import statistics
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

TOLERANCE = 1e-4
DEFAULT_CASES = [
    "AlexNet-32", "AlexNet-1", "LeNet-256", "LeNet-1", "ResNet18-32", "ResNet18-1", "MobileNetV2-1"
]


def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        if e["dtype"] != "F32":
            raise ValueError(f"{name}: dtype {e['dtype']}, expected F32")
        begin, end = e["data_offsets"]
        a = np.frombuffer(data[begin:end], dtype="<f4").reshape(e["shape"])
        tensors[name] = torch.from_numpy(a.copy())
    return tensors


def floor_out(n, pad, k, s):
    span = n + pad - k
    return 0 if span < 0 else span // s + 1


class Net(torch.nn.Module):
    """The layer table as a module: one callable per layer, weights assigned by name."""

    def __init__(self, table, weights):
        super().__init__()
        self.steps = []
        self.multiply_adds = 0
        for layer in table["layers"]:
            self.steps.append(self._step(layer, weights))

    def _step(self, l, w):
        t, name = l["type"], l["name"]

        def param(suffix):
            return torch.nn.Parameter(w[f"{name}.{suffix}"], requires_grad=False)

        if t == "Conv2d":
            conv = torch.nn.Conv2d(
                l["in"][0], l["out"][0], (l["kernelH"], l["kernelW"]),
                stride=(l["strideH"], l["strideW"]), dilation=(l["dilationH"], l["dilationW"]),
                groups=l["groups"], bias=l["bias"], padding=0)
            conv.weight = param("weight")
            if l["bias"]:
                conv.bias = param("bias")
            self.add_module(name, conv)
            top, bottom, left, right = l["padTop"], l["padBottom"], l["padLeft"], l["padRight"]
            if top == bottom and left == right:
                conv.padding = (top, left)
                return conv
            return lambda x: conv(F.pad(x, (left, right, top, bottom)))
        if t in ("MaxPool", "AvgPool"):
            k, s = (l["kernelH"], l["kernelW"]), (l["strideH"], l["strideW"])
            top, bottom, left, right = l["padTop"], l["padBottom"], l["padLeft"], l["padRight"]
            ceil = (l["out"][1] != floor_out(l["in"][1], top + bottom, k[0], s[0])
                    or l["out"][2] != floor_out(l["in"][2], left + right, k[1], s[1]))
            if top != bottom or left != right:
                raise NotImplementedError(f"{name}: asymmetric pooling padding")
            if t == "MaxPool":
                m = torch.nn.MaxPool2d(k, s, padding=(top, left), ceil_mode=ceil)
            else:
                m = torch.nn.AvgPool2d(k, s, padding=(top, left), ceil_mode=ceil,
                                       count_include_pad=l["countIncludePad"])
            self.add_module(name, m)
            return m
        if t == "GlobalAvgPool":
            return torch.nn.AdaptiveAvgPool2d(1)
        if t == "BatchNorm":
            c = l["in"][0]
            bn = (torch.nn.BatchNorm1d if len(l["in"]) == 1 else torch.nn.BatchNorm2d)(c, eps=l["eps"])
            bn.weight, bn.bias = param("weight"), param("bias")
            bn.running_mean.copy_(w[f"{name}.running_mean"])
            bn.running_var.copy_(w[f"{name}.running_var"])
            self.add_module(name, bn)
            return bn
        if t == "Linear":
            lin = torch.nn.Linear(l["in"][0], l["out"][0], bias=l["bias"])
            lin.weight = param("weight")
            if l["bias"]:
                lin.bias = param("bias")
            self.add_module(name, lin)
            return lin
        simple = {
            "ReLU": torch.nn.ReLU(), "Sigmoid": torch.nn.Sigmoid(), "Tanh": torch.nn.Tanh(),
            "Softmax": torch.nn.Softmax(dim=1), "Flatten": torch.nn.Flatten(1),
            "Dropout": torch.nn.Identity(),  # eval mode
        }
        if t in simple:
            return simple[t]
        raise NotImplementedError(f"{name}: layer type {t}")

    def forward(self, x):
        for step in self.steps:
            x = step(x)
        return x


def torchvision_model(table, weights):
    """A torchvision network (table["torchvision"], e.g. "resnet18") with Stride's weights, their
    field keys renamed to torchvision's by table["rename"]: the WeightNames.replace rules, in
    order (Java's $1 is Python's \\1)."""
    import re
    import torchvision  # only the block networks need it
    model = getattr(torchvision.models, table["torchvision"])()
    state = {}
    for key, tensor in weights.items():
        for regex, replacement in table["rename"]:
            key = re.sub(regex, re.sub(r"\$(\d)", r"\\\1", replacement), key)
        state[key] = tensor
    expected = {k for k in model.state_dict() if not k.endswith("num_batches_tracked")}
    if set(state) != expected:
        raise ValueError(f"{table['torchvision']}: renamed keys do not fit; missing"
                         f" {sorted(expected - set(state))[:5]}, unexpected"
                         f" {sorted(set(state) - expected)[:5]}")
    model.load_state_dict(state, strict=False)
    return model


def multiply_adds(table):
    total = 0
    for l in table["layers"]:
        if l["type"] == "Conv2d":
            oc, oh, ow = l["out"]
            total += oc * oh * ow * (l["in"][0] // l["groups"]) * l["kernelH"] * l["kernelW"]
        elif l["type"] == "Linear":
            total += l["in"][0] * l["out"][0]
    return total


def blas_in_use():
    """The BLAS library torch's process mapped, and OpenBLAS's core type if it is OpenBLAS."""
    try:
        from threadpoolctl import threadpool_info  # not packaged with Debian's torch here
        info = [f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')}"
                for i in threadpool_info() if i.get("user_api") == "blas"]
        if info:
            return "; ".join(info) + " (threadpoolctl)"
    except ImportError:
        pass
    libs = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if "blas" in os.path.basename(path):
                libs.add(os.path.realpath(path))
    described = []
    for lib in sorted(libs):
        if "openblas" in lib:
            try:
                get = ctypes.CDLL(lib).openblas_get_corename
                get.restype = ctypes.c_char_p
                described.append(f"OpenBLAS core {get().decode()} ({lib})")
                continue
            except (OSError, AttributeError):
                pass
        if "/blas/libblas.so" in lib:
            described.append(f"reference BLAS from libblas3, not OpenBLAS ({lib});"
                             " apt-get install libopenblas0 switches libblas.so.3 to OpenBLAS")
        else:
            described.append(lib)
    return "; ".join(described) or "no BLAS library mapped"


def timed(fn, seconds):
    start = time.perf_counter()
    batches = 0
    while True:
        fn()
        batches += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return batches / elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default="benchmarks/target/compare")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--round-seconds", type=float, default=1.0)
    ap.add_argument("--warmup-seconds", type=float, default=3.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cases", default=",".join(DEFAULT_CASES))
    ap.add_argument("--tsv")
    a = ap.parse_args()
    if a.quick:
        a.rounds, a.round_seconds, a.warmup_seconds = 3, 0.3, 0.5

    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if var in os.environ:
            print(f"WARNING: {var}={os.environ[var]} is set; unset it (and its partner) for"
                  " benchmarking: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ...")
    run = f"Python {platform.python_version()}"
    engine = f"PyTorch {torch.__version__.split('+')[0]}"
    print(f"# PyTorch\n\n- {engine}, {torch.get_num_threads()} threads, eval, no_grad;"
          f" oneDNN {'on' if torch.backends.mkldnn.is_available() else 'off'}")

    cases = []
    for c in a.cases.split(","):
        net, batch = c.strip().split("-")
        net = {"alexnet": "AlexNet", "lenet": "LeNet", "resnet18": "ResNet18",
               "mobilenetv2": "MobileNetV2"}.get(net.lower(), net)
        cases.append((net, int(batch)))

    models, results, ok = {}, [], True
    for net, batch in cases:
        if net not in models:
            base = os.path.join(a.dir, net.lower())
            with open(base + ".json") as f:
                table = json.load(f)
            weights = read_safetensors(base + ".safetensors")
            if "torchvision" in table:  # a block network: torchvision's own modules
                model = torchvision_model(table, weights).eval()
            else:
                model = Net(table, weights).eval()
            check = read_safetensors(base + "-check.safetensors")
            with torch.no_grad():
                out = model(check["input"])
            stride = check["output"]
            scale = stride.abs().max().item()
            diff = (out - stride).abs().max().item()
            agrees = out.shape == stride.shape and diff <= TOLERANCE * scale
            print(f"Agreement {net}: max |torch - Stride| = {diff:.3e}, output scale {scale:.3e},"
                  f" relative {diff / max(scale, 1e-38):.3e}: "
                  + ("same network and weights" if agrees else "DISAGREE, comparison aborted"))
            madds = table["multiplyAdds"] if "torchvision" in table else multiply_adds(table)
            models[net] = (model, madds, agrees)
        model, madds, agrees = models[net]
        if not agrees:
            ok = False
            continue
        shape = [batch] + json.load(open(os.path.join(a.dir, net.lower() + ".json")))["input"]
        x = torch.rand(shape, generator=torch.Generator().manual_seed(11))
        with torch.no_grad():
            run_once = lambda: model(x)  # noqa: E731
            timed(run_once, a.warmup_seconds)
            rates = []
            for r in range(a.rounds):
                rates.append(batch * timed(run_once, a.round_seconds))
                print(f"{net} batch {batch} round {r + 1}/{a.rounds}: {rates[-1]:.2f} images/s")
        median = statistics.median(rates)
        gflops = median * 2 * madds / 1e9
        spread = (max(rates) - min(rates)) / median
        results.append((run, engine, net, batch, median, gflops, spread))

    print(f"\n- BLAS for Linear layers: {blas_in_use()}\n")
    # The fraction of the measured peak is in compare.sh's combined table (Compare's PeakProbe).
    print("| Case | Engine | Run | images/s | GFLOP/s | spread |")
    print("|---|---|---|---:|---:|---:|")
    for run_, eng, net, batch, median, gflops, spread in results:
        print(f"| {net} b{batch} | {eng} | {run_} | {median:.1f} | {gflops:.1f} |"
              f" {100 * spread:.0f}% |")
    if a.tsv:
        with open(a.tsv, "a") as f:
            for row in results:
                f.write("\t".join(str(v) if not isinstance(v, float) else f"{v:.4f}"
                                  for v in row) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
