//! The whole backward chain, checked against finite differences.
//!
//! In the *smooth surrogate network* the Heaviside is replaced by the surrogate's antiderivative
//! S, whose derivative is exactly the surrogate σ′. The spike op's smooth forward keeps σ′ as its
//! backward, so backpropagation through time of that network must equal the finite-difference
//! gradient of the same network — for W_in, W_rec, τ and ϑ of both layers, every reset rule, LIF
//! and ALIF, and both spike-op implementations. Computed in f64 on flex (this test binary
//! configures flex's default float type before any tensor exists).

mod common;

use common::values;
use sglab::burn::Tensor;
use sglab::burn::module::Param;
use sglab::burn::tensor::{Device, FloatDType, TensorData};
use sglab::network::{Network, NetworkConfig};
use sglab::neuron::{AlifConfig, LifConfig, NeuronConfig, Reset};
use sglab::spike::{Forward, Implementation, SpikeFn};
use sglab::surrogate::{Shape, Surrogate};

const STEPS: usize = 6;
const BATCH: usize = 2;
const INPUTS: usize = 3;

/// Flex with f64 as its default float type (configured once per process, before any tensor).
fn f64_flex() -> Device {
    static CONFIGURED: std::sync::Once = std::sync::Once::new();
    CONFIGURED.call_once(|| {
        Device::flex()
            .configure(FloatDType::F64)
            .expect("flex supports f64")
    });
    Device::flex()
}

fn data(values: Vec<f64>, shape: [usize; 3], device: &Device) -> Tensor<3> {
    Tensor::from_data(TensorData::new(values, shape), device)
}

/// A fixed pseudo-random sequence in [−1, 1).
fn pseudo_random(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = sglab::rng::rng(seed, 0);
    sglab::weights::WeightInit::Uniform { low: -1.0, high: 1.0 }.sample(1, n, &mut rng)
}

/// L = Σ logits ⊙ R for a fixed random R, so every logit matters with its own weight.
fn loss(net: &Network, x: &Tensor<3>, r: &Tensor<3>) -> Tensor<1> {
    (net.forward(x.clone()).unwrap().logits * r.clone()).sum()
}

/// A checked parameter of layer `l`: its tensor (to read its value and gradient) and a setter.
struct Checked {
    name: &'static str,
    get: fn(&Network, usize) -> TensorOfRank,
    set: fn(&mut Network, usize, Vec<f64>, &Device),
}

/// A parameter is a matrix or a vector.
enum TensorOfRank {
    Two(Tensor<2>),
    One(Tensor<1>),
}

impl TensorOfRank {
    fn values(&self) -> Vec<f64> {
        match self {
            TensorOfRank::Two(t) => values(t.clone().detach()),
            TensorOfRank::One(t) => values(t.clone().detach()),
        }
    }
    fn grad(&self, grads: &sglab::burn::tensor::Gradients) -> Option<Vec<f64>> {
        match self {
            TensorOfRank::Two(t) => t.grad(grads).map(values),
            TensorOfRank::One(t) => t.grad(grads).map(values),
        }
    }
}

fn matrix_like(t: &Tensor<2>, v: Vec<f64>, device: &Device) -> Param<Tensor<2>> {
    Param::from_tensor(Tensor::from_data(TensorData::new(v, t.dims()), device).require_grad())
}

fn vector_of(v: Vec<f64>, device: &Device) -> Param<Tensor<1>> {
    let n = v.len();
    Param::from_tensor(Tensor::from_data(TensorData::new(v, [n]), device).require_grad())
}

fn params() -> Vec<Checked> {
    vec![
        Checked {
            name: "W_in",
            get: |n, l| TensorOfRank::Two(n.layers[l].input_weights().val()),
            set: |n, l, v, d| {
                let lif = lif_mut(n, l);
                lif.w_in = matrix_like(&lif.w_in.val(), v, d)
            },
        },
        Checked {
            name: "W_rec",
            get: |n, l| TensorOfRank::Two(n.layers[l].recurrent_weights().expect("recurrent layers").val()),
            set: |n, l, v, d| {
                let lif = lif_mut(n, l);
                let w_rec = lif.w_rec.as_ref().expect("recurrent layers").val();
                lif.w_rec = Some(matrix_like(&w_rec, v, d))
            },
        },
        Checked {
            name: "tau",
            get: |n, l| TensorOfRank::One(n.layers[l].lif_membrane().unwrap().tau.val()),
            set: |n, l, v, d| lif_mut(n, l).tau = vector_of(v, d),
        },
        Checked {
            name: "threshold",
            get: |n, l| TensorOfRank::One(n.layers[l].lif_membrane().unwrap().threshold.val()),
            set: |n, l, v, d| lif_mut(n, l).threshold = vector_of(v, d),
        },
    ]
}

/// The LIF parameters of a LIF or ALIF layer (the models this test checks).
fn lif_mut(net: &mut Network, layer: usize) -> &mut sglab::neuron::Lif {
    match &mut net.layers[layer] {
        sglab::neuron::Layer::Lif(lif) => lif,
        sglab::neuron::Layer::Alif(alif) => &mut alif.lif,
        sglab::neuron::Layer::Qif(_) => panic!("the finite-difference check covers LIF and ALIF"),
    }
}

fn check(neuron: NeuronConfig, implementation: Implementation) {
    let device = f64_flex().autodiff();
    let surrogate = Surrogate::new(Shape::FastSigmoid, 1.0, 1.0).unwrap();
    let spike = SpikeFn::new(surrogate)
        .with_implementation(implementation)
        .with_forward(Forward::Smooth)
        .unwrap();
    let config = NetworkConfig::new(INPUTS, vec![4, 3], 2)
        .with_neuron(neuron.clone())
        .with_seed(11);
    let mut net = config.init_with_spike_fn(spike, &device).unwrap();
    let x = data(pseudo_random(STEPS * BATCH * INPUTS, 1), [STEPS, BATCH, INPUTS], &device);
    let r = data(pseudo_random(STEPS * BATCH * 2, 2), [STEPS, BATCH, 2], &device);

    let grads = loss(&net, &x, &r).backward();
    let h = 1e-6;
    for p in params() {
        for layer in 0..2 {
            if p.name == "W_rec" && !net.layers[layer].is_recurrent() {
                continue;
            }
            let param = (p.get)(&net, layer);
            let analytic = param.grad(&grads).unwrap_or_else(|| {
                panic!("{} of layer {layer} got no gradient ({neuron:?})", p.name)
            });
            let base = param.values();
            for i in 0..base.len() {
                let mut at = |delta: f64| {
                    let mut v = base.clone();
                    v[i] += delta;
                    (p.set)(&mut net, layer, v, &device);
                    let l = values(loss(&net, &x, &r).detach())[0];
                    (p.set)(&mut net, layer, base.clone(), &device);
                    l
                };
                let fd = (at(h) - at(-h)) / (2.0 * h);
                assert!(
                    (analytic[i] - fd).abs() <= 1e-6 * (1.0 + fd.abs()),
                    "{neuron:?} {implementation:?}: ∂L/∂{}[{layer}][{i}] = {} by BPTT, {fd} by finite differences",
                    p.name,
                    analytic[i]
                );
            }
        }
    }
}

fn lif(reset: Reset) -> LifConfig {
    LifConfig::new()
        .with_reset(reset)
        .with_tau(5.0)
        .with_learn_tau(true)
        .with_learn_threshold(true)
}

#[test]
fn lif_subtractive_reset_matches_finite_differences() {
    for imp in [Implementation::CustomBackward, Implementation::Injection] {
        check(NeuronConfig::Lif(lif(Reset::Subtract)), imp);
    }
}

#[test]
fn lif_multreset1_matches_finite_differences() {
    check(NeuronConfig::Lif(lif(Reset::MultReset1)), Implementation::CustomBackward);
}

#[test]
fn lif_multreset2_matches_finite_differences() {
    check(NeuronConfig::Lif(lif(Reset::MultReset2)), Implementation::CustomBackward);
}

#[test]
fn feed_forward_lif_matches_finite_differences() {
    for reset in [Reset::Subtract, Reset::MultReset2] {
        check(NeuronConfig::Lif(lif(reset).with_recurrent(false)), Implementation::CustomBackward);
    }
}

#[test]
fn alif_matches_finite_differences() {
    let alif = AlifConfig::new()
        .with_lif(lif(Reset::Subtract))
        .with_tau_adaptation(8.0)
        .with_beta_adaptation(0.5)
        .with_learn_adaptation(true);
    for imp in [Implementation::CustomBackward, Implementation::Injection] {
        check(NeuronConfig::Alif(alif.clone()), imp);
    }
}

#[test]
fn computation_really_is_f64() {
    let device = f64_flex();
    let t = Tensor::<1>::from_data(TensorData::new(vec![1.0f64 + 1e-12], [1]), &device);
    // In f32 the difference would round to 0.
    assert_eq!(values(t - 1.0)[0], (1.0f64 + 1e-12) - 1.0);
}
