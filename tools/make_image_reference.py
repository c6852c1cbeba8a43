#!/usr/bin/python3
"""Writes the images and torchvision reference inputs that runtime's ImageInput tests read.

Needs Debian's python3-torchvision (0.14), python3-pil and the Fashion-MNIST test set
(/usr/share/datasets/fashion-mnist, Debian's dataset-fashion-mnist). Run from anywhere:

    /usr/bin/python3 tools/make_image_reference.py

Writes to runtime/src/test/resources/images/:
  fmnist-0.png .. fmnist-2.png  the first three Fashion-MNIST test images, 8-bit grayscale
  rgb.png                       a 41 x 29 RGB image of gradients and seeded noise
  reference.txt                 per case: file, channels, height, width, shorter side (0: resize to
                                height x width), normalised (0/1), then the C*H*W floats torchvision
                                makes: PIL convert("L" or "RGB"), ToTensor, Resize(antialias=False),
                                CenterCrop, Normalize(ImageNet's mean and std)
  logits.txt                    seeded logits, torch.softmax of them, and torch.topk(3)'s indices
"""

import gzip
import os

import numpy as np
import torch
from PIL import Image
from torchvision import transforms as T

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "runtime", "src", "test", "resources", "images")
FMNIST = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]

# file, channels, height, width, shorter side (0: straight to height x width), normalise
CASES = [
    ("fmnist-0.png", 1, 28, 28, 0, False),  # no resampling
    ("fmnist-1.png", 1, 20, 36, 0, False),  # shrink rows, stretch columns
    ("fmnist-2.png", 3, 24, 24, 0, True),  # gray to RGB, ImageNet normalisation
    ("rgb.png", 3, 16, 24, 0, True),
    ("rgb.png", 1, 29, 41, 0, False),  # PIL's luma, no resampling
    ("rgb.png", 3, 20, 20, 24, True),  # Resize(24) then CenterCrop(20)
    ("rgb.png", 3, 13, 13, 13, False),  # an odd crop offset
]


def images():
    with gzip.open(FMNIST, "rb") as f:
        data = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 28, 28)
    for i in range(3):
        Image.fromarray(data[i], mode="L").save(os.path.join(OUT, f"fmnist-{i}.png"))
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:29, 0:41]
    rgb = np.stack([x * 255 / 40, y * 255 / 28, (x + y) % 17 * 15], axis=-1)
    rgb = np.clip(rgb + rng.integers(-30, 31, size=rgb.shape), 0, 255).astype(np.uint8)
    Image.fromarray(rgb, mode="RGB").save(os.path.join(OUT, "rgb.png"))


def reference():
    lines = ["# file channels height width shorter normalised values; made by tools/make_image_reference.py"]
    for name, channels, height, width, shorter, normalise in CASES:
        img = Image.open(os.path.join(OUT, name)).convert("L" if channels == 1 else "RGB")
        steps = [T.ToTensor()]
        if shorter:
            steps += [T.Resize(shorter, antialias=False), T.CenterCrop((height, width))]
        else:
            steps += [T.Resize((height, width), antialias=False)]
        if normalise:
            steps += [T.Normalize(MEAN, STD)]
        x = T.Compose(steps)(img)
        assert tuple(x.shape) == (channels, height, width), x.shape
        values = " ".join("%.9g" % v for v in x.reshape(-1).tolist())
        lines.append(f"{name} {channels} {height} {width} {shorter} {int(normalise)} {values}")
    with open(os.path.join(OUT, "reference.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def logits():
    torch.manual_seed(5)
    z = torch.randn(10) * 4
    z[7] = 40.0  # large logits must not overflow
    p = torch.softmax(z, 0)
    top = torch.topk(z, 3).indices
    with open(os.path.join(OUT, "logits.txt"), "w") as f:
        f.write("# logits, softmax, top-3 indices; made by tools/make_image_reference.py\n")
        f.write(" ".join("%.9g" % v for v in z.tolist()) + "\n")
        f.write(" ".join("%.9g" % v for v in p.tolist()) + "\n")
        f.write(" ".join(str(i) for i in top.tolist()) + "\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    images()
    reference()
    logits()
    print("wrote", OUT)


if __name__ == "__main__":
    main()
