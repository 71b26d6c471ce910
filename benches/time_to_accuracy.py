"""Time to accuracy in snnTorch on the inputs benches/time_to_accuracy.rs wrote: the same
initial weights, the same batches in the same order, the same optimiser, until the validation
accuracy reaches the same target (the Rust file's docs give the network and the protocol).

    python3 benches/time_to_accuracy.py OUT_DIR [--target ACCURACY] [--max-epochs N]

snnTorch 1.0's idiomatic network: ``nn.Linear`` + ``snn.RLeaky`` per layer (``all_to_all``
recurrence, ``reset_mechanism="zero"``, which detaches the reset), stepped one time step at a
time through both layers, ``nn.Linear`` readout at every step. sglab's recurrent layer has no
recurrent bias: RLeaky's is set to zero and frozen. The loss is the cross-entropy at every step
and every tensor's gradient is clipped to norm 1 on its own (burn's per-parameter norm
clipping). 2 threads; the clock counts the training steps only, as on the Rust side.
"""

import json
import sys
import time

import numpy as np
import torch

SLOPE = 2.0  # sglab's ∂fast-sigmoid γ/(1 + 2β|x|)² with γ = β = 1


def tensor(folder, name, shape):
    values = np.fromfile(f"{folder}/{name}.bin", dtype="<f4").reshape(shape)
    return torch.from_numpy(values.copy())


def dataset(folder, name, manifest):
    part = manifest[name]
    events = np.fromfile(f"{folder}/{name}_events.bin", dtype="<u4").reshape(-1, 3).astype(np.int64)
    labels = torch.from_numpy(np.fromfile(f"{folder}/{name}_labels.bin", dtype="<u4").astype(np.int64))
    assert events.shape[0] == part["events"] and labels.shape[0] == part["samples"], f"{name}: the files do not match the manifest"
    x = torch.zeros(manifest["steps"], part["samples"], manifest["channels"])
    x.index_put_((torch.from_numpy(events[:, 1]), torch.from_numpy(events[:, 0]), torch.from_numpy(events[:, 2])), torch.ones(events.shape[0]), accumulate=True)
    return x, labels


def model(folder, manifest):
    import snntorch as snn
    from snntorch import surrogate

    grad = surrogate.fast_sigmoid(slope=SLOPE)
    shapes = {t["name"]: t["shape"] for t in manifest["tensors"]}
    load = lambda name: tensor(folder, name, shapes[name])

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fcs = torch.nn.ModuleList()
            self.lifs = torch.nn.ModuleList()
            for l, n in enumerate(manifest["hidden"]):
                w_in = load(f"w_in_{l}")
                biased = f"bias_{l}" in shapes
                fc = torch.nn.Linear(w_in.shape[0], n, bias=biased)
                lif = snn.RLeaky(beta=manifest["alpha"], threshold=manifest["threshold"], linear_features=n, spike_grad=grad, reset_mechanism="zero")
                with torch.no_grad():
                    fc.weight.copy_(w_in.T)
                    if biased:
                        fc.bias.copy_(load(f"bias_{l}"))
                    lif.recurrent.weight.copy_(load(f"w_rec_{l}").T)
                    lif.recurrent.bias.zero_()
                lif.recurrent.bias.requires_grad_(False)
                self.fcs.append(fc)
                self.lifs.append(lif)
            readout = load("readout")
            self.readout = torch.nn.Linear(readout.shape[0], readout.shape[1])
            with torch.no_grad():
                self.readout.weight.copy_(readout.T)
                self.readout.bias.copy_(load("readout_bias"))

        def forward(self, x):
            state = [lif.init_rleaky() for lif in self.lifs]
            out = []
            for step in range(x.shape[0]):
                h = x[step]
                for l, (fc, lif) in enumerate(zip(self.fcs, self.lifs)):
                    spk, mem = lif(fc(h), *state[l])
                    state[l] = (spk, mem)
                    h = spk
                out.append(self.readout(h))
            return torch.stack(out)

    return Net()


def accuracy(net, x, y):
    correct = 0
    with torch.no_grad():
        for start in range(0, x.shape[1], 400):
            logits = net(x[:, start : start + 400]).mean(0)
            correct += (logits.argmax(1) == y[start : start + 400]).sum().item()
    return correct / x.shape[1]


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("--"):
        sys.exit("usage: python3 benches/time_to_accuracy.py OUT_DIR [--target ACCURACY] [--max-epochs N]")
    folder = args[0]
    manifest = json.load(open(f"{folder}/manifest.json"))
    target = float(args[args.index("--target") + 1]) if "--target" in args else manifest["target"]
    max_epochs = min(int(args[args.index("--max-epochs") + 1]), manifest["max_epochs"]) if "--max-epochs" in args else manifest["max_epochs"]
    torch.set_num_threads(2)
    import snntorch

    x_train, y_train = dataset(folder, "train", manifest)
    x_val, y_val = dataset(folder, "validation", manifest)
    n, batch = manifest["train"]["samples"], manifest["batch"]
    orders = np.fromfile(f"{folder}/order.bin", dtype="<u4").astype(np.int64).reshape(manifest["max_epochs"], n)
    net = model(folder, manifest)
    trainable = [p for p in net.parameters() if p.requires_grad]
    optim = torch.optim.Adam(trainable, lr=manifest["lr"], betas=(0.9, 0.999), eps=1e-8)
    train_s = eval_s = 0.0
    steps, reached, curve = 0, None, []
    for epoch, order in enumerate(orders[:max_epochs]):
        for start in range(0, n, batch):
            idx = torch.from_numpy(order[start : start + batch])
            xb, yb = x_train[:, idx], y_train[idx]
            t0 = time.perf_counter()
            optim.zero_grad(set_to_none=True)
            logits = net(xb)
            steps_, rows, classes = logits.shape
            loss = torch.nn.functional.cross_entropy(logits.reshape(steps_ * rows, classes), yb.repeat(steps_))
            loss.backward()
            for p in trainable:
                torch.nn.utils.clip_grad_norm_(p, manifest["clip_norm"])
            optim.step()
            train_s += time.perf_counter() - t0
            steps += 1
        t0 = time.perf_counter()
        acc = accuracy(net, x_val, y_val)
        eval_s += time.perf_counter() - t0
        curve.append(acc)
        print(f"snntorch epoch {epoch + 1} steps {steps} validation accuracy {acc:.4f} training {train_s:.1f} s", flush=True)
        if acc >= target:
            reached = epoch + 1
            break
    result = {
        "implementation": f"snnTorch {snntorch.__version__}, torch {torch.__version__}",
        "target": target,
        "reached_epoch": reached,
        "steps": steps,
        "training_s": train_s,
        "evaluation_s": eval_s,
        "final_validation_accuracy": curve[-1] if curve else None,
        "curve": curve,
    }
    json.dump(result, open(f"{folder}/snntorch.json", "w"), indent=2)
    print("RESULT", json.dumps(result))


if __name__ == "__main__":
    main()
