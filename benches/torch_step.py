"""One training step of the reference configurations in PyTorch, for comparison with sglab.

The same step as benches/train_step.rs (shared/bench/SPEC.md, copied in BENCHMARKS.md): two
recurrent LIF layers (α = exp(−1/20), ϑ = 1, reset by subtraction, bias, dense recurrent
matrix), ∂fast-sigmoid surrogate, linear readout at every step, cross-entropy of the
time-averaged logits, backward, one Adam step (lr 1e-3), 2 CPU threads, the same latency-coded
input (every channel fires once in the first min(T, 67) steps). Median of 5 steps after one
warm-up; each case runs in its own process, whose peak resident memory (VmHWM) is reported.

Two implementations:

* snntorch — the library's idiomatic loop: ``nn.Linear`` + ``snn.RLeaky`` per layer, stepped
  one time step at a time through both layers (snnTorch 1.0 tutorials' pattern).
* hand-tuned — plain PyTorch written for speed: the input projection of all T steps as one
  matrix product, the recurrence one layer at a time with ``addmm`` and a custom autograd
  spike function, each layer's output stacked once and projected into the next layer in one
  product, the readout in one product.

    python benches/torch_step.py                     # every configuration, both implementations
    python benches/torch_step.py slmnist hand-tuned  # any subset
    python benches/torch_step.py ofb-4k ofb-16k hand-tuned cuda   # on an NVIDIA GPU
    python benches/torch_step.py slmnist shd --paper  # the paper's operating point

``--paper`` uses the neuron of train_step.rs's ``--paper`` (the paper's): per-neuron decay
α₀ = exp(−1/0.1) and threshold ϑ₀ = 0.01, both learnable, no bias, the reset
v_t = α v_{t−1} (1 − z_{t−1}) + I_t (``multreset2``) with z_{t−1} detached in the reset; its layers
fire at rates near ½ from the first step. snnTorch: ``RLeaky`` with per-neuron ``beta`` and
``threshold``, ``learn_beta``, ``learn_threshold``, ``reset_mechanism="zero"`` and
``nn.Linear(bias=False)``; snnTorch detaches its reset signal, as the paper's code does, but its
"zero" reset multiplies the whole new value, (α v_{t−1} + I_t)(1 − z_{t−1}) (``multreset1``), the
nearest reset it offers; the work per step is the same.

``ofb-4k`` and ``ofb-16k`` (one recurrent layer of 4096 or 16384 neurons, B = 16, T = 500) are
the sizes of the open-neuromorphic framework benchmark, for GPUs; they run only when named.
With ``cuda`` the step runs on the GPU and the clock stops after ``torch.cuda.synchronize()``.
"""

import math
import os
import statistics
import subprocess
import sys
import time

# (batch, steps, inputs, hidden sizes, classes)
CONFIGS = {
    "slmnist": [(256, 100, 784, (128, 128), 10)],
    "shd": [(128, 250, 700, (256, 256), 20)],
    "scaling-T": [(64, t, 784, (128, 128), 10) for t in (50, 100, 200, 400, 800)],
    "ofb-4k": [(16, 500, 4096, (4096,), 10)],
    "ofb-16k": [(16, 500, 16384, (16384,), 10)],
}
GPU_ONLY = ("ofb-4k", "ofb-16k")
DEVICES = ("cpu", "cuda")
IMPLEMENTATIONS = ("snntorch", "hand-tuned")
LATENCY_WINDOW = 67
ALPHA = math.exp(-1.0 / 20.0)
SLOPE = 2.0  # sglab's ∂fast-sigmoid γ/(1 + 2β|x|)² with γ = β = 1 is snnTorch's slope 2
PAPER_ALPHA = math.exp(-1.0 / 0.1)
PAPER_THRESHOLD = 0.01


def peak_rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def latency_batch(torch, batch, steps, inputs, classes):
    g = torch.Generator().manual_seed(1)
    window = min(steps, LATENCY_WINDOW)
    t = torch.randint(0, window, (batch, inputs), generator=g)
    x = torch.zeros(steps, batch, inputs)
    x.scatter_(0, t.unsqueeze(0), 1.0)
    y = torch.randint(0, classes, (batch,), generator=g)
    return x, y


def snntorch_model(torch, inputs, hidden, classes, paper):
    h1, h2 = hidden
    import snntorch as snn
    from snntorch import surrogate

    grad = surrogate.fast_sigmoid(slope=SLOPE)

    def lif(n):
        if paper:
            return snn.RLeaky(
                beta=torch.full((n,), PAPER_ALPHA),
                threshold=torch.full((n,), PAPER_THRESHOLD),
                learn_beta=True,
                learn_threshold=True,
                linear_features=n,
                spike_grad=grad,
                reset_mechanism="zero",
            )
        return snn.RLeaky(beta=ALPHA, linear_features=n, spike_grad=grad, reset_mechanism="subtract")

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(inputs, h1, bias=not paper)
            self.lif1 = lif(h1)
            self.fc2 = torch.nn.Linear(h1, h2, bias=not paper)
            self.lif2 = lif(h2)
            self.fc3 = torch.nn.Linear(h2, classes)

        def forward(self, x):
            spk1, mem1 = self.lif1.init_rleaky()
            spk2, mem2 = self.lif2.init_rleaky()
            out = []
            for step in range(x.shape[0]):
                spk1, mem1 = self.lif1(self.fc1(x[step]), spk1, mem1)
                spk2, mem2 = self.lif2(self.fc2(spk1), spk2, mem2)
                out.append(self.fc3(spk2))
            return torch.stack(out)

    return Net()


def hand_tuned_model(torch, inputs, hidden, classes, paper):
    class Spike(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return (x > 0).to(x.dtype)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad / (1.0 + SLOPE * x.abs()) ** 2

    spike = Spike.apply

    class Layer(torch.nn.Module):
        def __init__(self, n_in, n):
            super().__init__()
            self.w_in = torch.nn.Parameter(torch.empty(n_in, n).uniform_(-1, 1) * math.sqrt(6 / (n_in + n)))
            self.w_rec = torch.nn.Parameter(torch.empty(n, n).uniform_(-1, 1) * math.sqrt(3 / n))
            self.bias = torch.nn.Parameter(torch.zeros(n))

        def forward(self, x):
            steps, batch, n_in = x.shape
            current = torch.addmm(self.bias, x.reshape(steps * batch, n_in), self.w_in).view(steps, batch, -1)
            # unbind, not current[step]: the backward of one select per step would be O(T²)
            currents = current.unbind(0)
            v = currents[0]
            z = spike(v - 1.0)
            out = [z]
            for step in range(1, steps):
                v = torch.addmm(currents[step], z, self.w_rec).add_(v, alpha=ALPHA) - z
                z = spike(v - 1.0)
                out.append(z)
            return torch.stack(out)

    class PaperLayer(torch.nn.Module):
        """The paper's neuron: learnable per-neuron α and ϑ, no bias, multreset2 with the reset
        detached."""

        def __init__(self, n_in, n):
            super().__init__()
            self.w_in = torch.nn.Parameter(torch.empty(n_in, n).uniform_(-1, 1) * math.sqrt(6 / (n_in + n)))
            self.w_rec = torch.nn.Parameter(torch.empty(n, n).uniform_(-1, 1) * math.sqrt(3 / n))
            self.alpha = torch.nn.Parameter(torch.full((n,), PAPER_ALPHA))
            self.threshold = torch.nn.Parameter(torch.full((n,), PAPER_THRESHOLD))

        def forward(self, x):
            steps, batch, n_in = x.shape
            currents = torch.mm(x.reshape(steps * batch, n_in), self.w_in).view(steps, batch, -1).unbind(0)
            v = currents[0]
            z = spike(v - self.threshold)
            out = [z]
            for step in range(1, steps):
                v = torch.addmm(currents[step], z, self.w_rec) + self.alpha * v * (1.0 - z.detach())
                z = spike(v - self.threshold)
                out.append(z)
            return torch.stack(out)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            sizes = (inputs, *hidden)
            kind = PaperLayer if paper else Layer
            self.layers = torch.nn.Sequential(*(kind(a, b) for a, b in zip(sizes, sizes[1:])))
            self.readout = torch.nn.Linear(hidden[-1], classes)

        def forward(self, x):
            return self.readout(self.layers(x))

    return Net()


def run_case(impl, device, batch, steps, inputs, hidden, classes, measured, paper):
    import torch

    torch.set_num_threads(2)
    torch.manual_seed(0)
    build = snntorch_model if impl == "snntorch" else hand_tuned_model
    net = build(torch, inputs, hidden, classes, paper).to(device)
    optim = torch.optim.Adam(net.parameters(), lr=1e-3)
    x, y = (t.to(device) for t in latency_batch(torch, batch, steps, inputs, classes))
    rates = layer_rates(torch, net, x) if impl == "hand-tuned" else []
    times = []
    for step in range(measured + 1):
        start = time.perf_counter()
        optim.zero_grad(set_to_none=True)
        logits = net(x)
        loss = torch.nn.functional.cross_entropy(logits.mean(0), y)
        loss.backward()
        optim.step()
        if device == "cuda":
            torch.cuda.synchronize()
        elapsed = time.perf_counter() - start
        if step > 0:
            times.append(elapsed)
    # ≈ 6·B·T·MACs FLOP (SPEC.md)
    sizes = (inputs, *hidden)
    macs = sum(a * b + b * b for a, b in zip(sizes, sizes[1:])) + hidden[-1] * classes
    flops = 6.0 * batch * steps * macs
    med = statistics.median(times)
    rates = "/".join(f"{r:.3f}" for r in rates) or "-"
    print(f"RESULT {impl} {batch} {steps} {med:.4f} {min(times):.4f} {max(times):.4f} {flops / med / 1e9:.1f} {peak_rss_mib():.0f} {rates}")


def layer_rates(torch, net, x):
    """The hand-tuned network's layers' firing rates on `x` before any update."""
    rates = []
    with torch.no_grad():
        h = x
        for layer in net.layers:
            h = layer(h)
            rates.append(h.mean().item())
    return rates


def main():
    args = sys.argv[1:]
    if args[:1] == ["--case"]:
        impl, device, batch, steps, inputs, hidden, classes, measured, paper = args[1:]
        hidden = tuple(map(int, hidden.split(",")))
        run_case(impl, device, int(batch), int(steps), int(inputs), hidden, int(classes), int(measured), paper == "paper")
        return
    import torch

    configs = [a for a in args if a in CONFIGS] or [c for c in CONFIGS if c not in GPU_ONLY]
    impls = [a for a in args if a in IMPLEMENTATIONS] or list(IMPLEMENTATIONS)
    device = "cuda" if "cuda" in args else "cpu"
    paper = "--paper" in args
    if "snntorch" in impls:
        import snntorch

        print(f"snntorch {snntorch.__version__}")
    gpu = f", {torch.cuda.get_device_name()}" if device == "cuda" else ""
    print(f"torch {torch.__version__}, 2 threads{gpu}{', the paper' + chr(39) + 's neuron' if paper else ''}")
    print(f"{'config':<10} {'impl':<11} {'B':>4} {'T':>4} {'s/step':>8} {'min–max':>15} {'GFLOP/s':>8} {'peak MiB':>9}  initial rates")
    env = dict(os.environ, OMP_NUM_THREADS="2", MKL_NUM_THREADS="2")
    for name in configs:
        for dims in CONFIGS[name]:
            for impl in impls:
                batch, steps, inputs, hidden, classes = dims
                cmd = [sys.executable, __file__, "--case", impl, device, str(batch), str(steps), str(inputs), ",".join(map(str, hidden)), str(classes), "5", "paper" if paper else "spec"]
                out = subprocess.run(cmd, capture_output=True, text=True, env=env)
                line = next((l[7:] for l in out.stdout.splitlines() if l.startswith("RESULT ")), None)
                if line is None:
                    print(f"{name:<10} {impl:<11} failed: {out.stderr.strip()[-400:]}")
                    continue
                f = line.split()
                print(f"{name:<10} {f[0]:<11} {f[1]:>4} {f[2]:>4} {f[3]:>8} {f[4] + '–' + f[5]:>15} {f[6]:>8} {f[7]:>9}  {f[8]}")


if __name__ == "__main__":
    main()
