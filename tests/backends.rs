//! Determinism and cross-backend agreement of a whole network, forward and backward.

mod common;

use common::{assert_close, backends, values};
use sglab::BackendKind;
use sglab::burn::Tensor;
use sglab::burn::tensor::{Device, TensorData};
use sglab::network::{Network, NetworkConfig};
use sglab::neuron::{AlifConfig, LifConfig, NeuronConfig, Reset};
use sglab::surrogate::{Shape, Surrogate};

const STEPS: usize = 8;
const BATCH: usize = 3;
const INPUTS: usize = 10;

fn config(neuron: NeuronConfig) -> NetworkConfig {
    NetworkConfig::new(INPUTS, vec![16, 8], 4)
        .with_neuron(neuron)
        .with_surrogate(Surrogate::new(Shape::Exponential, 0.5, 1.5).unwrap())
        .with_seed(2024)
}

/// Spike-like input: a fixed sparse 0/1 pattern built on the host.
fn input(device: &Device) -> Tensor<3> {
    let v: Vec<f64> = (0..STEPS * BATCH * INPUTS)
        .map(|i| if (i * 7919) % 13 < 4 { 1.0 } else { 0.0 })
        .collect();
    Tensor::from_data(TensorData::new(v, [STEPS, BATCH, INPUTS]), device)
}

/// Logits, spike counts per layer, and the gradient of Σ logits² w.r.t. each layer's W_in and W_rec.
fn run(net: &Network, device: &Device) -> (Vec<f64>, Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let out = net.forward(input(device)).unwrap();
    let spikes = out.spikes.iter().map(|s| values(s.clone())).collect();
    let grads = out.logits.clone().powi_scalar(2).sum().backward();
    let mut g = Vec::new();
    for layer in &net.layers {
        g.push(values(layer.input_weights().val().grad(&grads).unwrap()));
        g.push(values(layer.recurrent_weights().expect("recurrent layers").val().grad(&grads).unwrap()));
    }
    (values(out.logits), spikes, g)
}

fn neurons() -> Vec<NeuronConfig> {
    let lif = LifConfig::new().with_tau(4.0).with_threshold(0.5);
    vec![
        NeuronConfig::Lif(lif.clone()),
        NeuronConfig::Lif(lif.clone().with_reset(Reset::MultReset2)),
        NeuronConfig::Alif(AlifConfig::new().with_lif(lif).with_tau_adaptation(10.0)),
    ]
}

#[test]
fn same_seed_is_bit_identical_on_flex() {
    let device = BackendKind::Flex.device().unwrap().autodiff();
    for neuron in neurons() {
        let a = run(&config(neuron.clone()).init(&device).unwrap(), &device);
        let b = run(&config(neuron.clone()).init(&device).unwrap(), &device);
        assert_eq!(a, b, "{neuron:?}");
        let c = run(&config(neuron.clone()).with_seed(2025).init(&device).unwrap(), &device);
        assert_ne!(a.0, c.0, "another seed must give another network");
    }
}

/// wgpu on a software Vulkan driver compiles every kernel on first use (tens of seconds each in
/// a debug build), so it is compared on the first neuron model only; the CPU backends on all.
#[test]
fn backends_agree() {
    let all = backends();
    for (i, neuron) in neurons().into_iter().enumerate() {
        let results: Vec<_> = all
            .iter()
            .filter(|(kind, _)| i == 0 || *kind != BackendKind::Wgpu)
            .map(|(kind, device)| {
                let device = device.clone().autodiff();
                (*kind, run(&config(neuron.clone()).init(&device).unwrap(), &device))
            })
            .collect();
        let (ref_kind, (logits, spikes, grads)) = &results[0];
        let total: f64 = spikes.iter().flatten().sum();
        assert!(total > 0.0, "the test network must spike");
        for (kind, (l, s, g)) in &results[1..] {
            let what = format!("{kind} vs {ref_kind} {neuron:?}");
            assert_eq!(s, spikes, "{what}: spikes");
            assert_close(l, logits, 1e-4, 1e-4, &format!("{what}: logits"));
            for (gk, gr) in g.iter().zip(grads) {
                assert_close(gk, gr, 1e-4, 1e-4, &format!("{what}: gradients"));
            }
        }
    }
}

#[test]
fn malformed_input_is_a_clear_error() {
    let device = BackendKind::Flex.device().unwrap();
    let net = config(NeuronConfig::default()).init(&device).unwrap();
    let err = net.forward(Tensor::<3>::zeros([5, 2, INPUTS + 1], &device)).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("[T, B, 10]") && msg.contains("[5, 2, 11]"), "{msg}");
    assert!(net.forward(Tensor::<3>::zeros([0, 2, INPUTS], &device)).is_err());
    let err = NetworkConfig::new(INPUTS, vec![], 3).init(&device).unwrap_err();
    assert!(err.to_string().contains("hidden_sizes"));
    let err = NetworkConfig::new(INPUTS, vec![4], 3)
        .with_neuron(NeuronConfig::Lif(LifConfig::new().with_tau(0.0)))
        .init(&device)
        .unwrap_err();
    assert!(err.to_string().contains("layer 0") && err.to_string().contains("`tau`"), "{err}");
}
