//! LIF and ALIF steps against hand-computed 3-step trajectories, the reset-gradient switch, and
//! configuration errors.
//!
//! The layer has one input and two neurons: W_in = [1, 0.5], W_rec = [[9, 0.35], [−0.2, 9]]
//! (the 9s sit on the masked diagonal and must have no effect), b = [0.1, 0], α = 0.5, ϑ = 1,
//! input x = 1.2, 0.8, 0.6. The input currents are therefore
//! I_1 = [1.3, 0.6], I_2 = [0.9, 0.75] + rec, I_3 = [0.5, 0.3] + rec, where "rec" is the row of
//! W_rec picked by the previous spikes.

mod common;

use common::{assert_close, backends, values};
use sglab::burn::Tensor;
use sglab::burn::tensor::{Device, TensorData};
use sglab::neuron::{AlifConfig, Layer, LifConfig, NeuronConfig, QifConfig, Reset, Unroll};
use sglab::spike::SpikeFn;
use sglab::surrogate::Surrogate;

fn matrix(rows: &[&[f64]], device: &Device) -> Tensor<2> {
    let flat: Vec<f64> = rows.iter().flat_map(|r| r.iter().copied()).collect();
    Tensor::from_data(TensorData::new(flat, [rows.len(), rows[0].len()]), device)
}

fn vector(v: &[f64], device: &Device) -> Tensor<1> {
    Tensor::from_data(TensorData::new(v.to_vec(), [v.len()]), device)
}

/// The two-neuron layer of the module docs; ALIF with ρ = 0.5 and β_a = 0.2 when `adaptive`.
fn layer(reset: Reset, adaptive: bool, detach_reset: bool, device: &Device) -> Layer {
    let half_life = 1.0 / std::f64::consts::LN_2; // exp(−1/τ) = 0.5
    let lif = LifConfig::new()
        .with_reset(reset)
        .with_tau(half_life)
        .with_threshold(1.0)
        .with_learn_threshold(true)
        .with_detach_reset(detach_reset);
    let config = if adaptive {
        NeuronConfig::Alif(
            AlifConfig::new()
                .with_lif(lif)
                .with_tau_adaptation(half_life)
                .with_beta_adaptation(0.2),
        )
    } else {
        NeuronConfig::Lif(lif)
    };
    let mut layer = config
        .init(1, 2, SpikeFn::new(Surrogate::default()), 0, device)
        .unwrap();
    layer.replace_input_weights(matrix(&[&[1.0, 0.5]], device));
    layer.replace_recurrent_weights(matrix(&[&[9.0, 0.35], &[-0.2, 9.0]], device));
    layer.replace_bias(vector(&[0.1, 0.0], device));
    layer
}

/// Runs the layer on x = 1.2, 0.8, 0.6 (batch of one) and returns (voltages, spikes) per step.
fn trajectory(layer: &Layer, device: &Device) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let inputs = [1.2, 0.8, 0.6].map(|x| matrix(&[&[x]], device)).to_vec();
    let trace = layer.run(inputs, true);
    let v = trace.voltages.unwrap().into_iter().map(values).collect();
    let z = trace.spikes.into_iter().map(values).collect();
    (v, z)
}

fn check(reset: Reset, adaptive: bool, v_expected: [[f64; 2]; 3], z_expected: [[f64; 2]; 3]) {
    for (kind, device) in backends() {
        let (v, z) = trajectory(&layer(reset, adaptive, false, &device), &device);
        for t in 0..3 {
            let what = format!("{kind} {reset:?} adaptive={adaptive} step {}", t + 1);
            assert_close(&v[t], &v_expected[t], 1e-5, 0.0, &what);
            assert_eq!(z[t], z_expected[t].to_vec(), "{what}");
        }
    }
}

#[test]
fn lif_subtractive_reset() {
    // v1 = I1 = [1.3, 0.6]                         z1 = [1, 0]
    // v2 = 0.5 v1 + [0.9, 0.75] − ϑ z1 = [0.55, 1.05]      z2 = [0, 1]
    // I3 = x3·W_in + z2·W_rec + b = [0.6 − 0.2 + 0.1, 0.3] = [0.5, 0.3]
    // v3 = [0.275 + 0.5, 0.525 + 0.3 − 1] = [0.775, −0.175]  z3 = [0, 0]
    check(
        Reset::Subtract,
        false,
        [[1.3, 0.6], [0.55, 1.05], [0.775, -0.175]],
        [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]],
    );
}

#[test]
fn lif_multreset1() {
    // v2 = (0.5 v1 + I2)(1 − z1) = [1.55, 1.05]·[0, 1] = [0, 1.05]
    // v3 = (0.5 v2 + I3)(1 − z2) = [0.5, 0.825]·[1, 0] = [0.5, 0]
    check(
        Reset::MultReset1,
        false,
        [[1.3, 0.6], [0.0, 1.05], [0.5, 0.0]],
        [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]],
    );
}

#[test]
fn lif_multreset2() {
    // v2 = 0.5 v1 (1 − z1) + I2 = [0, 0.3] + [0.9, 0.75] = [0.9, 1.05]
    // v3 = 0.5 v2 (1 − z2) + I3 = [0.45, 0] + [0.5, 0.3] = [0.95, 0.3]
    check(
        Reset::MultReset2,
        false,
        [[1.3, 0.6], [0.9, 1.05], [0.95, 0.3]],
        [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]],
    );
}

#[test]
fn alif_subtractive_reset() {
    // a1 = 0, ϑ1 = 1:              v1 = [1.3, 0.6], z1 = [1, 0]
    // a2 = 0.5 z1 = [0.5, 0], ϑ2 = [1.1, 1]:  v2 = [0.65 + 0.9 − 1.1, 0.3 + 0.75] = [0.45, 1.05], z2 = [0, 1]
    // a3 = 0.5 a2 + 0.5 z2 = [0.25, 0.5], ϑ3 = [1.05, 1.1]:
    //     v3 = [0.225 + 0.5, 0.525 + 0.3 − 1.1] = [0.725, −0.275], z3 = [0, 0]
    check(
        Reset::Subtract,
        true,
        [[1.3, 0.6], [0.45, 1.05], [0.725, -0.275]],
        [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]],
    );
}

#[test]
fn alif_multreset2() {
    // The adaptive threshold changes spikes, not the multiplicative update:
    // v2 = [0.9, 1.05] with ϑ2 = [1.1, 1] → z2 = [0, 1]; v3 = [0.95, 0.3], ϑ3 = [1.05, 1.1] → z3 = [0, 0]
    check(
        Reset::MultReset2,
        true,
        [[1.3, 0.6], [0.9, 1.05], [0.95, 0.3]],
        [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]],
    );
}

/// d(Σ_j v2_j)/dϑ_k = −σ′_k Σ_j W_rec,kj  (through z1 in the recurrent current)
///                    − z1_k + ϑ_k σ′_k    (through the reset term ϑ ⊙ z1)
/// with σ′_k = σ′(v1_k − ϑ_k). Detaching the reset removes exactly the second line.
#[test]
fn detach_reset_removes_exactly_the_reset_gradient() {
    let s = Surrogate::default();
    let v1: [f64; 2] = [1.3, 0.6];
    let sg = v1.map(|v| s.derivative(v - 1.0));
    let z1 = [1.0, 0.0];
    let rec_row_sums = [0.35, -0.2]; // masked W_rec rows
    for (kind, device) in backends() {
        let device = device.autodiff();
        let mut grads_by_mode = Vec::new();
        for detach in [false, true] {
            let layer = layer(Reset::Subtract, false, detach, &device);
            let inputs = [1.2, 0.8].map(|x| matrix(&[&[x]], &device)).to_vec();
            let trace = layer.run(inputs, true);
            let v2 = trace.voltages.unwrap().pop().unwrap();
            let grads = v2.sum().backward();
            let g = layer.lif_membrane().unwrap().threshold.val().grad(&grads).unwrap();
            grads_by_mode.push(values(g));
        }
        let attached: Vec<f64> = (0..2)
            .map(|k| -sg[k] * rec_row_sums[k] - z1[k] + 1.0 * sg[k])
            .collect();
        let detached: Vec<f64> = (0..2).map(|k| -sg[k] * rec_row_sums[k]).collect();
        assert_close(&grads_by_mode[0], &attached, 1e-6, 1e-6, &format!("{kind} attached"));
        assert_close(&grads_by_mode[1], &detached, 1e-6, 1e-6, &format!("{kind} detached"));
    }
}

#[test]
fn invalid_configurations_name_the_field() {
    let device = sglab::device("flex").unwrap();
    let spike = SpikeFn::new(Surrogate::default());
    let err = LifConfig::new()
        .with_tau(-1.0)
        .init(3, 4, spike.clone(), 0, &device)
        .unwrap_err();
    assert_eq!((err.path.as_str(), err.message.as_str()), ("tau", "a finite value > 0, got -1"));
    assert!(err.to_string().contains("`tau`"));
    let err = LifConfig::new()
        .with_threshold(f64::NAN)
        .init(3, 4, spike.clone(), 0, &device)
        .unwrap_err();
    assert_eq!(err.path, "threshold");
    let err = LifConfig::new()
        .with_tau_spread(0.6)
        .init(3, 4, spike.clone(), 0, &device)
        .unwrap_err();
    assert_eq!((err.path.as_str(), err.message.as_str()), ("tau_spread", "a relative spread in [0, 0.5), got 0.6"));
    let err = LifConfig::new().init(0, 4, spike.clone(), 0, &device).unwrap_err();
    assert_eq!(err.path, "input_size");
    let err = AlifConfig::new()
        .with_tau_adaptation(0.0)
        .init(3, 4, spike.clone(), 0, &device)
        .unwrap_err();
    assert_eq!(err.path, "tau_adaptation");
    // A nested table's field is named by its path from the model.
    let err = AlifConfig::new().with_lif(LifConfig::new().with_tau(0.0)).init(3, 4, spike, 0, &device).unwrap_err();
    assert_eq!(err.path, "lif.tau");
}

/// Running a sequence in two chunks, the second from the first's final state, gives the spikes
/// and voltages of one pass over the whole sequence, for every model; a state of another model
/// is refused.
#[test]
fn a_sequence_run_in_chunks_continues_exactly() {
    let device = sglab::device("flex").unwrap();
    let spike = SpikeFn::new(Surrogate::default());
    let configs = [
        NeuronConfig::Lif(LifConfig::new().with_tau(5.0).with_threshold(0.3)),
        NeuronConfig::Alif(AlifConfig::new().with_lif(LifConfig::new().with_tau(5.0).with_threshold(0.3)).with_tau_adaptation(10.0)),
        NeuronConfig::Qif(QifConfig::new().with_lif(LifConfig::new().with_tau(2.0).with_threshold(10.0)).with_drive(2.0)),
    ];
    let how = Unroll { record_voltages: true, truncation: 0 };
    for config in &configs {
        let layer = config.init(3, 5, spike.clone(), 11, &device).unwrap();
        let inputs: Vec<_> = (0..20)
            .map(|t| {
                let x: Vec<f64> = (0..6).map(|k| ((t * 6 + k) as f64 * 0.37).sin().abs() * 2.0).collect();
                Tensor::<2>::from_data(TensorData::new(x, [2, 3]), &device)
            })
            .collect();
        let (whole, _) = layer.forward(inputs.clone(), None, how).unwrap();
        let (first, state) = layer.forward(inputs[..7].to_vec(), None, how).unwrap();
        let (second, _) = layer.forward(inputs[7..].to_vec(), Some(state), how).unwrap();
        let chunked_z: Vec<f64> = first.spikes.iter().chain(&second.spikes).flat_map(|z| values(z.clone())).collect();
        let whole_z: Vec<f64> = whole.spikes.iter().flat_map(|z| values(z.clone())).collect();
        assert_eq!(chunked_z, whole_z, "{}: spikes", layer.model());
        assert!(whole_z.iter().any(|&z| z == 1.0), "{}: the test sequence should make the layer spike", layer.model());
        let volts = |t: &sglab::neuron::LayerTrace| t.voltages.clone().unwrap().into_iter().flat_map(values).collect::<Vec<f64>>();
        let chunked_v: Vec<f64> = [volts(&first), volts(&second)].concat();
        assert_close(&chunked_v, &volts(&whole), 1e-6, 1e-6, layer.model());
    }
    let lif = configs[0].init(3, 5, spike.clone(), 0, &device).unwrap();
    let alif = configs[1].init(3, 5, spike, 0, &device).unwrap();
    let x = vec![Tensor::<2>::zeros([2, 3], &device)];
    let err = lif.forward(x, Some(alif.initial_state(2)), how).unwrap_err();
    assert_eq!(err.to_string(), "a lif layer cannot continue from the state of a alif layer");
}

#[test]
fn heterogeneous_time_constants_follow_the_truncated_normal() {
    let device = sglab::device("flex").unwrap();
    let layer = LifConfig::new()
        .with_tau(0.1)
        .with_tau_spread(3.0 / 7.0)
        .init(4, 2000, SpikeFn::new(Surrogate::default()), 5, &device)
        .unwrap();
    let tau = values(layer.tau.val());
    let std = 0.1 * 3.0 / 7.0;
    assert!(tau.iter().all(|t| (t - 0.1).abs() <= 2.0 * std + 1e-7));
    let mean = tau.iter().sum::<f64>() / tau.len() as f64;
    assert!((mean - 0.1).abs() < 3e-3, "{mean}");
}
