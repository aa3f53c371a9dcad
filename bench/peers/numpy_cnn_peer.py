"""The mnist-cnn step in numpy (float32, OpenBLAS on one thread), driven from Node.

Usage: python3 numpy_cnn_peer.py DIR COMMANDS_FIFO REPLIES_FIFO

The same protocol as numpy_peer.py (whose serve() answers the commands), for the net of
bench/peers/cnn.ts: conv 5x5 (8, pad 2), ReLU, max-pool 2, conv 5x5 (16, pad 2), ReLU,
max-pool 3, fc 256 -> 10, softmax cross-entropy, SGD, batches of 32.

Each convolution is im2col + one GEMM, as a numpy user writes it: the input padded, its
5x5 windows copied into rows (sliding_window_view + reshape), the rows times the weight
matrix. Activations are kept channels last ([N, H, W, C]) so that a GEMM's output is the
next layer's input without a transpose; the weights are kept in PyTorch's layout (a conv
weight [out, in, 5, 5] is already the [out, in * 25] matrix the rows meet), except the fc
weight, whose inputs are reordered once to the channels-last flatten. The backward of the
second conv's input is col2im: 25 strided adds. Max-pools are reshapes: the 2x2 windows
tile the 28x28 map, the 3x3 windows the top-left 12x12 of the 14x14 one (the rest falls
out, as in the other libraries). Each window's elements are brought together on the last
axis and argmax picks its first maximum, where the backward sends the gradient (as
PyTorch, ConvNetJS and the suite's float64 reference do). Sending it to every element
equal to the max (a == max) would be a different step: a 5x5 window over a flat patch of
a digit gives its neighbour exactly the same sum, so ties above 0 occur (47 in the first
batch), and that version's first update of the first conv was 3% off.

DIR holds counts.json (the digits' counts and the learning rate), the digits (train_x.bin, [count, 784] = [count, 1, 28, 28]) and the initial
weights init_{conv1w,conv1b,conv2w,conv2b,fcw,fcb}.bin in PyTorch's layout; "weights"
writes out_<name>.bin in the same layout.
"""

import json
import os
import sys

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from numpy_peer import load, serve

SIDE, K, PAD = 28, 5, 2
C1, C2, CLASSES, BATCH = 8, 16, 10, 32
S1, S2 = 14, 4
FLAT = C2 * S2 * S2
NAMES = ("conv1w", "conv1b", "conv2w", "conv2b", "fcw", "fcb")


def fc_to_channels_last(w):
    """[10, 256] over (c, y, x) -> over (y, x, c)."""
    return w.reshape(CLASSES, C2, S2, S2).transpose(0, 2, 3, 1).reshape(CLASSES, FLAT).copy()


def fc_from_channels_last(w):
    return w.reshape(CLASSES, S2, S2, C2).transpose(0, 3, 1, 2).reshape(CLASSES, FLAT).copy()


def im2col(x):
    """[N, H, W, C] -> [N*H*W, C*25]: each output position's padded 5x5 window, (c, ky, kx) order."""
    n, h, w, c = x.shape
    xp = np.pad(x, ((0, 0), (PAD, PAD), (PAD, PAD), (0, 0)))
    return sliding_window_view(xp, (K, K), axis=(1, 2)).reshape(n * h * w, c * K * K)


def col2im(dcols, n, h, w, c):
    """The adjoint of im2col: [N*H*W, C*25] -> [N, H, W, C]."""
    d = dcols.reshape(n, h, w, c, K, K)
    dxp = np.zeros((n, h + 2 * PAD, w + 2 * PAD, c), dtype=np.float32)
    for ky in range(K):
        for kx in range(K):
            dxp[:, ky : ky + h, kx : kx + w, :] += d[:, :, :, :, ky, kx]
    return dxp[:, PAD : PAD + h, PAD : PAD + w, :]


def pool(a, k):
    """Max over k x k windows, stride k, of [N, S*k, S*k, C]: [N, S, S, C], and each max's index in its window."""
    n, side, _, c = a.shape
    s = side // k
    windows = a.reshape(n, s, k, s, k, c).transpose(0, 1, 3, 5, 2, 4).reshape(n, s, s, c, k * k)
    at = windows.argmax(axis=-1)[..., None]
    return np.take_along_axis(windows, at, axis=-1)[..., 0], at


def pool_backward(dh, at, k):
    """The gradient of pool() at its input: dh at each window's first maximum, 0 elsewhere."""
    n, s, _, c = dh.shape
    d = np.zeros((n, s, s, c, k * k), dtype=np.float32)
    np.put_along_axis(d, at, dh[..., None], axis=-1)
    return d.reshape(n, s, s, c, k, k).transpose(0, 1, 4, 2, 5, 3).reshape(n, s * k, s * k, c)


def main():
    directory, commands_path, replies_path = sys.argv[1:4]
    counts = json.loads(open(os.path.join(directory, "counts.json")).read())
    n_train, n_test = counts["train"], counts["test"]
    lr = np.float32(counts["lr"])
    # [count, 1, 28, 28] is [count, 28, 28, 1]: one channel.
    train_x = load(directory, "train_x.bin", np.float32, (n_train, SIDE, SIDE, 1))
    train_y = load(directory, "train_y.bin", np.int32, (n_train,))
    test_x = load(directory, "test_x.bin", np.float32, (n_test, SIDE, SIDE, 1))
    test_y = load(directory, "test_y.bin", np.int32, (n_test,))
    init = {
        "w1": load(directory, "init_conv1w.bin", np.float32, (C1, 1 * K * K)).copy(),
        "b1": load(directory, "init_conv1b.bin", np.float32, (C1,)).copy(),
        "w2": load(directory, "init_conv2w.bin", np.float32, (C2, C1 * K * K)).copy(),
        "b2": load(directory, "init_conv2b.bin", np.float32, (C2,)).copy(),
        "w3": fc_to_channels_last(load(directory, "init_fcw.bin", np.float32, (CLASSES, FLAT))),
        "b3": load(directory, "init_fcb.bin", np.float32, (CLASSES,)).copy(),
    }
    batches = n_train // BATCH
    xs = [train_x[b * BATCH : (b + 1) * BATCH] for b in range(batches)]
    ys = [train_y[b * BATCH : (b + 1) * BATCH] for b in range(batches)]
    p = {k: v.copy() for k, v in init.items()}

    def forward(x):
        n = x.shape[0]
        cols1 = im2col(x)
        z1 = cols1 @ p["w1"].T
        z1 += p["b1"]
        h1, at1 = pool(np.maximum(z1, 0).reshape(n, SIDE, SIDE, C1), 2)
        cols2 = im2col(h1)
        z2 = cols2 @ p["w2"].T
        z2 += p["b2"]
        h2, at2 = pool(np.maximum(z2, 0).reshape(n, S1, S1, C2)[:, : 3 * S2, : 3 * S2, :], 3)
        f = h2.reshape(n, FLAT)
        logits = f @ p["w3"].T
        logits += p["b3"]
        return logits, (cols1, z1, at1, cols2, z2, at2, f)

    def step(x, y):
        n = x.shape[0]
        logits, (cols1, z1, at1, cols2, z2, at2, f) = forward(x)
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        rows = np.arange(n)
        loss = -np.log(probs[rows, y]).mean()
        dlogits = probs
        dlogits[rows, y] -= 1
        dlogits /= n
        dw3 = dlogits.T @ f
        db3 = dlogits.sum(axis=0)
        df = (dlogits @ p["w3"]).reshape(n, S2, S2, C2)
        # Pool 2 backward, into the 14x14 map (its last 2 rows and columns get nothing).
        da2 = np.zeros((n, S1, S1, C2), dtype=np.float32)
        da2[:, : 3 * S2, : 3 * S2, :] = pool_backward(df, at2, 3)
        dz2 = da2.reshape(n * S1 * S1, C2)
        dz2 *= z2 > 0
        dw2 = dz2.T @ cols2
        db2 = dz2.sum(axis=0)
        dh1 = col2im(dz2 @ p["w2"], n, S1, S1, C1)
        dz1 = pool_backward(dh1, at1, 2).reshape(n * SIDE * SIDE, C1)
        dz1 *= z1 > 0
        dw1 = dz1.T @ cols1
        db1 = dz1.sum(axis=0)
        for key, grad in (("w1", dw1), ("b1", db1), ("w2", dw2), ("b2", db2), ("w3", dw3), ("b3", db3)):
            p[key] -= lr * grad
        return loss

    def train(first, count):
        """COUNT steps from batch FIRST; the last one's loss (at the weights before it)."""
        loss = None
        for i in range(count):
            b = (first + i) % batches
            loss = step(xs[b], ys[b])
        return None if loss is None else float(loss)

    def accuracy():
        correct = 0
        for start in range(0, n_test, 500):
            logits, _ = forward(test_x[start : start + 500])
            correct += int((logits.argmax(axis=1) == test_y[start : start + 500]).sum())
        return correct / n_test

    def write_weights():
        out = {
            "conv1w": p["w1"],
            "conv1b": p["b1"],
            "conv2w": p["w2"],
            "conv2b": p["b2"],
            "fcw": fc_from_channels_last(p["w3"]),
            "fcb": p["b3"],
        }
        for name in NAMES:
            out[name].astype(np.float32).tofile(os.path.join(directory, f"out_{name}.bin"))

    serve(
        commands_path,
        replies_path,
        reset=lambda: p.update({k: v.copy() for k, v in init.items()}),
        train=train,
        accuracy=accuracy,
        write_weights=write_weights,
    )


if __name__ == "__main__":
    main()
