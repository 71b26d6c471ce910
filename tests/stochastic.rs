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
    assert!(EscapeNoise::Sigmoid { beta: -1.0 }.validate().unwrap_err().contains("beta"));
}

/// A network of stochastic LIF neurons trains from its configuration: the same seed repeats
/// the run exactly (the noise stream is seeded), and it learns randman above chance.
#[test]
fn a_stochastic_network_trains_and_repeats_with_its_seed() {
    use sglab::data::randman::RandmanConfig;
    use sglab::neuron::stochastic::StochasticSpec;
    use sglab::train::{ProgressMode, RunOptions, TaskConfig, TrainConfig, train_with};
    let task = RandmanConfig { classes: 3, units: 10, steps: 30, alpha: 2.0, samples_per_class: 40, seed: 2, ..Default::default() };
    let mut config = TrainConfig::new(TaskConfig::Randman(task), 6);
    config.model.hidden_sizes = vec![24];
    config.model.stochastic = Some(StochasticSpec { noise: EscapeNoise::Sigmoid { beta: 10.0 }, backward: EscapeBackward::Matched });
    config.batch_size = 16;
    config.optimizer.lr = 1e-2;
    config.seed = 1;
    let quiet = RunOptions { checkpoint_dir: None, progress: ProgressMode::Quiet, model_file: None };
    let a = train_with(&config, &quiet).unwrap();
    let b = train_with(&config, &quiet).unwrap();
    let metrics = |r: &sglab::train::RunRecord| r.history.iter().map(|e| (e.train.loss, e.train.rates.clone())).collect::<Vec<_>>();
    assert_eq!(metrics(&a), metrics(&b), "same seed, same noise, same run");
    let accuracy = a.max_validation_accuracy().unwrap();
    println!("stochastic LIF on randman: best validation accuracy {accuracy}, initial rate {:?}", a.initial_rates);
    assert!(accuracy > 0.5, "chance is 1/3, got {accuracy}");
    let mut bad = config.clone();
    bad.model.stochastic = Some(StochasticSpec { noise: EscapeNoise::Exponential { p0: 0.0, delta_u: 0.1 }, backward: EscapeBackward::Matched });
    assert!(matches!(bad.validate(), Err(sglab::train::TrainError::Config { field, .. }) if field == "model.stochastic.noise"));
}
