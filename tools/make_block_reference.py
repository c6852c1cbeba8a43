#!/usr/bin/python3
"""Makes the PyTorch reference data for Stride's block networks (residual, branching, dense).

Needs: Debian's python3 with PyTorch, torchvision and NumPy
    apt-get install -y python3-torch python3-torchvision python3-numpy
Run from anywhere (about a minute on 2 cores):
    /usr/bin/python3 tools/make_block_reference.py

No weights are committed and nothing downloads. Every parameter, buffer and input element is a
formula of (tensor key, element index) that integration-tests' FormulaWeights reproduces bit for
bit (see `uniform` and `formula_value`); the Java side writes the weights into a safetensors file
under the state_dict's own key names and loads it as a user would.

Writes into integration-tests/src/test/resources/reference/blocks/:
    <net>.output.safetensors  `output` (N, F) F32: PyTorch's eval-mode output for the formula input
    <net>.properties          parameter count, multiply-adds, input shape and batch, the output
                              shape of every convolution, batch norm and linear module (under its
                              state_dict module name), the state_dict names and shapes, and a few
                              exact weight and input values (`probe.*`, float32 in hex)
    torchvision-<net>.json    torchvision's state_dict names and shapes, in order (no
                              num_batches_tracked), for ResNet18 and MobileNetV2
    formula.properties        formula values for a handful of keys, roles and indices
"""

import collections
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

OUT_DIR = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..", "integration-tests", "src", "test", "resources", "reference", "blocks")

# --- the formula --------------------------------------------------------------------------------

M32 = 0xFFFFFFFF


def fnv1a(key):
    """32-bit FNV-1a of the key's UTF-8 bytes."""
    h = 0x811C9DC5
    for b in key.encode("utf-8"):
        h = ((h ^ b) * 0x01000193) & M32
    return h


def uniform(key, n):
    """n doubles in [0, 1), each a multiple of 2^-24: exactly FormulaWeights.uniform in Java.

    x = fnv1a(key) XOR low32(i * 0x9E3779B1), then MurmurHash3's 32-bit finalizer
    (x ^= x >>> 16; x *= 0x85EBCA6B; x ^= x >>> 13; x *= 0xC2B2AE35; x ^= x >>> 16, all mod 2^32),
    u = (x >>> 8) / 2^24.
    """
    i = np.arange(n, dtype=np.uint64)
    x = np.uint64(fnv1a(key)) ^ ((i * np.uint64(0x9E3779B1)) & np.uint64(M32))
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x85EBCA6B)) & np.uint64(M32)
    x ^= x >> np.uint64(13)
    x = (x * np.uint64(0xC2B2AE35)) & np.uint64(M32)
    x ^= x >> np.uint64(16)
    return (x >> np.uint64(8)).astype(np.float64) / 16777216.0


def formula_value(key, n, center, half):
    """float32(center + half * (2u - 1)), in double arithmetic with one rounding to float32."""
    return (center + half * (2.0 * uniform(key, n) - 1.0)).astype(np.float32)


def role(key, shapes):
    """(center, half) for a state_dict key, decided from the key and the manifest only.

    BatchNorm (a layer with running_var): weight in [0.75, 1.25), bias and running_mean in
    [-0.1, 0.1), running_var in [0.75, 1.25). Convolution and linear: weight uniform in
    +-sqrt(gain / fan_in) with fan_in = numel / out (gain from the network), bias +-sqrt(1 / fan_in).
    """
    layer, suffix = key.rsplit(".", 1)
    if layer + ".running_var" in shapes:
        return {"weight": (1.0, 0.25), "bias": (0.0, 0.1), "running_mean": (0.0, 0.1),
                "running_var": (1.0, 0.25)}[suffix]
    weight = shapes[layer + ".weight"]
    fan_in = math.prod(weight) // weight[0]
    if suffix == "weight":
        return None, fan_in  # the gain is the network's
    if suffix == "bias":
        return 0.0, math.sqrt(1.0 / fan_in)
    raise ValueError(f"no formula for {key}")


def formula_state(shapes, gain):
    """{key: float32 array} for a manifest {key: shape}."""
    out = collections.OrderedDict()
    for key, shape in shapes.items():
        center, half = role(key, shapes)
        if center is None:
            center, half = 0.0, math.sqrt(gain / half)
        out[key] = formula_value(key, math.prod(shape), center, half).reshape(shape)
    return out


def formula_input(shape):
    """The input batch: sample n is key "input#n", uniform in [c - 1, c + 1) with c = n mod 3 - 1.

    Uniform noise alone averages out in global pooling, leaving outputs that barely differ between
    samples; a per-sample mean, as real images have, keeps them apart."""
    size = math.prod(shape[1:])
    return np.stack([formula_value(f"input#{n}", size, float(n % 3 - 1), 1.0)
                     for n in range(shape[0])]).reshape(shape)


# --- safetensors, written by hand ---------------------------------------------------------------

def write_safetensors(path, tensors):
    header = collections.OrderedDict()
    blobs, offset = [], 0
    for name, array in tensors.items():
        blob = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


# --- the networks; module names are the Stride spec's field paths (torchvision's are its own) ----

def named(*pairs):
    return nn.Sequential(collections.OrderedDict(pairs))


class D2lResidual(nn.Module):
    """d2l's Residual: conv-bn-relu-conv-bn, plus the input (or conv3 of it), then ReLU."""

    def __init__(self, cin, cout, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, stride=strides)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv3 = nn.Conv2d(cin, cout, 1, stride=strides) if use_1x1conv else None

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        if self.conv3 is not None:
            x = self.conv3(x)
        return F.relu(y + x)


def d2l_resnet18():
    """d2l's ResNet-18 for Fashion-MNIST at 96 x 96 (chapter 8.6): 11,178,378 parameters."""
    def stage(cin, cout, first_block=False):
        if first_block:
            return nn.Sequential(D2lResidual(cin, cout), D2lResidual(cout, cout))
        return nn.Sequential(D2lResidual(cin, cout, use_1x1conv=True, strides=2),
                             D2lResidual(cout, cout))
    return (1, 96, 96), named(
        ("conv1", nn.Conv2d(1, 64, 7, stride=2, padding=3)), ("bn1", nn.BatchNorm2d(64)),
        ("relu", nn.ReLU()), ("pool", nn.MaxPool2d(3, 2, padding=1)),
        ("b2", stage(64, 64, first_block=True)), ("b3", stage(64, 128)),
        ("b4", stage(128, 256)), ("b5", stage(256, 512)),
        ("gap", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()), ("fc", nn.Linear(512, 10)))


class Inception(nn.Module):
    """d2l's Inception: four branches on the same input, concatenated along channels."""

    def __init__(self, cin, c1, c2, c3, c4):
        super().__init__()
        self.p1 = named(("conv", nn.Conv2d(cin, c1, 1)), ("relu", nn.ReLU()))
        self.p2 = named(("conv1", nn.Conv2d(cin, c2[0], 1)), ("relu1", nn.ReLU()),
                        ("conv2", nn.Conv2d(c2[0], c2[1], 3, padding=1)), ("relu2", nn.ReLU()))
        self.p3 = named(("conv1", nn.Conv2d(cin, c3[0], 1)), ("relu1", nn.ReLU()),
                        ("conv2", nn.Conv2d(c3[0], c3[1], 5, padding=2)), ("relu2", nn.ReLU()))
        self.p4 = named(("pool", nn.MaxPool2d(3, 1, padding=1)), ("conv", nn.Conv2d(cin, c4, 1)),
                        ("relu", nn.ReLU()))

    def forward(self, x):
        return torch.cat((self.p1(x), self.p2(x), self.p3(x), self.p4(x)), dim=1)


def d2l_googlenet():
    """d2l's GoogLeNet for Fashion-MNIST at 96 x 96 (chapter 8.4): 5,977,530 parameters."""
    return (1, 96, 96), named(
        ("conv1", nn.Conv2d(1, 64, 7, stride=2, padding=3)), ("relu1", nn.ReLU()),
        ("pool1", nn.MaxPool2d(3, 2, padding=1)),
        ("conv2", nn.Conv2d(64, 64, 1)), ("relu2", nn.ReLU()),
        ("conv3", nn.Conv2d(64, 192, 3, padding=1)), ("relu3", nn.ReLU()),
        ("pool2", nn.MaxPool2d(3, 2, padding=1)),
        ("b3a", Inception(192, 64, (96, 128), (16, 32), 32)),
        ("b3b", Inception(256, 128, (128, 192), (32, 96), 64)),
        ("pool3", nn.MaxPool2d(3, 2, padding=1)),
        ("b4a", Inception(480, 192, (96, 208), (16, 48), 64)),
        ("b4b", Inception(512, 160, (112, 224), (24, 64), 64)),
        ("b4c", Inception(512, 128, (128, 256), (24, 64), 64)),
        ("b4d", Inception(512, 112, (144, 288), (32, 64), 64)),
        ("b4e", Inception(528, 256, (160, 320), (32, 128), 128)),
        ("pool4", nn.MaxPool2d(3, 2, padding=1)),
        ("b5a", Inception(832, 256, (160, 320), (32, 128), 128)),
        ("b5b", Inception(832, 384, (192, 384), (48, 128), 128)),
        ("gap", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()), ("fc", nn.Linear(1024, 10)))


class DenseLayer(nn.Module):
    """d2l's conv_block inside DenseBlock: Y = conv(relu(bn(X))); X = cat((X, Y), dim=1)."""

    def __init__(self, cin, growth):
        super().__init__()
        self.bn = nn.BatchNorm2d(cin)
        self.conv = nn.Conv2d(cin, growth, 3, padding=1)

    def forward(self, x):
        return torch.cat((x, self.conv(F.relu(self.bn(x)))), dim=1)


def d2l_densenet():
    """d2l's DenseNet for Fashion-MNIST at 96 x 96 (chapter 8.7): 758,226 parameters."""
    def dense(cin):
        return nn.Sequential(*[DenseLayer(cin + 32 * i, 32) for i in range(4)])

    def transition(cin, cout):
        return named(("bn", nn.BatchNorm2d(cin)), ("relu", nn.ReLU()),
                     ("conv", nn.Conv2d(cin, cout, 1)), ("pool", nn.AvgPool2d(2, 2)))
    return (1, 96, 96), named(
        ("conv1", nn.Conv2d(1, 64, 7, stride=2, padding=3)), ("bn1", nn.BatchNorm2d(64)),
        ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(3, 2, padding=1)),
        ("dense1", dense(64)), ("trans1", transition(192, 96)),
        ("dense2", dense(96)), ("trans2", transition(224, 112)),
        ("dense3", dense(112)), ("trans3", transition(240, 120)),
        ("dense4", dense(120)),
        ("bn", nn.BatchNorm2d(248)), ("relu", nn.ReLU()),
        ("gap", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()), ("fc", nn.Linear(248, 10)))


class MlpBlock(nn.Module):
    """Linear-BN-ReLU-Linear plus the input, then ReLU: a residual block on features."""

    def __init__(self, width):
        super().__init__()
        self.fc1 = nn.Linear(width, width)
        self.bn = nn.BatchNorm1d(width)
        self.fc2 = nn.Linear(width, width)

    def forward(self, x):
        return F.relu(self.fc2(F.relu(self.bn(self.fc1(x)))) + x)


class MlpWiden(nn.Module):
    """Linear-ReLU-Linear to a wider width, plus a bias-free linear projection of the input."""

    def __init__(self, cin, width):
        super().__init__()
        self.fc1 = nn.Linear(cin, width)
        self.fc2 = nn.Linear(width, width)
        self.proj = nn.Linear(cin, width, bias=False)

    def forward(self, x):
        return F.relu(self.fc2(F.relu(self.fc1(x))) + self.proj(x))


class MlpDense(nn.Module):
    """A dense step on features: cat((x, tanh(fc(x))), dim=1)."""

    def __init__(self, cin, growth):
        super().__init__()
        self.fc = nn.Linear(cin, growth)

    def forward(self, x):
        return torch.cat((x, torch.tanh(self.fc(x))), dim=1)


def residual_mlp():
    """A flat (32) input through residual, projection and dense blocks: Add and Concat on (F)."""
    return (32,), named(
        ("fcIn", nn.Linear(32, 64)), ("reluIn", nn.ReLU()),
        ("blocks", nn.Sequential(MlpBlock(64), MlpBlock(64))),
        ("widen", MlpWiden(64, 96)),
        ("dense", MlpDense(96, 16)),
        ("fcOut", nn.Linear(112, 10)))


def torchvision_resnet18():
    return (3, 224, 224), torchvision.models.resnet18()


def torchvision_mobilenet_v2():
    return (3, 224, 224), torchvision.models.mobilenet_v2()


# --- one network -------------------------------------------------------------------------------

def make(name, builder, batch, gain, manifest=None):
    torch.manual_seed(0)  # only the construction's throwaway init uses it; every value is replaced
    input_shape, model = builder()
    shapes = collections.OrderedDict(
        (k, list(v.shape)) for k, v in model.state_dict().items()
        if not k.endswith("num_batches_tracked"))
    state = formula_state(shapes, gain)
    with torch.no_grad():
        for k, v in model.state_dict().items():
            if k in state:
                v.copy_(torch.from_numpy(state[k]))
    model.eval()

    x = torch.from_numpy(formula_input((batch,) + input_shape))
    layer_out = collections.OrderedDict()
    hooks = [m.register_forward_hook(
        lambda mod, args, out, n=n: layer_out.__setitem__(n, list(out.shape[1:])))
        for n, m in model.named_modules()
        if isinstance(m, (nn.Conv2d, nn.Linear, nn.modules.batchnorm._BatchNorm))]
    with torch.no_grad():
        out = model(x)
    for h in hooks:
        h.remove()
    with torch.no_grad():
        out64 = model.double()(x.double())
        model.float()
    scale = out.abs().max().item()
    drift = (out.double() - out64).abs().max().item() / scale
    # float32 rounding in PyTorch must be far below the tests' 1e-4 of the output's scale.
    assert drift < 1e-5, f"{name}: float32 vs float64 drift {drift:.2e} of the output's scale"
    # Samples must differ by far more than the tolerance, or swapped samples would pass.
    spread = (out - out[:1]).abs().max().item() / scale
    assert spread > 2e-2, f"{name}: outputs differ across samples by only {spread:.2e}"

    params = sum(p.numel() for p in model.parameters())
    multiply_adds = bias_adds = 0
    modules = dict(model.named_modules())
    for n, shape in layer_out.items():
        m = modules[n]
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            multiply_adds += math.prod(shape) * m.weight[0].numel()
            bias_adds += math.prod(shape) if m.bias is not None else 0

    base = os.path.join(OUT_DIR, name)
    write_safetensors(base + ".output.safetensors", {"output": out.numpy()})
    if manifest:
        with open(os.path.join(OUT_DIR, manifest), "w") as f:
            # One tensor a line: {"conv1.weight": [64, 3, 7, 7], ...}, in state_dict order.
            f.write("{\n" + ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}"
                                       for k, v in shapes.items()) + "\n}\n")
    with open(base + ".properties", "w") as f:
        f.write(f"# Made by tools/make_block_reference.py with torch {torch.__version__},"
                f" torchvision {torchvision.__version__}; do not edit.\n")
        f.write(f"parameterCount={params}\n")
        f.write(f"multiplyAdds={multiply_adds}\n")
        f.write(f"biasAdds={bias_adds}\n")
        f.write(f"batch={batch}\n")
        f.write(f"input={list(input_shape)}\n")
        f.write(f"weightGain={gain!r}\n")
        f.write(f"outputScale={scale!r}\n")
        f.write(f"modules={','.join(layer_out)}\n")
        for n, shape in layer_out.items():
            f.write(f"shape.{n}={shape}\n")
        f.write(f"tensors={','.join(shapes)}\n")
        for k, shape in shapes.items():
            f.write(f"tensor.{k}={shape}\n")
        # A few exact values (float32 as hex), so that a Python/Java formula disagreement shows
        # up as such, not as a parity failure.
        inputs = [(f"input#{n}", x[n].numpy()) for n in range(batch)]
        for k, arr in list(state.items()) + inputs:
            flat = arr.reshape(-1)
            n = flat.size
            probes = sorted({i for i in (0, 1, n // 2, n - 1) if i < n})
            f.write(f"probe.{k}=" + ",".join(f"{i}:{float(flat[i]).hex()}" for i in probes) + "\n")
    print(f"{name:14s} params {params:>11,d}  MACs {multiply_adds:>13,d}  output"
          f" {list(out.shape)}  scale {scale:.4g}  spread {spread:.2f}  f32/f64 drift {drift:.1e}")


def formula_probes():
    """formula.properties: raw values for the unit test of the Java formula (no network)."""
    cases = [("conv1.weight", 0.0, 0.5), ("layer2.0.downsample.0.weight", 0.0, 0.0625),
             ("features.18.1.running_var", 1.0, 0.25), ("b3a.p2.conv1.bias", 0.0, 0.1),
             ("input", 0.0, 1.0), ("Gewichte.\u00e9\u00df\u4e2d", -2.0, 3.0), ("", 0.0, 1.0)]
    with open(os.path.join(OUT_DIR, "formula.properties"), "w", encoding="ascii") as f:
        f.write("# Made by tools/make_block_reference.py; do not edit. key is escaped as in"
                " Java properties; value = center + half * (2u - 1) at each index, float32 hex\n")
        for n, (key, center, half) in enumerate(cases):
            idx = [0, 1, 2, 255, 4096, 1000003, 2359295]
            values = formula_value(key, max(idx) + 1, center, half)
            escaped = "".join(c if ord(c) < 128 else f"\\u{ord(c):04x}" for c in key)
            f.write(f"case.{n}.key={escaped}\ncase.{n}.center={center!r}\ncase.{n}.half={half!r}\n")
            f.write(f"case.{n}.fnv1a={fnv1a(key)}\n")
            f.write(f"case.{n}.values=" + ",".join(f"{i}:{float(values[i]).hex()}" for i in idx)
                    + "\n")


def main():
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    os.makedirs(OUT_DIR, exist_ok=True)
    formula_probes()
    make("ResidualMlp", residual_mlp, batch=3, gain=3.0)
    make("D2lResNet18", d2l_resnet18, batch=3, gain=3.0)
    make("D2lGoogLeNet", d2l_googlenet, batch=3, gain=6.0)
    make("D2lDenseNet", d2l_densenet, batch=3, gain=3.0)
    make("ResNet18", torchvision_resnet18, batch=2, gain=3.0, manifest="torchvision-resnet18.json")
    make("MobileNetV2", torchvision_mobilenet_v2, batch=2, gain=6.0,
         manifest="torchvision-mobilenet_v2.json")


if __name__ == "__main__":
    sys.exit(main())
