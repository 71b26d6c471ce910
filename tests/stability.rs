//! The stability conditions on the paper's settings.

mod common;

use sglab::burn::Tensor;
use sglab::burn::tensor::TensorData;
use sglab::init::stability::{
    ConditionIvTarget, HostLif, LayerDynamics, Matrix, VoltageModel, condition_iii_dampening, condition_iv, condition_iv_residual,
    one_step_jacobian, reset_threshold, surrogate_mean_power, voltage_range,
};
use sglab::rng::rng;
use sglab::weights::WeightInit;
use sglab::neuron::{RecurrentCell, Reset};
use sglab::surrogate::{Shape, Surrogate};

/// Glorot-uniform W_in [n_in, n] and W_rec [n, n] as the paper's LIF layers draw them.
fn glorot(n_in: usize, n: usize, seed: u64) -> (Matrix, Matrix) {
    let w_in = WeightInit::GlorotUniform.sample(n_in, n, &mut rng(seed, 1));
    let w_rec = WeightInit::GlorotUniform.sample(n, n, &mut rng(seed, 2));
    (Matrix::new(n_in, n, w_in), Matrix::new(n, n, w_rec))
}

/// Mean Condition III dampening of the first layer over 8 draws: τ = 0.1 (α = e^{−10}),
/// ϑ = 0.01, subtractive reset.
fn mean_dampening(n_in: usize, n: usize) -> f64 {
    let alpha = (-1.0f64 / 0.1).exp();
    let theta = reset_threshold(Reset::Subtract, 0.01);
    let gammas: Vec<f64> = (0..8)
        .flat_map(|seed| {
            let (w_in, w_rec) = glorot(n_in, n, seed);
            condition_iii_dampening(&w_rec, &w_in, alpha, theta, 0.0)
        })
        .collect();
    gammas.iter().sum::<f64>() / gammas.len() as f64
}

/// The paper's predicted dampening on sl-MNIST (2 × 128) is 0.204 (stable_spike.md §4.3; a
/// Monte-Carlo analysis there gives 0.209).
#[test]
fn condition_iii_reproduces_the_papers_dampening_on_slmnist() {
    let gamma = mean_dampening(784, 128);
    println!("slmnist-2x128: γ* = {gamma:.4}");
    assert!((0.19..=0.22).contains(&gamma), "{gamma}");
}

/// For SHD (2 × 256) the same computation gives about 0.144.
#[test]
fn condition_iii_dampening_on_shd() {
    let gamma = mean_dampening(700, 256);
    println!("shd-2x256: γ* = {gamma:.4}");
    assert!((gamma - 0.144).abs() < 0.01, "{gamma}");
}

/// At the β Condition IV returns, the mean-square Jacobian equation holds; on the paper's
/// default initialisation it has no root, which is reported, not hidden.
#[test]
fn condition_iv_solves_where_a_root_exists_and_reports_where_none_does() {
    let surrogate = Surrogate::new(Shape::Exponential, 1.0, 1.0).unwrap();
    // Default paper init: (n − 1)·w²·E₂ ≈ 1e-3, far below 1 for every β.
    let (w_in, w_rec) = glorot(784, 128, 0);
    let alpha = (-1.0f64 / 0.1).exp();
    let paper = LayerDynamics { reset: Reset::Subtract, detach_reset: false, alpha, threshold: 0.01 };
    let solutions = condition_iv(&surrogate, ConditionIvTarget::Sharpness, &w_rec, &w_in, paper, VoltageModel::ExtremeRange);
    assert!(solutions.iter().all(|s| !s.exact), "no root expected on the default init");

    // Recurrent weights scaled up until the equation has roots: there the residual is 0.
    let big = Matrix::new(128, 128, w_rec.data.iter().map(|w| w * 12.0).collect());
    let dynamics = LayerDynamics { reset: Reset::Subtract, detach_reset: false, alpha: 0.9, threshold: 1.0 };
    let solutions = condition_iv(&surrogate, ConditionIvTarget::Sharpness, &big, &w_in, dynamics, VoltageModel::ExtremeRange);
    let exact: Vec<_> = solutions.iter().enumerate().filter(|(_, s)| s.exact).collect();
    assert!(!exact.is_empty(), "some neurons should have a root");
    for (j, s) in exact {
        let (lo, hi) = voltage_range(&big, &w_in, j, 0.9, 1.0);
        let w2 = (0..128).filter(|&i| i != j).map(|i| big.get(i, j).powi(2)).sum::<f64>() / 127.0;
        let at = Surrogate::new(Shape::Exponential, 1.0, s.value).unwrap();
        let (e1, e2) = (surrogate_mean_power(&at, 1, lo, hi, 1.0), surrogate_mean_power(&at, 2, lo, hi, 1.0));
        let r = condition_iv_residual(dynamics, 128, w2, e1, e2);
        assert!(r.abs() < 1e-6, "neuron {j}: β {} leaves residual {r}", s.value);
    }
}

/// The paper's sl-MNIST LIF setting: 784 inputs, 2 × 128, τ = 0.1, ϑ = 0.01, Glorot-uniform.
fn slmnist_config(reset: Reset) -> sglab::network::NetworkConfig {
    let lif = sglab::neuron::LifConfig::new().with_tau(0.1).with_threshold(0.01).with_reset(reset);
    sglab::network::NetworkConfig::new(784, vec![128, 128], 10).with_neuron(sglab::neuron::NeuronConfig::Lif(lif)).with_seed(3)
}

/// Conditions I and II applied to the sl-MNIST setting, measured on 16 embedded digits: every
/// layer fires at ½ ± 0.1; in the first layer, whose input statistics are the data's, the input
/// and recurrent current variances agree within 20 %. Deeper layers assume independent
/// Bernoulli(½) input spikes; how far the real spikes are from that is printed, not asserted.
#[test]
fn conditions_i_and_ii_hold_when_measured_on_slmnist() {
    use sglab::data::slmnist::{self, SlMnistConfig};
    let data = slmnist::load(&SlMnistConfig::default()).unwrap();
    let stats = data.train.statistics().unwrap();
    let device = sglab::device("flex").unwrap();
    let batch = data.train.batch(&(0..16).collect::<Vec<_>>(), &device).unwrap();
    for reset in [Reset::Subtract, Reset::MultReset2, Reset::MultReset1] {
        let config = slmnist_config(reset);
        let prediction = sglab::init::stability::predict(&config, stats.into(), &device).unwrap();
        let net = sglab::init::stability::apply(config.init(&device).unwrap(), &prediction, 3, false);
        let measured = sglab::init::stability::measure(&net, batch.inputs.clone()).unwrap();
        let table = sglab::init::stability::comparison_frame(&measured).unwrap();
        assert_eq!(table.height(), 2 * 5);
        let rates = table.column("measured").unwrap().f64().unwrap().get(0).unwrap();
        assert_eq!(rates, measured[0].rate);
        for (p, m) in prediction.layers.iter().zip(&measured) {
            println!(
                "{reset:?} layer {}: μ_rec {:.3e} σ²_rec {:.3e} γ {:.3} | rate {:.3} mean v−ϑ {:.4} var in {:.3e} rec {:.3e}",
                p.layer, p.w_rec_mean, p.w_rec_var.value, p.dampening, m.rate, m.mean_v_minus_threshold, m.input_current_var, m.recurrent_current_var
            );
            // multreset1 zeroes v after every spike, so z_t and z_{t−1} are anti-correlated and
            // the mean-field equation of Condition I (which treats them as independent) puts the
            // rate below ½ (0.38 measured); it is printed, not asserted.
            if reset != Reset::MultReset1 {
                assert!((m.rate - 0.5).abs() <= 0.1, "{reset:?} layer {}: rate {}", m.layer, m.rate);
            }
            let ratio = m.recurrent_current_var / m.input_current_var;
            println!("{reset:?} layer {}: recurrent / input current variance {ratio:.3}", m.layer);
            if m.layer == 0 && reset != Reset::MultReset1 {
                assert!((ratio - 1.0).abs() <= 0.2, "{reset:?} layer {}: variance ratio {ratio}", m.layer);
            }
        }
    }
}

/// Fluctuation-driven weights on randman input (200 units, 40 spikes each spread over 400
/// steps, ν = 0.1 per step), free membrane (threshold out of reach: no spikes, no reset): the
/// mean membrane potential and each neuron's temporal standard deviation after 5τ steps match
/// μ_U = 0.3 and σ_U = (ϑ − μ_U)/ξ = 0.35 within 15 %. Two properties of randman pull both a
/// little low, and are why the samples come from 100 per class: spike times are min–max
/// normalised per unit over a class's samples, so with k samples per class a fraction 2/k of all
/// spikes sits at the first or the last step, where it adds (almost) nothing to the measured
/// window — 25 % of the mean with 8 samples, 2 % with 100; and the fixed spike count per unit
/// makes the input a little less variable than the theory's Poisson trains (about 5 % in σ).
#[test]
fn fluctuation_init_sets_the_membrane_mean_and_fluctuations_on_randman() {
    use sglab::data::randman::RandmanConfig;
    use sglab::init::fluctuation::{self, FluctuationInit, FluctuationVariant, PspKernel};
    // 1,024 neurons: the sampling error of the realised mean weight moves the measured μ_U by
    // about 5 % (σ_w/μ_w ≈ 23 here), a third of the tolerance.
    let (steps, b, n, tau) = (400usize, 16usize, 1024usize, 10.0);
    let task = RandmanConfig { classes: 2, units: 200, steps, spikes_per_unit: 40, step_frac: 1.0, alpha: 2.0, samples_per_class: 100, ..Default::default() };
    let data = task.generate().unwrap();
    let device = sglab::device("flex").unwrap();
    let batch = data.batch(&(0..b).map(|i| (i % 2) * 100 + i / 2).collect::<Vec<_>>(), &device).unwrap();
    let lif = sglab::neuron::LifConfig::new().with_tau(tau).with_threshold(1e9);
    let net = sglab::network::NetworkConfig::new(200, vec![n], 2).with_neuron(sglab::neuron::NeuronConfig::Lif(lif)).init(&device).unwrap();
    let init = FluctuationInit {
        mu_u: 0.3,
        xi: 2.0,
        nu: 0.1,
        kernel: PspKernel::Lif { tau },
        feedforward_share: 1.0,
        threshold: 1.0,
        variant: FluctuationVariant::Centred,
    };
    let net = fluctuation::apply(net, &init, &init, 7);
    let out = net.forward_with_voltages(batch.inputs).unwrap();
    let v: Vec<f64> = out.voltages.unwrap()[0].clone().into_data().convert::<f64>().try_to_vec::<f64>().unwrap();
    let start = (5.0 * tau) as usize;
    let (mut sum, mut count, mut stds) = (0.0, 0usize, Vec::new());
    for s in 0..b {
        for j in 0..n {
            let trace: Vec<f64> = (start..steps).map(|t| v[(t * b + s) * n + j]).collect();
            let m = trace.iter().sum::<f64>() / trace.len() as f64;
            stds.push((trace.iter().map(|x| (x - m).powi(2)).sum::<f64>() / trace.len() as f64).sqrt());
            sum += trace.iter().sum::<f64>();
            count += trace.len();
        }
    }
    let mean = sum / count as f64;
    let sigma = stds.iter().sum::<f64>() / stds.len() as f64;
    println!("fluctuation init: μ_U {mean:.4} (target 0.3), σ_U {sigma:.4} (target 0.35)");
    assert!((mean - 0.3).abs() <= 0.15 * 0.3, "mean {mean}");
    assert!((sigma - 0.35).abs() <= 0.15 * 0.35, "σ {sigma}");
}

/// One LIF layer of `n` neurons on `n_in` inputs with the given dynamics and weights.
fn lif_network(n_in: usize, n: usize, dynamics: LayerDynamics, surrogate: Surrogate, seed: u64) -> sglab::network::NetworkConfig {
    let tau = -1.0 / dynamics.alpha.ln();
    let lif = sglab::neuron::LifConfig::new()
        .with_tau(tau)
        .with_threshold(dynamics.threshold)
        .with_reset(dynamics.reset)
        .with_detach_reset(dynamics.detach_reset);
    sglab::network::NetworkConfig::new(n_in, vec![n], 2)
        .with_neuron(sglab::neuron::NeuronConfig::Lif(lif))
        .with_surrogate(surrogate)
        .with_seed(seed)
}

/// Every reset rule, with the reset tracked and detached.
const DYNAMICS: [(Reset, bool); 6] = [
    (Reset::Subtract, false),
    (Reset::Subtract, true),
    (Reset::MultReset1, false),
    (Reset::MultReset1, true),
    (Reset::MultReset2, false),
    (Reset::MultReset2, true),
];

/// The host Jacobian ∂v_{t+1}/∂v_t of the diagnostics equals the one autodiff computes through
/// the layer's own step (spike op with its surrogate backward), for every reset rule, tracked or
/// detached: row j is the gradient of v_{t+1,j} with respect to v_t.
#[test]
fn one_step_jacobian_equals_autodiff_through_the_layer() {
    let device = sglab::device("flex").unwrap().autodiff();
    let (n_in, n, steps, batch) = (3usize, 5usize, 4usize, 2usize);
    let surrogate = Surrogate::new(Shape::FastSigmoid, 0.8, 1.5).unwrap();
    for (reset, detach_reset) in DYNAMICS {
        let dynamics = LayerDynamics { reset, detach_reset, alpha: 0.7, threshold: 0.3 };
        let net = lif_network(n_in, n, dynamics, surrogate, 11).init(&device).unwrap();
        let mut rng = sglab::rng::rng(5, 0);
        let x_values = sglab::weights::WeightInit::Uniform { low: 0.0, high: 1.0 }.sample(1, steps * batch * n_in, &mut rng);
        let x = Tensor::<3>::from_data(TensorData::new(x_values.clone(), [steps, batch, n_in]), &device);
        let out = net.forward_with_voltages(x).unwrap();
        let v_all = common::values(out.voltages.unwrap()[0].clone());
        let z_all = common::values(out.spikes[0].clone());
        let sglab::neuron::Layer::Lif(lif) = &net.layers[0] else { panic!("a LIF network") };
        let host = HostLif::new(&net.layers[0]).unwrap();
        let w_in = common::values(lif.w_in.val());
        let t = 1;
        let mut spiking = 0;
        for b in 0..batch {
            let at = (t * batch + b) * n;
            let (v, z) = (&v_all[at..at + n], &z_all[at..at + n]);
            spiking += z.iter().filter(|&&s| s > 0.5).count();
            let x_next = &x_values[((t + 1) * batch + b) * n_in..((t + 1) * batch + b + 1) * n_in];
            let current: Vec<f64> = (0..n)
                .map(|j| {
                    (0..n_in).map(|i| x_next[i] * w_in[i * n + j]).sum::<f64>() + (0..n).map(|k| z[k] * host.w_rec[k * n + j]).sum::<f64>()
                })
                .collect();
            let expected = one_step_jacobian(&host, v, z, &current);
            for j in 0..n {
                // A fresh cell per backward pass: its coefficients are nodes of the graph.
                let cell = lif.cell();
                let v_leaf = Tensor::<2>::from_data(TensorData::new(v.to_vec(), [1, n]), &device).require_grad();
                let z_t = lif.spike_fn.apply(v_leaf.clone() - cell.threshold().clone());
                let state = sglab::neuron::LifState { v: v_leaf.clone(), z: z_t };
                let x_t = Tensor::<2>::from_data(TensorData::new(x_next.to_vec(), [1, n_in]), &device);
                let next = cell.step(x_t, &state).v;
                let grads = next.slice([0..1, j..j + 1]).sum().backward();
                let row = common::values(v_leaf.grad(&grads).unwrap());
                common::assert_close(&row, &expected[j * n..(j + 1) * n], 1e-5, 1e-4, &format!("{reset:?} detach {detach_reset} sample {b} row {j}"));
            }
        }
        assert!(spiking > 0 && spiking < batch * n, "{reset:?}: the checked step should mix spiking and silent neurons ({spiking})");
    }
}

/// Condition IV on the voltages a network initialised with Conditions I–II produces on
/// sl-MNIST digits (784 → 128 LIF, τ = 1, ϑ = 0.01, rate ≈ ½ as the equation assumes): at the β
/// it returns for an exponential surrogate, the measured mean-square one-step Jacobian is 1 ± 0.2
/// for the subtractive reset (tracked and detached) and multreset2 (detached; its equation is
/// that of a detached reset). γ = 20, because at Condition III's γ ≈ 0.2 the equation has no
/// root (the worst-path bound of III leaves Σ_k J²_jk far below 1); the β of the paper's voltage
/// model (uniform on the extreme range) is printed beside it with the mean square it gives.
#[test]
fn condition_iv_on_measured_voltages_gives_unit_mean_square_jacobian() {
    use sglab::data::slmnist::{self, SlMnistConfig};
    let data = slmnist::load(&SlMnistConfig::default()).unwrap();
    let stats = data.train.statistics().unwrap();
    let device = sglab::device("flex").unwrap();
    let batch = data.train.batch(&(0..8).collect::<Vec<_>>(), &device).unwrap();
    let (n_in, n, gamma) = (784, 128, 20.0);
    let surrogate = Surrogate::new(Shape::Exponential, gamma, 1.0).unwrap();
    for (reset, detach_reset) in [(Reset::Subtract, false), (Reset::Subtract, true), (Reset::MultReset2, true)] {
        let dynamics = LayerDynamics { reset, detach_reset, alpha: (-1.0f64).exp(), threshold: 0.01 };
        let config = lif_network(n_in, n, dynamics, surrogate, 4);
        let prediction = sglab::init::stability::predict(&config, stats.into(), &device).unwrap();
        let net = sglab::init::stability::apply(config.init(&device).unwrap(), &prediction, 4, false);
        let out = net.forward_with_voltages(batch.inputs.clone()).unwrap();
        let layer = &net.layers[0];
        let centred: Vec<f64> = common::values(out.voltages.unwrap()[0].clone()).iter().map(|v| v - dynamics.threshold).collect();
        let w_rec = Matrix::new(n, n, HostLif::new(layer).unwrap().w_rec);
        let w_in = Matrix::new(n_in, n, common::values(layer.input_weights().val()));
        let mean_square_at = |model: VoltageModel| {
            let solutions = condition_iv(&surrogate, ConditionIvTarget::Sharpness, &w_rec, &w_in, dynamics, model);
            let exact = solutions.iter().filter(|s| s.exact).count();
            let beta = solutions.iter().map(|s| s.value).sum::<f64>() / solutions.len() as f64;
            let mut at = net.clone();
            at.layers[0].set_spike_fn(sglab::spike::SpikeFn::new(Surrogate::new(Shape::Exponential, gamma, beta).unwrap()));
            let measured = sglab::init::stability::measure(&at, batch.inputs.clone()).unwrap();
            let ms = &measured[0].jacobian_mean_square;
            (beta, exact, ms.iter().sum::<f64>() / ms.len() as f64, measured[0].rate)
        };
        let (beta, exact, ms, rate) = mean_square_at(VoltageModel::Measured(&centred));
        let (paper_beta, paper_exact, paper_ms, _) = mean_square_at(VoltageModel::ExtremeRange);
        println!(
            "{reset:?} detach {detach_reset}: rate {rate:.3}; measured voltages β = {beta:.4} (roots {exact}/{n}) → mean-square Jacobian {ms:.3}; \
             extreme-range model β = {paper_beta:.4} (roots {paper_exact}/{n}) → {paper_ms:.3}"
        );
        assert!((rate - 0.5).abs() <= 0.1, "{reset:?}: rate {rate}");
        assert_eq!(exact, n, "{reset:?}: every neuron should have a root");
        assert!((ms - 1.0).abs() <= 0.2, "{reset:?} detach {detach_reset}: mean-square Jacobian {ms} at β {beta}");
    }
}

/// On the paper's sl-MNIST preset with all four conditions, Condition IV has no root for any
/// neuron (Conditions I–III leave Σ_k J²_jk far below 1): there is no prediction, and the layer
/// keeps the configured β = 1 instead of the search interval's edge; III's γ is applied.
#[test]
fn condition_iv_without_a_root_keeps_the_configured_sharpness() {
    use sglab::init::stability::{Preset, predict};
    let device = sglab::device("flex").unwrap();
    let config = Preset::Slmnist2x128.network().with_surrogate(Surrogate::new(Shape::Exponential, 1.0, 1.0).unwrap());
    let prediction = predict(&config, Preset::Slmnist2x128.input().unwrap(), &device).unwrap();
    for layer in &prediction.layers {
        let iv = layer.sharpness.expect("Condition IV ran");
        assert_eq!(iv.value, None, "layer {}: {iv:?}", layer.layer);
        assert!(iv.root_fraction < sglab::init::stability::MIN_ROOT_FRACTION);
        assert_eq!(layer.surrogate.sharpness(), 1.0);
        assert!((layer.surrogate.dampening() - layer.dampening).abs() < 1e-12);
    }
}

/// A prediction's table has one row per layer with the values of its fields: Condition III's γ
/// and range, IV's missing β as null beside its root fraction, and the surrogate to train with.
#[test]
fn a_prediction_tabulates_each_layer() {
    use sglab::init::stability::{Preset, predict};
    use sglab::table::{f64_column, string_column};
    let device = sglab::device("flex").unwrap();
    let config = Preset::Slmnist2x128.network().with_surrogate(Surrogate::new(Shape::Exponential, 1.0, 1.0).unwrap());
    let prediction = predict(&config, Preset::Slmnist2x128.input().unwrap(), &device).unwrap();
    let table = prediction.frame().unwrap();
    assert_eq!(table.height(), 2);
    let (gamma, low, high) = (f64_column(&table, "gamma").unwrap(), f64_column(&table, "gamma_min").unwrap(), f64_column(&table, "gamma_max").unwrap());
    let (mean, var) = (f64_column(&table, "w_rec_mean").unwrap(), f64_column(&table, "w_rec_var").unwrap());
    let surrogates = string_column(&table, "surrogate").unwrap();
    for (k, layer) in prediction.layers.iter().enumerate() {
        assert_eq!((gamma[k], low[k], high[k]), (layer.dampening, layer.dampening_range.0, layer.dampening_range.1));
        assert!(low[k] <= gamma[k] && gamma[k] <= high[k]);
        assert_eq!((mean[k], var[k]), (layer.w_rec_mean, layer.w_rec_var.value));
        assert_eq!(surrogates[k], layer.surrogate.to_string());
    }
    assert_eq!(table.column("beta").unwrap().null_count(), 2, "Condition IV has no root on this preset");
    assert_eq!(table.column("q").unwrap().null_count(), 2, "not a q-PseudoSpike");
    let roots = f64_column(&table, "iv_root_fraction").unwrap();
    assert!(roots.iter().all(|r| *r < sglab::init::stability::MIN_ROOT_FRACTION));
}
