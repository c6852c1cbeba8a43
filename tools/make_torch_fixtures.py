#!/usr/bin/python3
"""Writes the small torch.save files that runtime's TorchCheckpoint tests read.

Needs Debian's python3-torch (1.13). Run from anywhere:

    /usr/bin/python3 tools/make_torch_fixtures.py

Writes to runtime/src/test/resources/torch/:
  dtypes.pt            float32, float16, bfloat16 and float64 tensors (specials: -0, subnormals, inf, nan,
                       values that round), a 0-dim scalar and an empty tensor
  views.pt             tensors sharing one storage: views at different offsets, a transpose, strided
                       slices, an expanded (stride 0) tensor
  sequential.pt        a model whose nn.Sequential is called `features`: keys features.0.weight, ...,
                       with a BatchNorm2d (num_batches_tracked, int64) at index 1
  sequential-p4.pt     the same state_dict written with pickle protocol 4 (STACK_GLOBAL, FRAME, MEMOIZE)
  dataparallel.pt      the same state_dict with DataParallel's `module.` prefix
  batchnorm.pt         a bare BatchNorm2d state_dict
  expected.txt         one line per float tensor: file, key, shape, float32 bit patterns (hex) in row-major
                       order, i.e. what PyTorch's t.contiguous().float() holds
  evil-*.pt            pickles naming a forbidden global (via GLOBAL, STACK_GLOBAL and INST); never load
                       them in Python
  bad-*.pt             malformed checkpoints: truncated, missing storage, sizes beyond the storage, ...
  legacy.pt            the pre-1.6 format (_use_new_zipfile_serialization=False)
  int32.pt             sequential.pt's state_dict with features.0.weight as int32
  checkpoint.pt        a training checkpoint: {'model': state_dict, 'optimizer': SGD's state_dict, 'epoch': 3}
  state-dict-entry.pt  {'state_dict': state_dict}
  whole-model.pt       torch.save(model) of Net, a pickled module rather than a state_dict
  vgg.pt, nin.pt       tiny d2l-style VGG and NiN, nn.Sequentials of nn.Sequential blocks (0.0.weight, 1.3.weight)
  vgg-io.pt, nin-io.pt {'input': x, 'output': net(x)} for one seeded input, in eval mode
"""

import collections
import io
import os
import pickle
import struct
import zipfile

import torch
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "runtime", "src", "test", "resources", "torch")
expected = []


def save(name, state, **kwargs):
    path = os.path.join(OUT, name)
    torch.save(state, path, **kwargs)
    return path


def expect(name, state):
    for key, t in state.items():
        if not t.is_floating_point():
            continue
        bits = t.detach().contiguous().float().reshape(-1).view(torch.int32).tolist()
        shape = ",".join(str(d) for d in t.shape)
        expected.append(f"{name} {key} [{shape}] " + " ".join("%08x" % (b & 0xFFFFFFFF) for b in bits))


def dtypes():
    specials = [0.0, -0.0, 1.0, -2.5, 1 / 3, 65504.0, 65520.0, 6e-8, 1e-5, 1e-40, 3e38, 1e39,
                float("inf"), float("-inf"), float("nan"), 0.1]
    state = collections.OrderedDict()
    state["f32"] = torch.tensor([[1.0, -2.0, 3.5], [1e-45, -0.0, 3.4028235e38]], dtype=torch.float32)
    state["f16"] = torch.tensor(specials, dtype=torch.float16).reshape(4, 4)
    state["bf16"] = torch.tensor(specials, dtype=torch.bfloat16).reshape(2, 8)
    state["f64"] = torch.tensor(specials + [1 + 2 ** -24, 1 + 3 * 2 ** -25], dtype=torch.float64)
    state["scalar"] = torch.tensor(7.25)
    state["empty"] = torch.zeros(0, 3)
    save("dtypes.pt", state)
    expect("dtypes.pt", state)


def views():
    base = torch.arange(24, dtype=torch.float32) * 0.5 - 3
    m = base.view(4, 6)
    state = collections.OrderedDict()
    state["whole"] = m
    state["rows"] = m[1:3]  # offset 6, contiguous
    state["tail"] = base[17:]  # offset 17
    state["transposed"] = m.t()  # stride (1, 6)
    state["slice"] = m[::2, 1::3]  # offset 1, stride (12, 3)
    state["block"] = m[1:3, 2:5]  # offset 8, stride (6, 1)
    state["expanded"] = base[5:6].expand(3, 4)  # stride (0, 0)
    state["other"] = torch.tensor([9.0, 8.0])  # its own storage
    for k in ("rows", "tail", "transposed", "slice", "block", "expanded"):
        assert state[k].storage().data_ptr() == base.storage().data_ptr(), k
    assert not state["transposed"].is_contiguous() and not state["slice"].is_contiguous()
    path = save("views.pt", state)
    storages = [n for n in zipfile.ZipFile(path).namelist() if "/data/" in n]
    assert len(storages) == 2, storages
    expect("views.pt", state)


class Net(nn.Module):
    """A d2l-style model: an nn.Sequential named `features`, keys by position."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 2, kernel_size=3, padding=1), nn.BatchNorm2d(2), nn.ReLU(),
            nn.AvgPool2d(2), nn.Flatten(), nn.Linear(8, 3))


def sequential():
    torch.manual_seed(1)
    net = Net()
    bn = net.features[1]
    with torch.no_grad():  # make the buffers non-trivial, as after training
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.num_batches_tracked += 17
    state = net.state_dict()
    assert list(state)[0] == "features.0.weight" and "features.1.num_batches_tracked" in state
    save("sequential.pt", state)
    save("sequential-p4.pt", state, pickle_protocol=4)
    expect("sequential.pt", state)
    dp = collections.OrderedDict(("module." + k, v) for k, v in state.items())
    save("dataparallel.pt", dp)
    torch.manual_seed(2)
    bare = nn.BatchNorm2d(3)
    bare.num_batches_tracked += 5
    save("batchnorm.pt", bare.state_dict())
    expect("batchnorm.pt", bare.state_dict())


class Evil:
    """Pickles as a call; pickling never runs it, and these files are never loaded in Python."""

    def __init__(self, fn, arg):
        self.fn, self.arg = fn, arg

    def __reduce__(self):
        return self.fn, (self.arg,)


def evil():
    w = torch.ones(2)
    # torch.save's own pickler: a valid state_dict with one poisoned value.
    save("evil-os-system.pt", collections.OrderedDict(w=w, x=Evil(os.system, "echo never-run")))
    save("evil-eval.pt", collections.OrderedDict(w=w, x=Evil(eval, "print('never run')")))
    # Protocol 4 writes globals with STACK_GLOBAL.
    save("evil-stack-global.pt", collections.OrderedDict(w=w, x=Evil(os.system, "echo never-run")),
         pickle_protocol=4)
    save("evil-stack-global-eval.pt", collections.OrderedDict(x=Evil(eval, "1")), pickle_protocol=4)
    # INST names its class inline and calls it with the marked arguments.
    write_zip("evil-inst.pt", b"\x80\x02(X\x0e\x00\x00\x00echo never-runios\nsystem\n.")
    # A whitelisted storage type used as a callable.
    write_zip("evil-call-storage.pt", b"\x80\x02ctorch\nFloatStorage\nK\x10\x85R.")


class Storage:
    def __init__(self, kind, key, numel):
        self.kind, self.key, self.numel = kind, key, numel


class FakeTensor:
    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, size, stride, False, collections.OrderedDict())

    def __reduce__(self):
        return torch._utils._rebuild_tensor_v2, self.args


class Crafter(pickle.Pickler):
    """Writes data.pkl as torch.save does, but from hand-made (possibly inconsistent) parts."""

    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return "storage", obj.kind, obj.key, "cpu", obj.numel
        return None


def write_zip(name, pkl, storages=None, byteorder=b"little", drop=()):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pkl)
        if byteorder is not None:
            z.writestr("archive/byteorder", byteorder)
        for key, data in (storages or {}).items():
            if key not in drop:
                z.writestr("archive/data/" + key, data)
        z.writestr("archive/version", b"3\n")
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(buf.getvalue())


def crafted(name, tensors, storage_bytes, **kw):
    out = io.BytesIO()
    Crafter(out, protocol=2).dump(collections.OrderedDict(tensors))
    write_zip(name, out.getvalue(), storage_bytes, **kw)


def malformed():
    four = struct.pack("<4f", 1, 2, 3, 4)
    s = Storage(torch.FloatStorage, "0", 4)
    # A well-formed crafted file, to show the crafting itself is sound.
    crafted("crafted-ok.pt", {"t": FakeTensor(s, 1, (3,), (1,))}, {"0": four})
    expected.append("crafted-ok.pt t [3] " + " ".join("%08x" % struct.unpack("<I", struct.pack("<f", v))[0]
                                                       for v in (2, 3, 4)))
    crafted("bad-size.pt", {"too_big": FakeTensor(s, 0, (5,), (1,))}, {"0": four})
    crafted("bad-offset.pt", {"shifted": FakeTensor(s, 3, (2,), (1,))}, {"0": four})
    crafted("bad-stride.pt", {"strided": FakeTensor(s, 0, (2, 2), (3, 1))}, {"0": four})
    crafted("bad-overflow.pt", {"huge": FakeTensor(s, 0, (2 ** 40, 2 ** 40), (1, 1))}, {"0": four})
    crafted("bad-negative-stride.pt", {"neg": FakeTensor(s, 3, (2,), (-1,))}, {"0": four})
    crafted("bad-rank.pt", {"rank": FakeTensor(s, 0, (2, 2), (1,))}, {"0": four})
    crafted("bad-missing-storage.pt", {"orphan": FakeTensor(s, 0, (4,), (1,))}, {"0": four}, drop=("0",))
    crafted("bad-short-storage.pt", {"short": FakeTensor(Storage(torch.FloatStorage, "0", 1 << 40), 0, (4,), (1,))},
            {"0": four})
    crafted("bad-big-endian.pt", {"t": FakeTensor(s, 0, (4,), (1,))}, {"0": four}, byteorder=b"big")
    out = io.BytesIO()
    Crafter(out, protocol=2).dump([1, 2, 3])
    write_zip("bad-not-a-dict.pt", out.getvalue())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/version", b"3\n")
    with open(os.path.join(OUT, "bad-no-data-pkl.pt"), "wb") as f:
        f.write(buf.getvalue())
    good = open(os.path.join(OUT, "dtypes.pt"), "rb").read()
    with open(os.path.join(OUT, "bad-truncated.pt"), "wb") as f:
        f.write(good[: len(good) * 3 // 5])
    torch.save(collections.OrderedDict(w=torch.ones(2)), os.path.join(OUT, "legacy.pt"),
               _use_new_zipfile_serialization=False)


def checkpoints():
    torch.manual_seed(1)
    net = Net()
    state = net.state_dict()
    wrong = collections.OrderedDict(state)
    wrong["features.0.weight"] = (wrong["features.0.weight"] * 100).to(torch.int32)
    save("int32.pt", wrong)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    net.features(torch.ones(1, 1, 4, 4)).sum().backward()
    opt.step()  # the optimizer's state now holds momentum tensors keyed by parameter index
    save("checkpoint.pt", {"model": net.state_dict(), "optimizer": opt.state_dict(), "epoch": 3})
    save("state-dict-entry.pt", {"state_dict": net.state_dict()})
    save("whole-model.pt", net)


def vgg_block(num_convs, in_channels, out_channels):
    layers = []
    for _ in range(num_convs):
        layers += [nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1), nn.ReLU()]
        in_channels = out_channels
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


def nin_block(in_channels, out_channels, kernel_size, strides, padding):
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, strides, padding), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU())


def nested():
    """d2l's VGG and NiN, shrunk: the same nesting of nn.Sequentials on a (1, 16, 16) input."""
    torch.manual_seed(3)
    vgg = nn.Sequential(vgg_block(1, 1, 4), vgg_block(2, 4, 8), nn.Flatten(),
                        nn.Linear(8 * 4 * 4, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 10))
    nin = nn.Sequential(nin_block(1, 8, 5, 1, 2), nn.MaxPool2d(3, stride=2),
                        nin_block(8, 12, 3, 1, 1), nn.MaxPool2d(3, stride=2), nn.Dropout(0.5),
                        nin_block(12, 10, 3, 1, 1), nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())
    for name, net in (("vgg", vgg), ("nin", nin)):
        net.eval()
        x = torch.rand(2, 1, 16, 16)
        with torch.no_grad():
            y = net(x)
        save(name + ".pt", net.state_dict())
        save(name + "-io.pt", collections.OrderedDict(input=x, output=y))


def main():
    os.makedirs(OUT, exist_ok=True)
    dtypes()
    views()
    sequential()
    evil()
    malformed()
    checkpoints()
    nested()
    with open(os.path.join(OUT, "expected.txt"), "w") as f:
        f.write("# file key [shape] float32 bits, row-major; made by tools/make_torch_fixtures.py\n")
        f.write("\n".join(expected) + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
