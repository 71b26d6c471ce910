//! The stability conditions on the paper's settings.

use sglab::init::stability::{
    ConditionIvTarget, Matrix, condition_iii_dampening, condition_iv, condition_iv_residual, reset_threshold, surrogate_mean_power,
    voltage_range,
};
use sglab::init::{WeightInit, rng};
use sglab::neuron::Reset;
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
    let solutions = condition_iv(&surrogate, ConditionIvTarget::Sharpness, &w_rec, &w_in, Reset::Subtract, alpha, 0.01);
    assert!(solutions.iter().all(|s| !s.exact), "no root expected on the default init");

    // Recurrent weights scaled up until the equation has roots: there the residual is 0.
    let big = Matrix::new(128, 128, w_rec.data.iter().map(|w| w * 12.0).collect());
    let solutions = condition_iv(&surrogate, ConditionIvTarget::Sharpness, &big, &w_in, Reset::Subtract, 0.9, 1.0);
    let exact: Vec<_> = solutions.iter().enumerate().filter(|(_, s)| s.exact).collect();
    assert!(!exact.is_empty(), "some neurons should have a root");
    for (j, s) in exact {
        let (lo, hi) = voltage_range(&big, &w_in, j, 0.9, 1.0);
        let w2 = (0..128).filter(|&i| i != j).map(|i| big.get(i, j).powi(2)).sum::<f64>() / 127.0;
        let at = Surrogate::new(Shape::Exponential, 1.0, s.value).unwrap();
        let r = condition_iv_residual(Reset::Subtract, 0.9, 1.0, 128, w2, surrogate_mean_power(&at, 2, lo, hi, 1.0));
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
        let prediction = sglab::init::stability::predict(&config, stats.into()).unwrap();
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
