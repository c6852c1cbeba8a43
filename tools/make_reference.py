#!/usr/bin/python3
"""Makes the PyTorch reference data that Stride's integration tests compare against.

Needs: Debian's python3 with PyTorch and NumPy
    apt-get install -y python3-torch python3-numpy
Run from the repository root (takes under a minute, mostly AlexNet):
    /usr/bin/python3 tools/make_reference.py
Writes into integration-tests/src/test/resources/reference/, for each network <net>:
    <net>.io.safetensors      tensors `input` (N, C, H, W) or (N, F) and `output` (N, F), F32
    <net>.properties          PyTorch's parameter count, multiply-adds, per-layer output shapes,
                              and the state_dict names and shapes
    <net>.weights.safetensors the state_dict under the Stride field names (not for AlexNet)
Everything is deterministic (fixed seeds, fixed formula); rerunning rewrites identical files as
long as the PyTorch version is the same. The outputs are committed, so the tests need no Python.

AlexNet's 46.8 M weights are not committed: both this script and the Java test compute them from
the formula in `formula_tensor` (integer arithmetic, then double arithmetic, then one rounding
to float32), which gives bit-identical values in Python and Java.
"""

import collections
import json
import math
import os
import struct
import sys
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT_DIR = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..", "integration-tests", "src", "test", "resources", "reference")


# --- safetensors, written by hand: 8-byte LE header length, JSON header, raw LE data ------------

_DTYPES = {np.dtype("<f4"): "F32", np.dtype("<i8"): "I64"}


def write_safetensors(path, tensors, metadata=None):
    """Writes an ordered {name: numpy array} as safetensors, data in the given order."""
    header = collections.OrderedDict()
    if metadata is not None:
        header["__metadata__"] = metadata
    blobs = []
    offset = 0
    for name, array in tensors.items():
        array = np.ascontiguousarray(array)
        dtype = array.dtype.newbyteorder("<")
        if dtype not in _DTYPES:
            raise ValueError(f"{name}: unsupported dtype {array.dtype}")
        blob = array.astype(dtype, copy=False).tobytes(order="C")
        header[name] = {
            "dtype": _DTYPES[dtype],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(blob)],
        }
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # pad with spaces so the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


# --- modules PyTorch lacks, built from PyTorch ops; parameter names stay <field>.weight -----------

class PaddedConv2d(nn.Conv2d):
    """Conv2d after explicit zero padding (left, right, top, bottom): asymmetric or TF-SAME."""

    def __init__(self, *args, pad_lrtb, **kwargs):
        super().__init__(*args, padding=0, **kwargs)
        self.pad_lrtb = tuple(pad_lrtb)

    def forward(self, x):
        return super().forward(F.pad(x, self.pad_lrtb))


def tf_same_padding(n, k, s, d):
    """TensorFlow SAME: out = ceil(n / s), the odd padding pixel at the bottom/right."""
    out = -(-n // s)
    total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


class AsymMaxPool2d(nn.Module):
    """Max pooling with per-side padding (left, right, top, bottom); padded cells never win."""

    def __init__(self, kernel_size, stride, pad_lrtb):
        super().__init__()
        self.kernel_size, self.stride, self.pad_lrtb = kernel_size, stride, tuple(pad_lrtb)

    def forward(self, x):
        x = F.pad(x, self.pad_lrtb, value=float("-inf"))
        return F.max_pool2d(x, self.kernel_size, self.stride)


class AsymAvgPool2d(nn.Module):
    """Average pooling with per-side padding (left, right, top, bottom)."""

    def __init__(self, kernel_size, stride, pad_lrtb, count_include_pad):
        super().__init__()
        self.kernel_size, self.stride, self.pad_lrtb = kernel_size, stride, tuple(pad_lrtb)
        self.count_include_pad = count_include_pad

    def forward(self, x):
        summed = F.avg_pool2d(F.pad(x, self.pad_lrtb), self.kernel_size, self.stride,
                              divisor_override=1)
        if self.count_include_pad:
            kh, kw = self.kernel_size
            return summed / (kh * kw)
        ones = F.pad(torch.ones_like(x[:1, :1]), self.pad_lrtb)
        counts = F.avg_pool2d(ones, self.kernel_size, self.stride, divisor_override=1)
        return summed / counts


# --- the reference networks; names are the Stride spec's field names ----------------------------

def conv_options():
    """Every @Conv2d option, input (3, 17, 19)."""
    same_h = tf_same_padding(9, 2, 2, 1)   # (0, 1): the odd pixel at the bottom
    same_w = tf_same_padding(18, 4, 2, 1)  # (1, 1)
    return (3, 17, 19), nn.Sequential(collections.OrderedDict([
        # kernel {3, 5}, stride {2, 1}, padding {top 1, bottom 2, left 0, right 3}
        ("asym", PaddedConv2d(3, 8, (3, 5), stride=(2, 1), pad_lrtb=(0, 3, 1, 2))),
        # same = true, even kernel at stride 1: PyTorch puts the odd pixel at the bottom/right
        ("same1", nn.Conv2d(8, 8, 4, padding="same")),
        # same = true at stride 2: TensorFlow SAME
        ("same2", PaddedConv2d(8, 12, (2, 4), stride=2,
                               pad_lrtb=(same_w[0], same_w[1], same_h[0], same_h[1]))),
        ("relu", nn.ReLU()),
        ("dilated", nn.Conv2d(12, 16, 3, padding=(2, 3), dilation=(2, 3))),
        ("grouped", nn.Conv2d(16, 24, 3, padding=1, groups=2, bias=False)),
        ("depthwise", nn.Conv2d(24, 48, 3, stride=2, padding=1, groups=24)),
        ("pointwise", nn.Conv2d(48, 10, 1)),
        ("gap", nn.AdaptiveAvgPool2d(1)),
        ("flatten", nn.Flatten()),
        ("fc", nn.Linear(10, 5)),
    ]))


def pool_options():
    """Every @MaxPool / @AvgPool option, input (3, 21, 16)."""
    return (3, 21, 16), nn.Sequential(collections.OrderedDict([
        # ceil mode with padding; along W the last window hangs over the right padding
        ("max1", nn.MaxPool2d(3, 2, padding=1, ceil_mode=True)),
        # asymmetric kernel and stride
        ("max2", nn.MaxPool2d((2, 3), (1, 2))),
        # divisor counts the padding, but not the part of the last window past the padding
        ("avg1", nn.AvgPool2d(3, 2, padding=1, ceil_mode=True, count_include_pad=True)),
        ("conv", nn.Conv2d(3, 6, 1)),
        ("avg2", nn.AvgPool2d(3, 2, padding=1, ceil_mode=True, count_include_pad=False)),
        # ceil mode would add a last window starting in the bottom/right padding: dropped
        ("max3", nn.MaxPool2d(2, 3, padding=1, ceil_mode=True)),
        ("flatten", nn.Flatten()),
        ("fc", nn.Linear(6 * 2 * 1, 7)),
    ]))


def pool_padding():
    """Pooling padding as {h, w} and as {top, bottom, left, right}; default stride, input (2, 11, 12)."""
    return (2, 11, 12), nn.Sequential(collections.OrderedDict([
        # padding {1, 0}, stride omitted (= kernel)
        ("max1", nn.MaxPool2d(2, padding=(1, 0))),
        # padding {top 1, bottom 0, left 0, right 1}, stride 1
        ("max2", AsymMaxPool2d((3, 3), (1, 1), pad_lrtb=(0, 1, 1, 0))),
        ("conv", nn.Conv2d(2, 4, 1)),
        # padding {top 0, bottom 1, left 1, right 1}, counting padded zeros
        ("avg1", AsymAvgPool2d((2, 3), (1, 2), pad_lrtb=(1, 1, 0, 1), count_include_pad=True)),
        # padding {top 1, bottom 1, left 0, right 1}, not counting them
        ("avg2", AsymAvgPool2d((3, 2), (2, 2), pad_lrtb=(0, 1, 1, 1), count_include_pad=False)),
        ("flatten", nn.Flatten()),
        ("fc", nn.Linear(4 * 3 * 2, 5)),
    ]))


def norm_and_activations():
    """BatchNorm (2d and 1d, default and custom eps), the activations, bias-free Linear, Softmax."""
    return (3, 10, 10), nn.Sequential(collections.OrderedDict([
        ("conv1", nn.Conv2d(3, 6, 3, padding=1)),
        ("bn1", nn.BatchNorm2d(6)),
        ("sigmoid", nn.Sigmoid()),
        ("conv2", nn.Conv2d(6, 8, 3, stride=2)),
        ("tanh", nn.Tanh()),
        ("conv3", nn.Conv2d(8, 8, 3, padding=1)),
        ("relu", nn.ReLU()),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(8 * 4 * 4, 32, bias=False)),
        # eps large enough that using it wrongly (or not at all) is visible at the tolerance
        ("bn2", nn.BatchNorm1d(32, eps=1e-2)),
        ("drop", nn.Dropout(0.5)),
        ("fc2", nn.Linear(32, 10)),
        ("softmax", nn.Softmax(dim=1)),
    ]))


def flat_mlp():
    """A flat (F) input: Linear, BatchNorm 1d, Tanh, Dropout, ReLU, Softmax."""
    return (20,), nn.Sequential(collections.OrderedDict([
        ("fc1", nn.Linear(20, 32)),
        ("bn", nn.BatchNorm1d(32)),
        ("tanh", nn.Tanh()),
        ("drop", nn.Dropout(0.1)),
        ("fc2", nn.Linear(32, 16)),
        ("relu", nn.ReLU()),
        ("fc3", nn.Linear(16, 5)),
        ("softmax", nn.Softmax(dim=1)),
    ]))


def lenet():
    """d2l's LeNet for Fashion-MNIST."""
    return (1, 28, 28), nn.Sequential(collections.OrderedDict([
        ("conv1", nn.Conv2d(1, 6, 5, padding=2)),
        ("sig1", nn.Sigmoid()),
        ("pool1", nn.AvgPool2d(2, 2)),
        ("conv2", nn.Conv2d(6, 16, 5)),
        ("sig2", nn.Sigmoid()),
        ("pool2", nn.AvgPool2d(2, 2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(400, 120)),
        ("sig3", nn.Sigmoid()),
        ("fc2", nn.Linear(120, 84)),
        ("sig4", nn.Sigmoid()),
        ("fc3", nn.Linear(84, 10)),
    ]))


def alexnet():
    """d2l's AlexNet for Fashion-MNIST resized to 224 x 224: 46,764,746 parameters."""
    return (1, 224, 224), nn.Sequential(collections.OrderedDict([
        ("conv1", nn.Conv2d(1, 96, 11, stride=4, padding=1)),
        ("relu1", nn.ReLU()),
        ("pool1", nn.MaxPool2d(3, 2)),
        ("conv2", nn.Conv2d(96, 256, 5, padding=2)),
        ("relu2", nn.ReLU()),
        ("pool2", nn.MaxPool2d(3, 2)),
        ("conv3", nn.Conv2d(256, 384, 3, padding=1)),
        ("relu3", nn.ReLU()),
        ("conv4", nn.Conv2d(384, 384, 3, padding=1)),
        ("relu4", nn.ReLU()),
        ("conv5", nn.Conv2d(384, 256, 3, padding=1)),
        ("relu5", nn.ReLU()),
        ("pool3", nn.MaxPool2d(3, 2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(6400, 4096)),
        ("relu6", nn.ReLU()),
        ("drop1", nn.Dropout(0.5)),
        ("fc2", nn.Linear(4096, 4096)),
        ("relu7", nn.ReLU()),
        ("drop2", nn.Dropout(0.5)),
        ("fc3", nn.Linear(4096, 10)),
    ]))


# --- weights -----------------------------------------------------------------------------------

def scale_weights(model, gain):
    """PyTorch's default init times `gain`: at gain 1 sigmoid nets such as LeNet give nearly the
    same output for every input, which would hide a batch mix-up under the tolerance."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                module.weight.mul_(gain)


def randomize_batch_norms(model, generator):
    """Default init leaves BatchNorm the identity; give it non-trivial statistics and affine."""
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            c = module.num_features
            with torch.no_grad():
                module.running_mean.copy_(torch.randn(c, generator=generator) * 0.5)
                module.running_var.copy_(torch.rand(c, generator=generator) + 0.5)
                module.weight.copy_(torch.rand(c, generator=generator) + 0.5)
                module.bias.copy_(torch.randn(c, generator=generator) * 0.2)
                module.num_batches_tracked.fill_(17)


def formula_tensor(shape, fan_in, salt, k):
    """The AlexNet test weights, bit-identical to AlexNetParityTest.formulaTensor in Java.

    For the i-th element (0-based, row-major) of a tensor whose salt s is its 0-based position
    in the state_dict, in a layer with fan-in f (in_channels/groups * kh * kw for a conv,
    in_features for a linear; a bias uses its layer's f):
        q     = i mod 10007
        h     = (31*q*q + 7919*q + 104729*s) mod 10007    exact integers (Java: long, < 2^42)
        u     = h / 10007.0                               double
        value = float32((2*u - 1) * sqrt(k / f))          double arithmetic, one rounding
    with k = 6 for weights (He/Kaiming-uniform bound, so the signal survives eight ReLU layers
    and the output depends on the input) and k = 1 for biases (PyTorch's default bias bound).
    The quadratic term keeps rows from being shifted copies of one another.
    """
    n = math.prod(shape)
    q = np.arange(n, dtype=np.int64) % 10007
    h = (31 * q * q + 7919 * q + 104729 * salt) % 10007
    u = h.astype(np.float64) / 10007.0
    value = (2.0 * u - 1.0) * math.sqrt(k / fan_in)
    return torch.from_numpy(value.astype(np.float32).reshape(shape))


def set_formula_weights(model):
    salt = 0
    for module in model.children():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            fan_in = module.weight[0].numel()
            with torch.no_grad():
                module.weight.copy_(formula_tensor(tuple(module.weight.shape), fan_in, salt, 6))
                salt += 1
                if module.bias is not None:
                    module.bias.copy_(formula_tensor(tuple(module.bias.shape), fan_in, salt, 1))
                    salt += 1


# --- one network -------------------------------------------------------------------------------

def layer_shapes(model, x):
    shapes = collections.OrderedDict()
    hooks = [module.register_forward_hook(
        lambda m, args, out, name=name: shapes.__setitem__(name, list(out.shape[1:])))
        for name, module in model.named_children()]
    with torch.no_grad():
        model(x)
    for hook in hooks:
        hook.remove()
    return shapes


def make(name, builder, batch, seed, gain=1.0, weights="default", input_offset=0.0):
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed + 1)
    input_shape, model = builder()
    if weights == "formula":
        set_formula_weights(model)
    else:
        scale_weights(model, gain)
        randomize_batch_norms(model, generator)
    model.eval()

    x = torch.randn((batch,) + input_shape, generator=generator) + input_offset
    with torch.no_grad():
        out = model(x)
        # The reference is only useful if float32 rounding in PyTorch itself is far below the
        # tolerance the tests apply (1e-4 of the output's scale): check against float64, 10x below it.
        out64 = model.double()(x.double())
        model.float()
    scale = out.abs().max().item()
    drift = (out.double() - out64).abs().max().item() / scale
    assert drift < 1e-5, f"{name}: float32 vs float64 drift {drift:.2e} of the output's scale"
    # Samples must differ by far more than the tolerance, or swapped samples would pass.
    spread = (out - out[:1]).abs().max().item() / scale
    assert spread > 2e-2, f"{name}: outputs differ across samples by only {spread:.2e} of the scale"

    shapes = layer_shapes(model, x)
    params = sum(p.numel() for p in model.parameters())
    # Multiply-adds per sample over convolutions and linear layers; whether a count includes
    # the bias additions is a convention, so both ends are recorded.
    multiply_adds = bias_adds = 0
    for layer, module in model.named_children():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            outputs = math.prod(shapes[layer])
            multiply_adds += outputs * module.weight[0].numel()
            bias_adds += outputs if module.bias is not None else 0
    tensors = collections.OrderedDict(
        (k, list(v.shape)) for k, v in model.state_dict().items()
        if not k.endswith("num_batches_tracked"))

    base = os.path.join(OUT_DIR, name)
    write_safetensors(base + ".io.safetensors", collections.OrderedDict([
        ("input", x.numpy()), ("output", out.numpy())]))
    if weights != "formula":
        metadata = {"format": "pt", "source": "tools/make_reference.py"} if name in (
            "LeNet", "FlatMlp") else None  # some files carry __metadata__, as hub files do
        write_safetensors(base + ".weights.safetensors", collections.OrderedDict(
            (k, v.numpy()) for k, v in model.state_dict().items()), metadata)
    with open(base + ".properties", "w") as f:
        f.write(f"# Made by tools/make_reference.py with torch {torch.__version__}; do not edit.\n")
        f.write(f"parameterCount={params}\n")
        f.write(f"multiplyAdds={multiply_adds}\n")
        f.write(f"biasAdds={bias_adds}\n")
        f.write(f"batch={batch}\n")
        f.write(f"input={list(input_shape)}\n")
        f.write(f"outputScale={scale!r}\n")
        f.write(f"layers={','.join(shapes)}\n")
        for layer, shape in shapes.items():
            f.write(f"shape.{layer}={shape}\n")
        f.write(f"tensors={','.join(tensors)}\n")
        for tensor, shape in tensors.items():
            f.write(f"tensor.{tensor}={shape}\n")
        if weights == "formula":
            # A few exact values (float32 as hex), so that a disagreement between the Python and
            # Java formulas shows up as such, not as a parity failure.
            state = model.state_dict()
            for tensor in tensors:
                flat = state[tensor].reshape(-1)
                n = flat.numel()
                probes = sorted({i for i in (0, 1, 10006, 10007, n // 2, n - 1) if i < n})
                values = ",".join(f"{i}:{float(flat[i]).hex()}" for i in probes)
                f.write(f"probe.{tensor}={values}\n")
    print(f"{name:20s} params {params:>10,d}  output {list(out.shape)}  scale {scale:.4g}"
          f"  spread {spread:.2f}  f32/f64 drift {drift:.1e}")
    return shapes


def main():
    warnings.filterwarnings("ignore", message="Using padding='same' with even kernel")
    os.makedirs(OUT_DIR, exist_ok=True)
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    make("ConvOptions", conv_options, batch=3, seed=101, gain=2.0)
    # Mostly negative inputs, so that a max-pool window over the padding loses to a negative
    # value: zero padding where PyTorch uses -inf would show.
    make("PoolOptions", pool_options, batch=3, seed=202, input_offset=-2.0)
    make("PoolPadding", pool_padding, batch=3, seed=303, input_offset=-2.0)
    make("NormAndActivations", norm_and_activations, batch=3, seed=404, gain=2.0)
    make("FlatMlp", flat_mlp, batch=4, seed=505)
    make("LeNet", lenet, batch=3, seed=606, gain=6.0)
    make("AlexNet", alexnet, batch=2, seed=707, weights="formula")


if __name__ == "__main__":
    sys.exit(main())
