//! Neurons with escape noise: the spike is Bernoulli(f(x)), and the matched surrogate f′ is the
//! derivative of the expected spike — checked by Monte Carlo against the autodiff backward.

mod common;

use common::values;
use sglab::burn::Tensor;
use sglab::burn::tensor::TensorData;
use sglab::spike::escape::{EscapeBackward, EscapeNoise, EscapeSpike};

const N: usize = 200_000;

fn spikes(op: &EscapeSpike, x: f64, device: &sglab::burn::tensor::Device) -> f64 {
    let t = Tensor::<1>::from_data(TensorData::new(vec![x; N], [N]), device);
    values(op.apply(t)).iter().sum::<f64>() / N as f64
}

/// For sigmoid (β = 10) and exponential (p₀ = 0.2, Δu = 0.25) escape noise, at several x:
/// the spike rate is f(x) within 4 standard errors, the Monte-Carlo derivative of E[S] —
/// central differences with common random numbers (two ops with one seed draw the same ξ) — is
/// f′(x) within 4 standard errors plus the O(h²) difference error, and the autodiff backward of
/// the op is exactly f′(x).
#[test]
fn the_matched_surrogate_is_the_derivative_of_the_expected_spike() {
    let device = sglab::device("flex").unwrap();
    let ad = device.clone().autodiff();
    let h = 0.01;
    for noise in [EscapeNoise::Sigmoid { beta: 10.0 }, EscapeNoise::Exponential { p0: 0.2, delta_u: 0.25 }] {
        for (k, x) in [-0.3, -0.1, 0.0, 0.05, 0.2].into_iter().enumerate() {
            let f = noise.probability(x).min(1.0);
            let rate = spikes(&EscapeSpike::new(noise, EscapeBackward::Matched, k as u64).unwrap(), x, &device);
            let se = (f * (1.0 - f) / N as f64).sqrt();
            assert!((rate - f).abs() < 4.0 * se + 1e-12, "{noise:?} x = {x}: rate {rate} vs f = {f}");

            let up = spikes(&EscapeSpike::new(noise, EscapeBackward::Matched, 100 + k as u64).unwrap(), x + h, &device);
            let down = spikes(&EscapeSpike::new(noise, EscapeBackward::Matched, 100 + k as u64).unwrap(), x - h, &device);
            let mc = (up - down) / (2.0 * h);
            let p = (noise.probability(x + h).min(1.0) - noise.probability(x - h).min(1.0)).abs();
            let mc_se = (p * (1.0 - p) / N as f64).sqrt() / (2.0 * h);
            let exact = noise.derivative(x);
            // Central-difference error h²/6·f‴ bounded with f‴ from second differences of f′.
            let f3 = (noise.derivative(x + h) - 2.0 * exact + noise.derivative(x - h)).abs() / (h * h);
            assert!((mc - exact).abs() < 4.0 * mc_se + h * h / 6.0 * f3 + 1e-9, "{noise:?} x = {x}: MC dE[S]/dx = {mc} ± {mc_se} vs f′ = {exact}");

            let op = EscapeSpike::new(noise, EscapeBackward::Matched, 7).unwrap();
            let xt = Tensor::<1>::from_data(TensorData::new(vec![x; 4], [4]), &ad).require_grad();
            let grads = op.apply(xt.clone()).sum().backward();
            for g in values(xt.grad(&grads).unwrap()) {
                assert!((g - exact).abs() < 1e-5 * exact.max(1.0), "{noise:?} x = {x}: backward {g} vs f′ {exact}");
            }
        }
    }
}

/// The sigmoid's f′ is the built-in ∂sigmoid with γ = β/4 and sharpness β/4.
#[test]
fn the_sigmoid_escape_noise_matches_the_builtin_sigmoid_surrogate() {
    let noise = EscapeNoise::Sigmoid { beta: 10.0 };
    let s = noise.matched_surrogate().unwrap();
    for x in [-0.5, -0.1, 0.0, 0.07, 0.4] {
        assert!((s.derivative(x) - noise.derivative(x)).abs() < 1e-12, "x = {x}");
    }
    assert!(EscapeNoise::Exponential { p0: 0.1, delta_u: 0.1 }.matched_surrogate().is_none());
    assert_eq!(sglab::validate::Validate::validate(&EscapeNoise::Sigmoid { beta: -1.0 }).unwrap_err().path, "beta");
}

/// A network of stochastic LIF neurons trains from its configuration: the same seed repeats
/// the run exactly (the noise stream is seeded), and it learns randman above chance.
#[test]
fn a_stochastic_network_trains_and_repeats_with_its_seed() {
    use sglab::data::randman::RandmanConfig;
    use sglab::spike::escape::StochasticSpec;
    use sglab::train::{ProgressMode, RunOptions, SpikeConfig, TaskConfig, TrainConfig, train_with};
    let task = RandmanConfig { classes: 3, units: 10, steps: 30, alpha: 2.0, samples_per_class: 40, seed: 2, ..Default::default() };
    let mut config = TrainConfig::new(TaskConfig::Randman(task), 6);
    config.model.hidden_sizes = vec![24];
    config.model.spike = SpikeConfig::Escape(StochasticSpec { noise: EscapeNoise::Sigmoid { beta: 10.0 }, backward: EscapeBackward::Matched });
    config.run.batch_size = 16;
    config.optimizer.lr = 1e-2;
    config.run.seed = 1;
    let quiet = RunOptions { checkpoint_dir: None, progress: ProgressMode::Quiet, model_file: None };
    let a = train_with(&config, &quiet).unwrap();
    let b = train_with(&config, &quiet).unwrap();
    let metrics = |r: &sglab::train::RunRecord| r.history.iter().map(|e| (e.train.loss, e.train.rates.clone())).collect::<Vec<_>>();
    assert_eq!(metrics(&a), metrics(&b), "same seed, same noise, same run");
    let accuracy = a.max_validation_accuracy().unwrap();
    println!("stochastic LIF on randman: best validation accuracy {accuracy}, initial rate {:?}", a.initial_rates);
    assert!(accuracy > 0.5, "chance is 1/3, got {accuracy}");
    let mut bad = config.clone();
    bad.model.spike = SpikeConfig::Escape(StochasticSpec { noise: EscapeNoise::Exponential { p0: 0.0, delta_u: 0.1 }, backward: EscapeBackward::Matched });
    assert_eq!(sglab::validate::Validate::validate(&bad).unwrap_err().path, "model.stochastic.noise.p0");
}

/// The Fano factor on hand-counted spikes: T = 4, R = 3 trials, n = 2 neurons, windows of 2.
/// Neuron 0 counts (0, 1, 2) in window 0 (F = 1) and (2, 2, 2) in window 1 (F = 0); neuron 1 is
/// silent in window 0 (left out) and counts (1, 0, 0) in window 1 (mean 1/3, variance 1/3,
/// F = 1): the mean over the three cells is 2/3. A network without spikes has none.
#[test]
fn fano_factors_match_hand_counts() {
    use sglab::stats::fano_factor;
    let (steps, trials, neurons) = (4, 3, 2);
    let mut s = vec![0.0; steps * trials * neurons];
    let mut set = |t: usize, r: usize, j: usize| s[(t * trials + r) * neurons + j] = 1.0;
    set(0, 1, 0);
    set(0, 2, 0);
    set(1, 2, 0);
    for r in 0..3 {
        set(2, r, 0);
        set(3, r, 0);
    }
    set(3, 0, 1);
    let f = fano_factor(&s, steps, trials, neurons, 2).unwrap();
    assert!((f - 2.0 / 3.0).abs() < 1e-12, "{f}");
    assert_eq!(fano_factor(&vec![0.0; 24], 4, 3, 2, 2), None);
}

/// The study's Monte-Carlo table agrees with f′ within 4 standard errors plus the central
/// difference's bias, and its standard error is the binomial one of the common-random-number
/// difference, √(p(1 − p)/N)/2h with p = f(x + h) − f(x − h), within 5 %.
#[test]
fn the_study_monte_carlo_table_agrees_with_the_surrogate() {
    use sglab::table::f64_column;
    let noise = EscapeNoise::Sigmoid { beta: 10.0 };
    let xs = [-0.3, 0.0, 0.15];
    let (h, draws) = (0.01, 100_000);
    let t = sglab::studies::stochastic::escape_derivative(noise, &xs, h, draws, 3).unwrap();
    let (f1, mc, se, bias) = (f64_column(&t, "surrogate").unwrap(), f64_column(&t, "monte_carlo").unwrap(), f64_column(&t, "standard_error").unwrap(), f64_column(&t, "bias_bound").unwrap());
    for i in 0..xs.len() {
        assert!((f1[i] - noise.derivative(xs[i])).abs() < 1e-12);
        assert!((mc[i] - f1[i]).abs() < 4.0 * se[i] + bias[i], "x = {}: {} ± {} vs {}", xs[i], mc[i], se[i], f1[i]);
        let p = noise.probability(xs[i] + h) - noise.probability(xs[i] - h);
        let binomial = (p * (1.0 - p) / draws as f64).sqrt() / (2.0 * h);
        assert!((se[i] / binomial - 1.0).abs() < 0.05, "x = {}: SE {} vs binomial {binomial}", xs[i], se[i]);
    }
}
