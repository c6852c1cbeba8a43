"""Graph rows (Stride's table syntax) of torchvision's resnet18 and mobilenet_v2, under torchvision's own
module paths, for run.sh: `graph_rows.py resnet18|mobilenet_v2` prints one row a line."""
import sys
def conv(path, oc, k, s, p, g, bias, shape, src=None):
    c, h, w = shape
    oh = (h + 2 * p - k) // s + 1; ow = (w + 2 * p - k) // s + 1
    row = f"{path} Conv2d {oc} k={k}x{k} s={s}x{s} p={p},{p},{p},{p} d=1x1 g={g} {'bias' if bias else 'nobias'}"
    return row + (f" <- {src}" if src else "") + f" -> [{oc}, {oh}, {ow}]", (oc, oh, ow)
def simple(path, kind, shape, src=None):
    return f"{path} {kind}" + (f" <- {src}" if src else "") + " -> [" + ", ".join(map(str, shape)) + "]"
BN = "BatchNorm eps=1.0E-5"
rows = []
net = sys.argv[1]
if net == "resnet18":
    r, s = conv("conv1", 64, 7, 2, 3, 1, False, (3, 224, 224)); rows += [r, simple("bn1", BN, s), simple("relu", "ReLU", s)]
    s = (64, 56, 56); rows.append(simple("maxpool", "MaxPool k=3x3 s=2x2 p=1,1,1,1", s)); prev = "maxpool"
    for L, ch in enumerate([64, 128, 256, 512], 1):
        for b in range(2):
            p = f"layer{L}.{b}"; stride = 2 if (L > 1 and b == 0) else 1; ins = s
            r, s = conv(p + ".conv1", ch, 3, stride, 1, 1, False, ins, prev); rows += [r, simple(p + ".bn1", BN, s), simple(p + ".relu1", "ReLU", s)]
            r, s = conv(p + ".conv2", ch, 3, 1, 1, 1, False, s); rows += [r, simple(p + ".bn2", BN, s)]
            short = prev
            if stride == 2:
                r, _ = conv(p + ".downsample.0", ch, 1, 2, 0, 1, False, ins, prev); rows += [r, simple(p + ".downsample.1", BN, s)]
                short = p + ".downsample.1"
            rows += [simple(p + ".add", "Add", s, f"{p}.bn2, {short}"), simple(p + ".relu2", "ReLU", s)]
            prev = p + ".relu2"
    rows += [simple("avgpool", "GlobalAvgPool", (512, 1, 1)), simple("flatten", "Flatten", (512,)), "fc Linear 1000 bias -> [1000]"]
else:
    r, s = conv("features.0.0", 32, 3, 2, 1, 1, False, (3, 224, 224)); rows += [r, simple("features.0.1", BN, s), simple("features.0.2", "ReLU6", s)]
    prev = "features.0.2"; cin = 32; n = 1
    for t, c, reps, st in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
        for i in range(reps):
            stride = st if i == 0 else 1; p = f"features.{n}.conv"; hid = cin * t; ins = s; j = 0
            if t != 1:
                r, s = conv(f"{p}.0.0", hid, 1, 1, 0, 1, False, s, prev); rows += [r, simple(f"{p}.0.1", BN, s), simple(f"{p}.0.2", "ReLU6", s)]; j = 1
                r, s = conv(f"{p}.1.0", hid, 3, stride, 1, hid, False, s)
            else:
                r, s = conv(f"{p}.0.0", hid, 3, stride, 1, hid, False, s, prev)
            rows += [r, simple(f"{p}.{j}.1", BN, s), simple(f"{p}.{j}.2", "ReLU6", s)]
            r, s = conv(f"{p}.{j + 1}", c, 1, 1, 0, 1, False, s); rows += [r, simple(f"{p}.{j + 2}", BN, s)]
            last = f"{p}.{j + 2}"
            if stride == 1 and cin == c:
                rows.append(simple(f"features.{n}.add", "Add", s, f"{last}, {prev}")); last = f"features.{n}.add"
            prev = last; cin = c; n += 1
    r, s = conv("features.18.0", 1280, 1, 1, 0, 1, False, s); rows += [r, simple("features.18.1", BN, s), simple("features.18.2", "ReLU6", s)]
    rows += [simple("pool", "GlobalAvgPool", (1280, 1, 1)), simple("flatten", "Flatten", (1280,)), "classifier.0 Dropout p=0.2 -> [1280]", "classifier.1 Linear 1000 bias -> [1000]"]
print("\n".join(rows))
