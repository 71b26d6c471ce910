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

/// The surrogate of a configured spike: the Heaviside's surrogate, or the escape-noise backward.
fn backward_surrogate(spike: &sglab::train::SpikeConfig) -> sglab::surrogate::Surrogate {
    use sglab::train::SpikeConfig;
    match spike {
        SpikeConfig::Escape(spec) => match spec.backward {
            EscapeBackward::Matched => spec.noise.matched_surrogate().unwrap(),
            EscapeBackward::Surrogate { surrogate } => surrogate,
        },
        other => other.surrogate_of().expect("a surrogate"),
    }
}

/// SuperSpike as Zenke & Ganguli, DECOLLE and Gygax & Zenke write it, 1/(1 + 10|x|)², is what
/// studies 04 (DECOLLE) and 05 (its SuperSpike arms) configure; 05's f′ arms are
/// 10 s(10x)(1 − s(10x)) and 0.2 times it (SuperSpike's area), written out here.
#[test]
fn the_studies_superspike_and_escape_derivatives_are_the_papers_formulas() {
    use sglab::studies::stochastic::{self, Backward, Neuron, NeuronArm};
    use sglab::studies::{Scale, extensions};
    let superspike = |x: f64| 1.0 / (1.0 + 10.0 * x.abs()).powi(2);
    let logistic = |z: f64| 1.0 / (1.0 + (-z).exp());
    let f_prime = |x: f64| 10.0 * logistic(10.0 * x) * (1.0 - logistic(10.0 * x));
    let xs: Vec<f64> = (0..=40).map(|i| -1.0 + 0.05 * i as f64).collect();
    let agree = |s: sglab::surrogate::Surrogate, expected: &dyn Fn(f64) -> f64, what: &str| {
        for &x in &xs {
            assert!((s.derivative(x) - expected(x)).abs() < 1e-12, "{what} at x = {x}: {} vs {}", s.derivative(x), expected(x));
        }
    };
    for scale in [Scale::Quick, Scale::Plateau] {
        for arm in NeuronArm::all() {
            let spike = stochastic::arm_config(scale, arm).model.spike;
            let s = backward_surrogate(&spike);
            match arm.backward {
                Backward::SuperSpike => agree(s, &superspike, &arm.to_string()),
                Backward::DerivativeAtSuperSpikeArea => agree(s, &|x| 0.2 * f_prime(x), &arm.to_string()),
                Backward::Derivative => agree(s, &f_prime, &arm.to_string()),
            }
            assert_eq!(matches!(spike, sglab::train::SpikeConfig::Escape(_)), arm.neuron == Neuron::Stochastic);
        }
        for point in extensions::decolle_sweep(scale).points() {
            agree(backward_surrogate(&point.config.model.spike), &superspike, "DECOLLE");
        }
    }
    // Equal areas: ∫ 1/(1 + 10|x|)² dx = 2/10.
    assert!((stochastic::superspike().area() - 0.2).abs() < 1e-15);
    assert!((Backward::DerivativeAtSuperSpikeArea.surrogate().area() - 0.2).abs() < 1e-15);
    assert!((Backward::Derivative.surrogate().area() - 1.0).abs() < 1e-15);
}

/// The bias network's true derivative is the central difference of its output (h = 10⁻⁶, to
/// 10⁻⁶ relative); descent along it reaches y < 10⁻⁵ near w ≈ −0.013, the minimum of y on a fine
/// grid, while descent along the β_SG = 30 surrogate stops at w ≈ 0.0088 (its zero, found by
/// bisection on the formula written out here), where y ≈ 0.06 and the true derivative is ≈ 15,
/// and along β_SG = 15 (no zero: the middle factor of the chain rule stays negative) runs on to
/// w > 0.2, where y ≈ 0.34.
#[test]
fn the_surrogate_derivative_descends_to_a_point_that_is_not_a_minimum() {
    use sglab::studies::stochastic::{BIAS_BETA, bias_curves, bias_descents};
    use sglab::theory::surrogate_bias::BiasNetwork;
    let net = BiasNetwork::default();
    assert_eq!(net.beta, BIAS_BETA);
    for w in [-0.1, -0.02, -0.013, 0.0, 0.004, 0.03] {
        let h = 1e-6;
        let fd = (net.output(w + h) - net.output(w - h)) / (2.0 * h);
        let d = net.derivative(w, BIAS_BETA);
        assert!((fd - d).abs() <= 1e-6 * d.abs().max(1e-3), "w = {w}: dy/dw {d} vs central difference {fd}");
    }
    let grid: Vec<f64> = (0..=40_000).map(|i| -0.2 + 1e-5 * i as f64).collect();
    let argmin = grid.iter().copied().min_by(|a, b| net.output(*a).total_cmp(&net.output(*b))).unwrap();
    assert!((argmin + 0.0131).abs() < 2e-4, "argmin {argmin}");
    // The β_SG = 30 surrogate's zero: s′ at v·g with g = s(100 w).
    let s = |z: f64| 1.0 / (1.0 + (-z).exp());
    let middle = |w: f64| {
        let g = s(100.0 * w);
        let slope = |z: f64| 30.0 * s(30.0 * z) * (1.0 - s(30.0 * z));
        0.05 * slope(0.05 * g) - 0.1 * slope(0.1 * g)
    };
    let (mut lo, mut hi) = (-0.05, 0.05);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if middle(mid) < 0.0 { lo = mid } else { hi = mid }
    }
    let descents = bias_descents(&[-0.1, 0.0, 0.05], 1e-4, 20_000).unwrap();
    let label = sglab::table::string_column(&descents, "backward").unwrap();
    let (end, y, slope) = (
        sglab::table::f64_column(&descents, "end").unwrap(),
        sglab::table::f64_column(&descents, "output").unwrap(),
        sglab::table::f64_column(&descents, "true_derivative").unwrap(),
    );
    for i in 0..label.len() {
        match label[i].as_str() {
            "true (β = 100)" => assert!(y[i] < 1e-5 && (end[i] + 0.013).abs() < 0.006, "true descent ends at w = {}, y = {}", end[i], y[i]),
            "surrogate, β_SG = 30" => assert!((end[i] - lo).abs() < 1e-4 && (y[i] - 0.06).abs() < 0.005 && slope[i] > 10.0, "β_SG = 30 ends at w = {} (zero {lo}), y = {}, dy/dw = {}", end[i], y[i], slope[i]),
            "surrogate, β_SG = 15" => assert!(end[i] > 0.2 && (y[i] - 0.3397).abs() < 1e-3, "β_SG = 15 ends at w = {}, y = {}", end[i], y[i]),
            other => panic!("unexpected backward {other}"),
        }
    }
    assert_eq!(label.len(), 9);
    // The integrated true derivative is y itself (trapezoid error only).
    let curves = bias_curves(-0.2, 0.2, 4001).unwrap();
    let (b, out, integrated) = (
        sglab::table::string_column(&curves, "backward").unwrap(),
        sglab::table::f64_column(&curves, "output").unwrap(),
        sglab::table::f64_column(&curves, "integrated").unwrap(),
    );
    let worst = (0..b.len()).filter(|&i| b[i] == "true (β = 100)").map(|i| (out[i] - integrated[i]).abs()).fold(0.0, f64::max);
    assert!(worst < 1e-3, "integrated true derivative differs from y by {worst}");
}

/// The van Rossum distance against sums written out: a train against itself is 0; one spike at
/// step 3 against none is ½ Σ_{k≥0} ε(k)² over the steps left; spikes at 3 and 5 against one at
/// 4 is ½ Σ_t (ε(t − 3) + ε(t − 5) − ε(t − 4))²; rows of a batch are separate.
#[test]
fn the_van_rossum_distance_is_the_filtered_squared_difference() {
    use sglab::spike::van_rossum::VanRossum;
    let device = sglab::device("flex").unwrap();
    let metric = VanRossum::default();
    let eps = |k: i64| if k < 0 { 0.0 } else { 0.2 * ((-(k as f64) / 10.0).exp() - (-(k as f64) / 5.0).exp()) };
    let steps = 30;
    let train = |at: &[usize]| -> Vec<f64> { (0..steps).map(|t| if at.contains(&t) { 1.0 } else { 0.0 }).collect() };
    // Batch of 3 rows, one neuron: [3, 5], [3], [3].
    let rows = [train(&[3, 5]), train(&[3]), train(&[3])];
    let other = [train(&[4]), train(&[]), train(&[3])];
    let tensor = |rows: &[Vec<f64>; 3]| {
        let values: Vec<f64> = (0..steps).flat_map(|t| rows.iter().map(move |r| r[t])).collect();
        Tensor::<3>::from_data(TensorData::new(values, [steps, 3, 1]), &device)
    };
    let d = values(metric.distance(tensor(&rows), tensor(&other)));
    let expected_0: f64 = (0..steps as i64).map(|t| (eps(t - 3) + eps(t - 5) - eps(t - 4)).powi(2)).sum::<f64>() / 2.0;
    let expected_1: f64 = (0..steps as i64).map(|t| eps(t - 3).powi(2)).sum::<f64>() / 2.0;
    assert!((d[0] - expected_0).abs() < 1e-6 * expected_0.max(1e-3), "{} vs {expected_0}", d[0]);
    assert!((d[1] - expected_1).abs() < 1e-6 * expected_1, "{} vs {expected_1}", d[1]);
    assert_eq!(d[2], 0.0);
}

/// The target raster of the spike-matching task: every output neuron spikes at the two steps
/// T/2 ± 0.3·T·sin(πi/(N − 1)), once when they coincide (the first and last neuron).
#[test]
fn the_spike_matching_target_is_the_ellipse() {
    use sglab::studies::spike_matching::{OUTPUTS, STEPS, target_raster};
    let raster = target_raster();
    for i in 0..OUTPUTS {
        let at: Vec<usize> = (0..STEPS).filter(|&t| raster[t][i] == 1.0).collect();
        let offset = 30.0 * (std::f64::consts::PI * i as f64 / 19.0).sin();
        let mut expected = vec![(50.0 - offset).round() as usize, (50.0 + offset).round() as usize];
        expected.dedup();
        assert_eq!(at, expected, "neuron {i}");
    }
}
