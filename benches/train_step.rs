//! Time of one training step of the reference configurations (`shared/bench/SPEC.md`, copied in
//! BENCHMARKS.md): forward over T steps, time-averaged cross-entropy, backward, one Adam update
//! (lr 1e-3), on 2 CPU threads, input already on the device.
//!
//! ```text
//! cargo bench --bench train_step --features ndarray                          # every configuration, backend and path
//! cargo bench --bench train_step --features ndarray -- slmnist flex fused    # any subset of configs, backends and paths
//! cargo bench --bench train_step --features ndarray -- --steps 9             # measured steps per case (default 5)
//! cargo bench --bench train_step --features ndarray -- scaling-T --truncation 50  # truncated BPTT
//! cargo bench --bench train_step --features ndarray -- slmnist flex --neuron alif     # ALIF layers
//! cargo bench --bench train_step --features ndarray -- slmnist flex --paper           # the paper's operating point
//! cargo bench --bench train_step --features ndarray -- slmnist flex --feed-forward    # layers without W_rec
//! cargo bench --bench train_step --features wgpu -- ofb-4k ofb-16k wgpu fused   # on a GPU
//! ```
//!
//! `ofb-4k` and `ofb-16k` are the open-neuromorphic framework benchmark's sizes (a linear
//! n → n projection into one LIF layer, B = 16, T = 500, n = 4096 and 16384): here one recurrent
//! LIF layer of n neurons with an n → n input projection and a 10-class readout, timed as a whole
//! training step (the published figures time forward and backward of a feed-forward layer).
//!
//! "fused" is the default execution of a network (`sglab::fused`: event-driven input
//! projection and the LIF recurrence in one kernel with hand-written BPTT); "reference" is the
//! per-step path under burn's autodiff.
//!
//! Every case runs in its own child process (this binary re-executed with `--case`), so that its
//! peak resident memory (VmHWM) is its own. A case reports the median, minimum and maximum
//! seconds per step over the measured steps after one warm-up step, the peak memory, and the
//! achieved GFLOP/s against the backend's own large-sgemm rate (the roofline of SPEC.md).
//!
//! Network: recurrent LIF layers, α = exp(−1/20), ϑ = 1, reset by subtraction, bias on, diagonal
//! masked, ∂fast-sigmoid with γ = β = 1, linear readout at every step. `--neuron alif` makes them
//! ALIF with the same LIF part, τ_a = T/2 and β_a = 1.8 (the protocol's); `--feed-forward`
//! drops W_rec from every layer (snnTorch's `Leaky`; with `ofb-4k` and `ofb-16k` the
//! framework benchmark's own network, a projection and a LIF layer). `--paper` uses the
//! paper's neuron instead (`sglab::train::protocol::neuron`: τ₀ = 0.1 and ϑ₀ = 0.01 per neuron
//! and learnable, no bias, reset detached, `multreset2`), whose layers fire at rates near ½ from
//! the first step: the operating point the studies train at, where the event-driven products
//! skip little.
//!
//! Input: latency code, every channel fires exactly once at a step drawn uniformly from the
//! first W = min(T, 67) steps, so ≈ 1/67 ≈ 1.5 % of channels are active per step in that window
//! (the code allows at most one spike per channel); labels uniform over classes; fixed seed.

use std::process::Command;
use std::time::Instant;

use rand::RngExt;
use sglab::burn::Tensor;
use sglab::burn::optim::{AdamConfig, GradientsParams};
use sglab::burn::tensor::{Device, TensorData};
use sglab::fused::Execution;
use sglab::network::{NetworkConfig, time_averaged_cross_entropy};
use sglab::neuron::{AlifConfig, LifConfig, NeuronConfig, Reset};
use sglab::surrogate::Surrogate;
use sglab::train::protocol::{self, PaperNeuron};

/// Steps over which one latency wave is spread: 1/67 ≈ 1.5 % of channels per step.
const LATENCY_WINDOW: usize = 67;
/// CPU threads of every case (SPEC.md).
const THREADS: &str = "2";

/// One row of SPEC.md's configuration table.
#[derive(Debug, Clone, Copy)]
struct Case {
    name: &'static str,
    batch: usize,
    steps: usize,
    inputs: usize,
    hidden: &'static [usize],
    classes: usize,
}

impl Case {
    /// Multiply-adds of the forward pass per sample and time step (SPEC.md), with or without
    /// the recurrent products.
    fn macs_per_sample_step(&self, recurrent_layers: bool) -> usize {
        let h = self.hidden;
        let recurrent: usize = if recurrent_layers { h.iter().map(|n| n * n).sum() } else { 0 };
        let between: usize = h.windows(2).map(|w| w[0] * w[1]).sum();
        self.inputs * h[0] + recurrent + between + h[h.len() - 1] * self.classes
    }

    /// Floating-point operations of one training step: 3 × forward, 2 FLOP per MAC.
    fn flops(&self, recurrent_layers: bool) -> f64 {
        6.0 * (self.batch * self.steps * self.macs_per_sample_step(recurrent_layers)) as f64
    }
}

fn cases(selected: &[String]) -> Vec<Case> {
    let slmnist = Case { name: "slmnist", batch: 256, steps: 100, inputs: 784, hidden: &[128, 128], classes: 10 };
    let shd = Case { name: "shd", batch: 128, steps: 250, inputs: 700, hidden: &[256, 256], classes: 20 };
    let mut all = vec![slmnist, shd];
    for t in [50, 100, 200, 400, 800] {
        all.push(Case { name: "scaling-T", batch: 64, steps: t, ..slmnist });
    }
    let ofb = Case { name: "ofb-4k", batch: 16, steps: 500, inputs: 4096, hidden: &[4096], classes: 10 };
    all.push(ofb);
    all.push(Case { name: "ofb-16k", inputs: 16384, hidden: &[16384], ..ofb });
    // The framework-benchmark sizes are for GPUs: run only when named.
    let wanted = |c: &Case| if selected.is_empty() { !c.name.starts_with("ofb") } else { selected.iter().any(|s| s == c.name) };
    all.into_iter().filter(wanted).collect()
}

/// Latency-coded input `[T, B, n_in]` and uniform labels.
fn latency_batch(case: &Case, seed: u64, device: &Device) -> (Tensor<3>, Vec<usize>) {
    let mut rng = sglab::rng::rng(seed, 0);
    let window = case.steps.min(LATENCY_WINDOW);
    let mut x = vec![0.0f64; case.steps * case.batch * case.inputs];
    for b in 0..case.batch {
        for c in 0..case.inputs {
            let t = rng.random_range(0..window);
            x[(t * case.batch + b) * case.inputs + c] = 1.0;
        }
    }
    let labels = (0..case.batch).map(|_| rng.random_range(0..case.classes)).collect();
    (Tensor::from_data(TensorData::new(x, [case.steps, case.batch, case.inputs]), device), labels)
}

/// Peak resident set size of this process in MiB (Linux `VmHWM`).
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 { xs[n / 2] } else { 0.5 * (xs[n / 2 - 1] + xs[n / 2]) }
}

/// The network's neuron: the model (`lif`, `alif`), whether at the paper's operating point,
/// and whether its layers are feed-forward (no W_rec).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Neuron {
    model: PaperNeuron,
    paper: bool,
    feed_forward: bool,
}

impl Neuron {
    fn config(&self, steps: usize) -> NeuronConfig {
        let config = match (self.paper, self.model) {
            (true, model) => protocol::neuron(model, Reset::MultReset2, steps),
            (false, PaperNeuron::Lif) => NeuronConfig::Lif(LifConfig::new()),
            (false, PaperNeuron::Alif) => NeuronConfig::Alif(
                AlifConfig::new().with_tau_adaptation(steps as f64 / 2.0).with_beta_adaptation(protocol::BETA_ADAPTATION),
            ),
        };
        let recurrent = !self.feed_forward;
        match config {
            NeuronConfig::Lif(c) => NeuronConfig::Lif(c.with_recurrent(recurrent)),
            NeuronConfig::Alif(c) => NeuronConfig::Alif(c.clone().with_lif(c.lif.with_recurrent(recurrent))),
            other => other,
        }
    }

    /// The name in the result lines: `lif`, `alif`, `lif-paper`, `alif-paper`, each with
    /// `-ff` for feed-forward layers.
    fn name(&self) -> String {
        format!("{}{}{}", self.model.name(), if self.paper { "-paper" } else { "" }, if self.feed_forward { "-ff" } else { "" })
    }

    fn parse(name: &str) -> Result<Neuron, Box<dyn std::error::Error>> {
        let (name, feed_forward) = match name.strip_suffix("-ff") {
            Some(name) => (name, true),
            None => (name, false),
        };
        let (model, paper) = match name.strip_suffix("-paper") {
            Some(model) => (model, true),
            None => (name, false),
        };
        let model = match model {
            "lif" => PaperNeuron::Lif,
            "alif" => PaperNeuron::Alif,
            other => return Err(format!("unknown neuron {other}; known: lif, alif").into()),
        };
        Ok(Neuron { model, paper, feed_forward })
    }
}

/// Seconds per training step of `case`, one warm-up step then `measured` steps, and the layers'
/// firing rates at initialisation.
fn time_training(case: &Case, neuron: Neuron, device: &Device, execution: Execution, truncation: usize, measured: usize) -> Result<(Vec<f64>, Vec<f64>), Box<dyn std::error::Error>> {
    let device = device.clone().autodiff();
    let mut net = NetworkConfig::new(case.inputs, case.hidden.to_vec(), case.classes)
        .with_neuron(neuron.config(case.steps))
        .with_surrogate(Surrogate::default())
        .init(&device)?
        .with_execution(execution)
        .with_truncation(truncation);
    let mut optim = AdamConfig::new().init();
    let (x, labels) = latency_batch(case, 1, &device);
    if net.uses_fused(&x) != (execution == Execution::Fused) {
        return Err(format!("{}: the {execution:?} path does not apply on this backend", case.name).into());
    }
    let rates = net.forward(x.clone())?.firing_rates();
    let mut times = Vec::with_capacity(measured);
    for step in 0..=measured {
        let start = Instant::now();
        let out = net.forward(x.clone())?;
        let loss = time_averaged_cross_entropy(out.logits, &labels)?;
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        net = optim.step(1e-3, net, grads);
        // Reading a value of the updated weights waits for every queued kernel.
        let check = net.readout_weight.val().sum().into_scalar::<f64>();
        let elapsed = start.elapsed().as_secs_f64();
        if !check.is_finite() {
            return Err(format!("{}: the weights diverged at step {step}", case.name).into());
        }
        if step > 0 {
            times.push(elapsed);
        }
    }
    Ok((times, rates))
}

/// Rate of a 1024³ matrix product in GFLOP/s (median of 5 after a warm-up).
fn sgemm_gflops(device: &Device) -> f64 {
    const N: usize = 1024;
    let data = |seed: u64| {
        let mut rng = sglab::rng::rng(seed, 0);
        let values: Vec<f64> = (0..N * N).map(|_| rng.random_range(-1.0..1.0)).collect();
        Tensor::<2>::from_data(TensorData::new(values, [N, N]), device)
    };
    let (a, b) = (data(1), data(2));
    let mut times = Vec::new();
    for i in 0..6 {
        let start = Instant::now();
        let _ = a.clone().matmul(b.clone()).slice([0..1, 0..1]).into_scalar::<f64>();
        if i > 0 {
            times.push(start.elapsed().as_secs_f64());
        }
    }
    2.0 * (N * N * N) as f64 / median(times) / 1e9
}

/// Runs one case in this process and prints one machine-readable result line.
fn run_case(backend: &str, path: &str, case: &Case, neuron: Neuron, truncation: usize, measured: usize) -> Result<(), Box<dyn std::error::Error>> {
    let device = sglab::device(backend)?;
    let execution = parse_path(path)?;
    let peak = sgemm_gflops(&device);
    let (times, rates) = time_training(case, neuron, &device, execution, truncation, measured)?;
    let (min, max) = times.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &t| (lo.min(t), hi.max(t)));
    let med = median(times);
    println!(
        "RESULT {backend} {path} {} {} {} {med:.4} {min:.4} {max:.4} {:.1} {peak:.1} {:.0} {}",
        case.name,
        case.batch,
        case.steps,
        case.flops(!neuron.feed_forward) / med / 1e9,
        peak_rss_mib(),
        rates.iter().map(|r| format!("{r:.4}")).collect::<Vec<_>>().join("/")
    );
    Ok(())
}

/// Slope of the least-squares line through (ln x, ln y).
fn loglog_slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let (xs, ys): (Vec<f64>, Vec<f64>) = points.iter().map(|&(x, y)| (x.ln(), y.ln())).unzip();
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    sxy / sxx
}

fn parse_path(path: &str) -> Result<Execution, Box<dyn std::error::Error>> {
    match path {
        "fused" => Ok(Execution::Fused),
        "reference" => Ok(Execution::Reference),
        other => Err(format!("unknown path {other}; known: fused, reference").into()),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // As the `sglab` binary: the fused kernels' buffers are kept for reuse (BENCHMARKS.md).
    sglab::fused::retain_freed_memory();
    // `cargo bench` appends `--bench`; it carries no meaning here.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    if args.first().map(String::as_str) == Some("--case") {
        let [backend, path, name, batch, steps, truncation, measured, neuron] = &args[1..] else {
            return Err("usage: --case BACKEND PATH NAME BATCH STEPS TRUNCATION MEASURED NEURON".into());
        };
        let (batch, steps): (usize, usize) = (batch.parse()?, steps.parse()?);
        let case = cases(&[name.clone()])
            .into_iter()
            .find(|c| c.batch == batch && c.steps == steps)
            .ok_or_else(|| format!("no configuration {name} with B = {batch}, T = {steps}"))?;
        return run_case(backend, path, &case, Neuron::parse(neuron)?, truncation.parse()?, measured.parse()?);
    }

    let mut measured = 5usize;
    let mut truncation = 0usize;
    let mut neuron = Neuron { model: PaperNeuron::Lif, paper: false, feed_forward: false };
    let mut selected = Vec::new();
    let mut iter = args.into_iter();
    while let Some(arg) = iter.next() {
        if arg == "--steps" {
            measured = iter.next().ok_or("--steps needs a number")?.parse()?;
            if measured == 0 {
                return Err("--steps must be at least 1".into());
            }
        } else if arg == "--truncation" {
            truncation = iter.next().ok_or("--truncation needs a number of steps")?.parse()?;
        } else if arg == "--neuron" {
            neuron.model = Neuron::parse(&iter.next().ok_or("--neuron needs lif or alif")?)?.model;
        } else if arg == "--paper" {
            neuron.paper = true;
        } else if arg == "--feed-forward" {
            neuron.feed_forward = true;
        } else {
            selected.push(arg);
        }
    }
    let known_backends = ["flex", "ndarray", "wgpu"];
    let mut backends: Vec<String> = selected.iter().filter(|s| known_backends.contains(&s.as_str())).cloned().collect();
    selected.retain(|s| !known_backends.contains(&s.as_str()));
    if backends.is_empty() {
        backends = vec!["flex".into(), "ndarray".into()];
    }
    let known_paths = ["fused", "reference"];
    let mut paths: Vec<String> = selected.iter().filter(|s| known_paths.contains(&s.as_str())).cloned().collect();
    selected.retain(|s| !known_paths.contains(&s.as_str()));
    if paths.is_empty() {
        paths = known_paths.iter().map(|p| p.to_string()).collect();
    }
    let cases = cases(&selected);
    if cases.is_empty() {
        return Err(format!("unknown configuration in {selected:?}; known: slmnist, scaling-T, shd, ofb-4k, ofb-16k; backends flex, ndarray, wgpu; paths fused, reference").into());
    }

    let exe = std::env::current_exe()?;
    println!(
        "{:<10} {:<8} {:<9} {:>4} {:>4} {:>10} {:>17} {:>8} {:>8} {:>7} {:>9}  {}",
        "config", "backend", "path", "B", "T", "s/step", "min–max", "GFLOP/s", "sgemm", "of peak", "peak MiB", "initial rates"
    );
    if truncation > 0 {
        println!("truncated BPTT, window {truncation} steps");
    }
    println!("neuron: {}", neuron.name());
    // (backend, path) → (T, median s/step) of the scaling-T rows, for the fitted exponent.
    let mut scaling: Vec<((String, String), Vec<(f64, f64)>)> = Vec::new();
    for case in &cases {
        for backend in &backends {
            for path in &paths {
                let output = Command::new(&exe)
                    .args(["--case", backend, path, case.name])
                    .args([case.batch, case.steps, truncation, measured].map(|v| v.to_string()))
                    .arg(neuron.name())
                    .env("RAYON_NUM_THREADS", THREADS)
                    .output()?;
                let stdout = String::from_utf8_lossy(&output.stdout);
                let Some(line) = stdout.lines().find_map(|l| l.strip_prefix("RESULT ")) else {
                    let stderr = String::from_utf8_lossy(&output.stderr);
                    println!("{:<10} {backend:<8} {path:<9} failed: {}", case.name, stderr.trim());
                    continue;
                };
                let f: Vec<&str> = line.split_whitespace().collect();
                let (achieved, peak): (f64, f64) = (f[8].parse()?, f[9].parse()?);
                if case.name == "scaling-T" {
                    let key = (backend.clone(), path.clone());
                    let point = (case.steps as f64, f[5].parse::<f64>()?);
                    match scaling.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, points)) => points.push(point),
                        None => scaling.push((key, vec![point])),
                    }
                }
                println!(
                    "{:<10} {:<8} {:<9} {:>4} {:>4} {:>10} {:>17} {:>8} {:>8} {:>6.0}% {:>9}  {}",
                    f[2],
                    f[0],
                    f[1],
                    f[3],
                    f[4],
                    f[5],
                    format!("{}–{}", f[6], f[7]),
                    f[8],
                    f[9],
                    100.0 * achieved / peak,
                    f[10],
                    f[11]
                );
            }
        }
    }
    for ((backend, path), points) in scaling.iter().filter(|(_, p)| p.len() >= 2) {
        println!("scaling-T {backend} {path}: time ∝ T^{:.3} (least squares on log–log, T = {:?})", loglog_slope(points), points.iter().map(|p| p.0).collect::<Vec<_>>());
    }
    Ok(())
}
