"""The mnist-mlp step in numpy (float32, OpenBLAS on one thread), driven from Node.

Usage: python3 numpy_peer.py DIR COMMANDS_FIFO REPLIES_FIFO

It prints "ready" on stdout once the data is loaded, then opens COMMANDS_FIFO for
reading and REPLIES_FIFO for writing, in that order (Node opens them in the same order).

DIR holds the digits and the initial weights as raw little-endian files written by
bench/peers/numpy.ts. Each line read from COMMANDS_FIFO is one command, answered by one
line on REPLIES_FIFO, so that Node times a command the way it times its own peers:

  reset                  back to the initial weights            -> ok
  train FIRST COUNT      COUNT steps from batch FIRST (mod 125)  -> ok
                         (numpy_cnn_peer.py: -> ok LOSS, the last step's loss)
  accuracy               test accuracy                          -> ok 0.9125
  weights                writes DIR/out_{w1,b1,w2,b2}.bin        -> ok
  info                   numpy and BLAS versions, as JSON       -> ok {...}
  quit
"""

import ctypes
import glob
import json
import os
import sys

import numpy as np

INPUTS, HIDDEN, CLASSES, BATCH = 784, 128, 10, 64
LR = np.float32(0.1)


def load(directory, name, dtype, shape):
    return np.fromfile(os.path.join(directory, name), dtype=dtype).reshape(shape)


def blas_info():
    """numpy's BLAS, and the kernel OpenBLAS chose for this CPU (when it tells)."""
    info = {"numpy": np.__version__}
    try:
        config = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        info["blas"] = f"{config.get('name')} {config.get('version')}"
    except Exception:  # noqa: BLE001 - informative only
        pass
    base = os.path.dirname(np.__file__)
    for path in glob.glob(os.path.join(base, "..", "numpy.libs", "*openblas*")) + glob.glob(
        os.path.join(base, "..", "scipy_openblas*", "lib", "*.so*")
    ):
        lib = ctypes.CDLL(path)
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                corename = getattr(lib, f"{prefix}_get_corename{suffix}", None)
                threads = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                if corename is not None:
                    corename.restype = ctypes.c_char_p
                    info["core"] = corename().decode()
                if threads is not None:
                    info["threads"] = threads()
                if "core" in info:
                    return info
    return info


def main():
    directory, commands_path, replies_path = sys.argv[1:4]
    counts = json.loads(open(os.path.join(directory, "counts.json")).read())
    n_train, n_test = counts["train"], counts["test"]
    train_x = load(directory, "train_x.bin", np.float32, (n_train, INPUTS))
    train_y = load(directory, "train_y.bin", np.int32, (n_train,))
    test_x = load(directory, "test_x.bin", np.float32, (n_test, INPUTS))
    test_y = load(directory, "test_y.bin", np.int32, (n_test,))
    # Weights as numpy code keeps them: x @ W with W [in, out].
    init = {
        "w1": load(directory, "init_w1.bin", np.float32, (HIDDEN, INPUTS)).T.copy(),
        "b1": load(directory, "init_b1.bin", np.float32, (HIDDEN,)).copy(),
        "w2": load(directory, "init_w2.bin", np.float32, (CLASSES, HIDDEN)).T.copy(),
        "b2": load(directory, "init_b2.bin", np.float32, (CLASSES,)).copy(),
    }
    batches = n_train // BATCH
    xs = [train_x[b * BATCH : (b + 1) * BATCH] for b in range(batches)]
    ys = [train_y[b * BATCH : (b + 1) * BATCH] for b in range(batches)]
    rows = np.arange(BATCH)
    p = {k: v.copy() for k, v in init.items()}

    def step(x, y):
        w1, b1, w2, b2 = p["w1"], p["b1"], p["w2"], p["b2"]
        z = x @ w1
        z += b1
        h = np.maximum(z, 0)
        logits = h @ w2
        logits += b2
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        loss = -np.log(probs[rows, y]).mean()
        dlogits = probs
        dlogits[rows, y] -= 1
        dlogits /= BATCH
        dw2 = h.T @ dlogits
        db2 = dlogits.sum(axis=0)
        dh = dlogits @ w2.T
        dh[z <= 0] = 0
        dw1 = x.T @ dh
        db1 = dh.sum(axis=0)
        w1 -= LR * dw1
        b1 -= LR * db1
        w2 -= LR * dw2
        b2 -= LR * db2
        return loss

    def accuracy():
        scores = np.maximum(test_x @ p["w1"] + p["b1"], 0) @ p["w2"] + p["b2"]
        return float((scores.argmax(axis=1) == test_y).mean())

    def write_weights():
        p["w1"].T.astype(np.float32).tofile(os.path.join(directory, "out_w1.bin"))
        p["b1"].tofile(os.path.join(directory, "out_b1.bin"))
        p["w2"].T.astype(np.float32).tofile(os.path.join(directory, "out_w2.bin"))
        p["b2"].tofile(os.path.join(directory, "out_b2.bin"))

    def train(first, count):
        for i in range(count):
            b = (first + i) % batches
            step(xs[b], ys[b])

    serve(
        commands_path,
        replies_path,
        reset=lambda: p.update({k: v.copy() for k, v in init.items()}),
        train=train,
        accuracy=accuracy,
        write_weights=write_weights,
    )


def serve(commands_path, replies_path, reset, train, accuracy, write_weights):
    """Says "ready", then answers the commands of the module docstring until "quit".

    numpy_cnn_peer.py serves its net through this too.
    """
    print("ready", flush=True)
    with open(commands_path, "r") as commands, open(replies_path, "w") as replies:

        def reply(text="ok"):
            replies.write(text + "\n")
            replies.flush()

        for line in commands:
            words = line.split()
            if not words:
                continue
            command = words[0]
            if command == "quit":
                break
            if command == "reset":
                reset()
                reply()
            elif command == "train":
                loss = train(int(words[1]), int(words[2]))
                reply("ok" if loss is None else f"ok {loss!r}")
            elif command == "accuracy":
                reply(f"ok {accuracy()!r}")
            elif command == "weights":
                write_weights()
                reply()
            elif command == "info":
                reply("ok " + json.dumps(blas_info()))
            else:
                reply(f"error unknown command {command!r}")


if __name__ == "__main__":
    main()
