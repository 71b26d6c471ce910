//! The QIF layer: its step against a host recurrence, BPTT through it against finite
//! differences, training from a configuration, and configuration errors.

mod common;

use common::{assert_close, values};
use sglab::burn::Tensor;
use sglab::burn::module::Param;
use sglab::burn::tensor::TensorData;
use sglab::network::NetworkConfig;
use sglab::neuron::{LifConfig, NeuronConfig, QifConfig, RecurrentCell};
use sglab::spike::{Forward, SpikeFn};
use sglab::surrogate::{Shape, Surrogate};

fn qif() -> QifConfig {
    QifConfig::new().with_lif(LifConfig::new().with_tau(4.0).with_threshold(5.0)).with_v_reset(-1.0)
}

#[test]
fn the_step_follows_the_discrete_qif_equation() {
    let device = sglab::device("flex").unwrap();
    let spike_fn = SpikeFn::new(Surrogate::new(Shape::FastSigmoid, 1.0, 1.0).unwrap());
    let mut layer = qif().init(2, 2, spike_fn, 0, &device).unwrap();
    let (w_in, w_rec, b) = ([1.5, 0.2, -0.4, 0.9], [0.0, 0.7, -0.5, 0.0], [0.3, 0.1]);
    layer.lif.w_in = Param::from_tensor(Tensor::from_data(TensorData::new(w_in.to_vec(), [2, 2]), &device));
    layer.lif.w_rec = Some(Param::from_tensor(Tensor::from_data(TensorData::new(w_rec.to_vec(), [2, 2]), &device)));
    layer.lif.bias = Some(Param::from_tensor(common::tensor1(&b, &device)));
    let cell = layer.cell();
    let mut state = cell.initial_state(1);
    let (peak, reset) = (2.0 * (5.0f64 - 0.5).atan(), 2.0 * (-1.0f64 - 0.5).atan());
    let (mut v, mut z) = ([2.0 * (-0.5f64).atan(); 2], [0.0f64; 2]);
    let mut spikes = 0.0;
    for t in 0..40 {
        let x = [(t % 3 == 0) as u8 as f64, 1.0];
        let mut next_v = [0.0; 2];
        let mut next_z = [0.0; 2];
        for j in 0..2 {
            let current: f64 = (0..2).map(|i| x[i] * w_in[i * 2 + j] + z[i] * w_rec[i * 2 + j]).sum::<f64>() + b[j];
            let u = v[j] + ((1.0 - v[j].cos()) + (current - 0.25) * (1.0 + v[j].cos())) / 4.0;
            next_z[j] = (u > peak) as u8 as f64;
            next_v[j] = (u * (1.0 - next_z[j]) + reset * next_z[j]).max(reset);
        }
        (v, z) = (next_v, next_z);
        spikes += z.iter().sum::<f64>();
        state = cell.step(Tensor::from_data(TensorData::new(x.to_vec(), [1, 2]), &device), &state);
        assert_close(&values(state.v.clone()), &v, 1e-4, 1e-5, &format!("θ at step {t}"));
        assert_eq!(values(state.z.clone()), z.to_vec(), "z at step {t}");
    }
    assert!(spikes > 2.0, "the test should exercise spikes and resets, got {spikes}");
}

/// The phase form is the QIF neuron: mapped back by V = ½ + tan(θ/2), one small step (τ = 1000)
/// moves V by the QIF equation's (V(V − 1) + I)/τ up to O(1/τ²), at rest, below and above the
/// unstable point, with and without input.
#[test]
fn a_small_phase_step_is_the_quadratic_voltage_step() {
    let device = sglab::device("flex").unwrap();
    let spike_fn = SpikeFn::new(Surrogate::new(Shape::FastSigmoid, 1.0, 1.0).unwrap());
    let tau = 1000.0;
    let config = QifConfig::new().with_lif(LifConfig::new().with_tau(tau).with_threshold(50.0)).with_v_reset(-10.0);
    let mut layer = config.init(1, 1, spike_fn, 0, &device).unwrap();
    layer.lif.w_in = Param::from_tensor(Tensor::from_data(TensorData::new(vec![1.0], [1, 1]), &device));
    let cell = layer.cell();
    for v0 in [-0.5, 0.0, 0.3, 1.0, 1.7, 3.0] {
        for current in [0.0, 0.8, -1.5] {
            let theta = sglab::neuron::qif::phase(Tensor::from_data(TensorData::new(vec![v0], [1, 1]), &device));
            let state = sglab::neuron::LifState { v: theta, z: Tensor::zeros([1, 1], &device) };
            let next = cell.step(Tensor::from_data(TensorData::new(vec![current], [1, 1]), &device), &state);
            let dv = values(sglab::neuron::qif::voltage(next.v))[0] - v0;
            let expected = (v0 * (v0 - 1.0) + current) / tau;
            let second_order = 4.0 * (1.0 + v0 * v0 + current.abs()).powi(3) / (tau * tau);
            assert!((dv - expected).abs() < second_order + 2e-6, "V = {v0}, I = {current}: ΔV {dv} vs {expected}");
        }
    }
}

/// With the smooth forward (the surrogate's antiderivative in place of H) the QIF network is
/// differentiable, and autodiff through time equals central differences of its loss.
#[test]
fn bptt_through_qif_matches_finite_differences() {
    let device = sglab::device("flex").unwrap().autodiff();
    let smooth = SpikeFn::new(Surrogate::new(Shape::Sigmoid, 1.0, 1.0).unwrap()).with_forward(Forward::Smooth).unwrap();
    let config = NetworkConfig::new(3, vec![4], 2).with_neuron(NeuronConfig::Qif(qif())).with_seed(5);
    let net = config.init_with_spike_fn(smooth, &device).unwrap();
    let (steps, batch) = (12, 2);
    let x: Vec<f64> = (0..steps * batch * 3).map(|k| ((k * 7) % 5) as f64 / 4.0).collect();
    let input = Tensor::<3>::from_data(TensorData::new(x, [steps, batch, 3]), &device);
    let loss_of = |net: &sglab::network::Network| -> Tensor<1> { net.forward(input.clone()).unwrap().logits.powi_scalar(2).mean() };
    let grads = loss_of(&net).backward();
    let analytic = values(net.layers[0].input_weights().grad(&grads).unwrap());
    let base = values(net.layers[0].input_weights().val());
    let eps = 1e-3;
    for k in [0, 3, 5, 10] {
        let shifted = |delta: f64| {
            let mut w = base.clone();
            w[k] += delta;
            let mut n = net.clone();
            n.layers[0].replace_input_weights(Tensor::from_data(TensorData::new(w, [3, 4]), &device));
            loss_of(&n).into_scalar::<f64>()
        };
        let fd = (shifted(eps) - shifted(-eps)) / (2.0 * eps);
        assert!((fd - analytic[k]).abs() < 2e-3 * fd.abs().max(1e-2), "W_in[{k}]: finite difference {fd} vs autodiff {}", analytic[k]);
    }
}

/// A QIF model reads from a configuration file; bad values and LIF-only initialisations are
/// errors naming the field.
#[test]
fn qif_configurations_parse_and_errors_name_the_field() {
    use sglab::train::{InitScheme, TrainConfig, TrainError};
    let text = r#"
        epochs = 2
        [task]
        name = "randman"
        [model]
        hidden_sizes = [24]
        neuron = { model = "qif", v_reset = -1.0, drive = 0.5, lif = { tau = 4.0, threshold = 5.0 } }
    "#;
    let config = TrainConfig::from_toml(text).unwrap();
    let NeuronConfig::Qif(q) = &config.model.neuron else { panic!("a QIF model was expected") };
    assert_eq!((q.v_reset, q.drive, q.lif.tau, q.lif.threshold), (-1.0, 0.5, 4.0, 5.0));
    assert_eq!(TrainConfig::from_toml(&config.to_toml()).unwrap(), config);
    let field = |text: &str| match TrainConfig::from_toml(text) {
        Err(TrainError::Config(e)) => e.path,
        other => panic!("expected a configuration error, got {other:?}"),
    };
    assert_eq!(field(&text.replace("v_reset = -1.0", "v_reset = 2.0")), "model.neuron.v_reset");
    assert_eq!(field(&text.replace("threshold = 5.0", "threshold = 0.5")), "model.neuron.lif.threshold");
    let mut stability = config.clone();
    stability.bptt_mut().unwrap().init = InitScheme::Stability(Default::default());
    assert_eq!(sglab::validate::Validate::validate(&stability).unwrap_err().path, "init");
    // The drive is the initial bias of every neuron.
    let device = sglab::device("flex").unwrap();
    let spike_fn = SpikeFn::new(Surrogate::default());
    let layer = q.init(3, 4, spike_fn, 0, &device).unwrap();
    assert_eq!(values(layer.lif.bias.as_ref().unwrap().val()), vec![0.5; 4]);
}

/// A QIF network with the default phase-form layer (τ = 10, V_peak = 10) trains from its
/// configuration and learns randman well above chance.
#[test]
fn a_qif_network_learns_randman() {
    use sglab::data::randman::RandmanConfig;
    use sglab::weights::WeightInit;
    use sglab::train::{ProgressMode, RunOptions, TaskConfig, TrainConfig, train_with};
    let task = RandmanConfig { classes: 3, units: 20, steps: 50, alpha: 2.0, samples_per_class: 100, seed: 2, ..Default::default() };
    let mut config = TrainConfig::new(TaskConfig::Randman(task), 20);
    config.model.hidden_sizes = vec![32];
    config.model.neuron = NeuronConfig::Qif(QifConfig::new().with_lif(LifConfig::new().with_tau(10.0).with_threshold(10.0).with_input_init(WeightInit::Normal { mean: 0.0, std: 1.5 })));
    config.run.batch_size = 32;
    config.optimizer.lr = 1e-2;
    config.run.seed = 1;
    let record = train_with(&config, &RunOptions { checkpoint_dir: None, progress: ProgressMode::Quiet, model_file: None }).unwrap();
    let accuracy = record.max_validation_accuracy().unwrap();
    println!("QIF on randman: best validation accuracy {accuracy}, initial rate {:?}", record.initial_rates);
    assert!(accuracy > 0.7, "chance is 1/3, got {accuracy}");
}
