//! The fused kernels against the reference path (per-step tensor operations under burn's
//! autodiff): spikes, logits and every parameter's gradient on random networks, for every
//! surrogate shape, every reset rule with and without a detached reset, learnable τ and ϑ,
//! sparse and dense inputs, one and several batch chunks, truncated BPTT, ALIF layers with
//! learnable adaptation (τ_a, β_a), and feed-forward LIF and ALIF layers (no W_rec).

mod common;

use common::{assert_close, values};
use sglab::BackendKind;
use sglab::burn::Tensor;
use sglab::burn::tensor::{Device, TensorData};
use sglab::fused::{Execution, runs_fused, runs_on_host};
use sglab::weights::WeightInit;
use sglab::network::{Network, NetworkConfig, time_averaged_cross_entropy};
use sglab::neuron::{AlifConfig, Layer, LifConfig, NeuronConfig, Reset};
use sglab::surrogate::{Shape, Surrogate};

const STEPS: usize = 24;
const INPUTS: usize = 14;
const CLASSES: usize = 3;

fn cpu_devices() -> Vec<(BackendKind, Device)> {
    BackendKind::compiled()
        .into_iter()
        .filter(|k| *k != BackendKind::Wgpu)
        .map(|k| (k, k.device().unwrap().autodiff()))
        .collect()
}

/// A 0/1 input with about `density` of its entries set, or (`binary` false) values in
/// {0, 0.5, 1.5}, from a fixed hash.
fn input(batch: usize, density: f64, binary: bool, device: &Device) -> Tensor<3> {
    input_of(STEPS, batch, density, binary, device)
}

/// [`input`] over `steps` steps.
fn input_of(steps: usize, batch: usize, density: f64, binary: bool, device: &Device) -> Tensor<3> {
    let v: Vec<f64> = (0..steps * batch * INPUTS)
        .map(|i| {
            let h = ((i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11) as f64 / (1u64 << 53) as f64;
            match (h < density, binary) {
                (false, _) => 0.0,
                (true, true) => 1.0,
                (true, false) => if h < density / 2.0 { 0.5 } else { 1.5 },
            }
        })
        .collect();
    Tensor::from_data(TensorData::new(v, [steps, batch, INPUTS]), device)
}

fn network(lif: LifConfig, surrogate: Surrogate, seed: u64, device: &Device) -> Network {
    network_of(NeuronConfig::Lif(lif), surrogate, seed, device)
}

/// A network of two layers of `neuron`.
fn network_of(neuron: NeuronConfig, surrogate: Surrogate, seed: u64, device: &Device) -> Network {
    NetworkConfig::new(INPUTS, vec![12, 9], CLASSES)
        .with_neuron(neuron)
        .with_surrogate(surrogate)
        .with_seed(seed)
        .init(device)
        .unwrap()
}

/// Per-layer spikes, logits, and (parameter name, gradient) pairs.
type Evaluation = (Vec<Vec<f64>>, Vec<f64>, Vec<(String, Vec<f64>)>);

/// Spikes, logits and the gradient of every parameter of the loss
/// CE(time-averaged logits) + Σ c ⊙ z¹ (a direct, uneven gradient into the first layer's spikes).
fn evaluate(net: &Network, x: Tensor<3>) -> Evaluation {
    evaluate_with(net, x, None)
}

/// [`evaluate`] of the training pass with dropout masks from `mask_seed` (the plain pass
/// without).
fn evaluate_with(net: &Network, x: Tensor<3>, mask_seed: Option<u64>) -> Evaluation {
    let [_, batch, _] = x.dims();
    let labels: Vec<usize> = (0..batch).map(|b| b % CLASSES).collect();
    let out = match mask_seed {
        Some(seed) => net.forward_training(x, seed).unwrap(),
        None => net.forward(x).unwrap(),
    };
    let [t, b, n] = out.spikes[0].dims();
    let weights: Vec<f64> = (0..t * b * n).map(|i| ((i * 37 % 11) as f64 - 5.0) * 1e-3).collect();
    let weights = Tensor::<3>::from_data(TensorData::new(weights, [t, b, n]), &out.spikes[0].device());
    let loss = time_averaged_cross_entropy(out.logits.clone(), &labels).unwrap() + (out.spikes[0].clone() * weights).sum();
    let grads = loss.backward();
    let mut g: Vec<(String, Option<Vec<f64>>)> = Vec::new();
    for (l, layer) in net.layers.iter().enumerate() {
        let membrane = layer.lif_membrane().expect("LIF layers");
        g.push((format!("layer {l} w_in"), layer.input_weights().val().grad(&grads).map(values)));
        if let Some(w_rec) = layer.recurrent_weights() {
            g.push((format!("layer {l} w_rec"), w_rec.val().grad(&grads).map(values)));
        }
        g.push((format!("layer {l} bias"), layer.bias().and_then(|b| b.val().grad(&grads)).map(values)));
        g.push((format!("layer {l} tau"), membrane.tau.val().grad(&grads).map(values)));
        g.push((format!("layer {l} threshold"), membrane.threshold.val().grad(&grads).map(values)));
        if let Layer::Alif(alif) = layer {
            g.push((format!("layer {l} tau_adaptation"), alif.tau_adaptation.val().grad(&grads).map(values)));
            g.push((format!("layer {l} beta_adaptation"), alif.beta_adaptation.val().grad(&grads).map(values)));
        }
    }
    g.push(("readout".into(), net.readout_weight.val().grad(&grads).map(values)));
    let g = g.into_iter().filter_map(|(name, v)| v.map(|v| (name, v))).collect();
    (out.spikes.iter().map(|s| values(s.clone())).collect(), values(out.logits), g)
}

/// Runs the same network fused and by reference and compares everything to 1e-5.
fn compare(net: Network, x: Tensor<3>, what: &str) {
    compare_with(net, x, what, None)
}

/// [`compare`] of the training pass with dropout masks from `mask_seed`.
fn compare_with(net: Network, x: Tensor<3>, what: &str, mask_seed: Option<u64>) {
    compare_within(net, x, what, mask_seed, 1e-5)
}

/// [`compare_with`] to the relative tolerance `tolerance` (of the largest entry, for gradients).
fn compare_within(net: Network, x: Tensor<3>, what: &str, mask_seed: Option<u64>, tolerance: f64) {
    assert!(net.uses_fused(&x), "{what}: the fused path must apply");
    let reference = net.clone().with_execution(Execution::Reference);
    assert!(!reference.uses_fused(&x));
    let fused = evaluate_with(&net, x.clone(), mask_seed);
    let by_reference = evaluate_with(&reference, x, mask_seed);
    for (l, a) in fused.0.iter().enumerate() {
        let rate = a.iter().sum::<f64>() / a.len() as f64;
        assert!(rate > 0.01 && rate < 0.9, "{what}: layer {l} rate {rate} leaves the test without spikes or silence");
    }
    assert_agree(&fused, &by_reference, what, tolerance);
}

/// Two [`evaluate`] results agree: the same spikes, logits to `tolerance`, and every gradient to
/// `tolerance` of its largest entry (none of them zero).
fn assert_agree(a: &Evaluation, b: &Evaluation, what: &str, tolerance: f64) {
    let ((spikes_a, logits_a, grads_a), (spikes_b, logits_b, grads_b)) = (a, b);
    for (l, (a, b)) in spikes_a.iter().zip(spikes_b).enumerate() {
        assert_eq!(a, b, "{what}: spikes of layer {l}");
    }
    assert_close(logits_a, logits_b, tolerance, tolerance, &format!("{what}: logits"));
    assert_eq!(grads_a.len(), grads_b.len(), "{what}: the same parameters have gradients");
    for ((name, a), (_, b)) in grads_a.iter().zip(grads_b) {
        let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(scale > 0.0, "{what}: {name} has a zero gradient");
        assert_close(a, b, tolerance * scale.max(1.0), tolerance, &format!("{what}: ∂L/∂{name}"));
    }
}

fn all_shapes() -> Vec<Surrogate> {
    let mut shapes: Vec<Shape> = Shape::PAPER_SIX.to_vec();
    shapes.extend([Shape::PseudoSpike { tail: 3.0 }, Shape::Cauchy, Shape::Arctan]);
    shapes.into_iter().map(|s| Surrogate::new(s, 0.8, 1.5).unwrap()).collect()
}

fn lif(reset: Reset, detach_reset: bool) -> LifConfig {
    LifConfig::new()
        .with_reset(reset)
        .with_detach_reset(detach_reset)
        .with_tau(6.0)
        .with_tau_spread(0.2)
        .with_threshold(0.6)
        .with_threshold_spread(0.2)
        .with_learn_tau(true)
        .with_learn_threshold(true)
        .with_input_init(WeightInit::GlorotUniform)
}

#[test]
fn fused_runs_on_the_cpu_backends() {
    for (kind, device) in cpu_devices() {
        assert!(runs_on_host(&device), "{kind:?} with autodiff");
        assert!(runs_on_host(&kind.device().unwrap()), "{kind:?}");
    }
    let device = BackendKind::Flex.device().unwrap();
    let net = network(LifConfig::new(), Surrogate::default(), 1, &device);
    let x64 = input(2, 0.2, true, &device).cast(sglab::burn::tensor::DType::F64);
    assert!(!net.uses_fused(&x64), "f64 input runs the reference path");
}

/// The CubeCL kernels on wgpu (a software Vulkan driver where no GPU exists), to 1e-4: against
/// the reference path on the same device for one network, and, for every surrogate shape (the
/// resets and detaching cycled through, so that all six reset rules appear), truncated BPTT and a
/// dense, valued input with a larger batch, against the host kernels on flex — which the tests
/// above hold to the reference path to 1e-5. Few steps and cases: on a software driver every
/// kernel's first compilation and every launch is slow, the reference path's most of all.
#[cfg(feature = "wgpu")]
#[test]
fn cubecl_kernels_match_the_reference_on_wgpu() {
    const STEPS_WGPU: usize = 8;
    let wgpu = BackendKind::Wgpu.device().unwrap().autodiff();
    let flex = BackendKind::Flex.device().unwrap().autodiff();
    assert!(runs_fused(&wgpu) && !runs_on_host(&wgpu), "wgpu runs the CubeCL kernels");
    let alif_net = network_of(alif(Reset::Subtract, false), Surrogate::default(), 20, &wgpu);
    assert!(!alif_net.uses_fused(&input_of(STEPS_WGPU, 2, 0.15, true, &wgpu)), "ALIF has no CubeCL kernel: the reference path on wgpu");
    let fast = Surrogate::new(Shape::FastSigmoid, 0.8, 1.5).unwrap();
    let net = network(lif(Reset::Subtract, false), fast, 20, &wgpu);
    compare_within(net, input_of(STEPS_WGPU, 5, 0.15, true, &wgpu), "wgpu against its reference path", None, 1e-4);

    let resets = [Reset::Subtract, Reset::MultReset1, Reset::MultReset2];
    let mut cases: Vec<(LifConfig, Surrogate, usize, usize, f64, bool, String)> = all_shapes()
        .into_iter()
        .enumerate()
        .map(|(s, surrogate)| (lif(resets[s % 3], s % 2 == 1), surrogate, 0, 5, 0.15, true, format!("{surrogate} {:?} detach {}", resets[s % 3], s % 2 == 1)))
        .collect();
    cases.push((lif(Reset::MultReset2, false), fast, 3, 5, 0.15, true, "multreset2 window 3".into()));
    cases.push((lif(Reset::Subtract, false), fast, 0, 40, 0.5, false, "B 40 dense valued".into()));
    // Feed-forward layers: the whole sequence in one launch per direction.
    cases.push((lif(Reset::Subtract, false).with_recurrent(false), fast, 0, 5, 0.3, true, "feed-forward subtract".into()));
    cases.push((lif(Reset::MultReset2, true).with_recurrent(false), fast, 3, 5, 0.3, true, "feed-forward multreset2 detach window 3".into()));
    for (s, (lif, surrogate, window, batch, density, binary, what)) in cases.into_iter().enumerate() {
        let on = |device: &Device| {
            let net = network(lif.clone(), surrogate, 30 + s as u64, device).with_truncation(window);
            let x = input_of(STEPS_WGPU, batch, density, binary, device);
            assert!(net.uses_fused(&x), "{what}: the fused path must apply");
            evaluate(&net, x)
        };
        assert_agree(&on(&wgpu), &on(&flex), &format!("wgpu {what}"), 1e-4);
    }
}

#[test]
fn every_shape_and_reset_matches_the_reference() {
    for (kind, device) in cpu_devices() {
        for (s, surrogate) in all_shapes().into_iter().enumerate() {
            for reset in [Reset::Subtract, Reset::MultReset1, Reset::MultReset2] {
                for detach_reset in [false, true] {
                    let net = network(lif(reset, detach_reset), surrogate, 10 + s as u64, &device);
                    let what = format!("{kind:?} {surrogate} {reset:?} detach {detach_reset}");
                    compare(net, input(5, 0.08, true, &device), &what);
                }
            }
        }
    }
}

/// An ALIF layer of [`lif`]: τ_a = 8 steps (ρ ≈ 0.88, so that a_t moves within the test's
/// 24 steps), β_a = 0.9, both spread and learnable.
fn alif(reset: Reset, detach_reset: bool) -> NeuronConfig {
    NeuronConfig::Alif(
        AlifConfig::new()
            .with_lif(lif(reset, detach_reset))
            .with_tau_adaptation(8.0)
            .with_beta_adaptation(0.9)
            .with_adaptation_spread(0.2)
            .with_learn_adaptation(true),
    )
}

#[test]
fn alif_matches_the_reference_for_every_shape_and_reset() {
    for (kind, device) in cpu_devices() {
        for (s, surrogate) in all_shapes().into_iter().enumerate() {
            for reset in [Reset::Subtract, Reset::MultReset1, Reset::MultReset2] {
                for detach_reset in [false, true] {
                    let net = network_of(alif(reset, detach_reset), surrogate, 40 + s as u64, &device);
                    let what = format!("ALIF {kind:?} {surrogate} {reset:?} detach {detach_reset}");
                    compare(net, input(5, 0.08, true, &device), &what);
                }
            }
        }
    }
}

#[test]
fn alif_with_truncation_several_chunks_and_dropout_matches_the_reference() {
    let device = BackendKind::Flex.device().unwrap().autodiff();
    let fast = Surrogate::new(Shape::FastSigmoid, 1.0, 1.0).unwrap();
    for reset in [Reset::Subtract, Reset::MultReset2] {
        for window in [1, 5] {
            let net = network_of(alif(reset, false), fast, 50, &device).with_truncation(window);
            compare(net, input(4, 0.1, true, &device), &format!("ALIF {reset:?} window {window}"));
        }
    }
    let net = network_of(alif(Reset::Subtract, false), fast, 51, &device);
    compare(net, input(70, 0.3, false, &device), "ALIF B 70 valued");
    let net = network_of(alif(Reset::MultReset2, true), fast, 52, &device).with_dropout(0.3);
    compare_with(net, input(6, 0.1, true, &device), "ALIF dropout", Some(9));
}

/// The adaptation matters in the tested networks: with β_a = 0 the same ALIF network (same
/// seed, so the same weights) spikes differently, so a kernel that ignored a_t would fail the
/// comparisons above.
#[test]
fn alif_adaptation_changes_the_spikes() {
    let device = BackendKind::Flex.device().unwrap().autodiff();
    let fast = Surrogate::new(Shape::FastSigmoid, 1.0, 1.0).unwrap();
    let NeuronConfig::Alif(adapting) = alif(Reset::Subtract, false) else { unreachable!() };
    let flat = NeuronConfig::Alif(adapting.clone().with_beta_adaptation(0.0).with_adaptation_spread(0.0));
    let x = input(5, 0.08, true, &device);
    let with = evaluate(&network_of(NeuronConfig::Alif(adapting), fast, 40, &device), x.clone());
    let without = evaluate(&network_of(flat, fast, 40, &device), x);
    assert_ne!(with.0[0], without.0[0], "β_a = 0 must change the first layer's spikes");
}

/// A feed-forward layer (`recurrent = false`): no W_rec, and the fused kernels skip the
/// recurrent product in both directions.
fn feed_forward(neuron: NeuronConfig) -> NeuronConfig {
    match neuron {
        NeuronConfig::Lif(c) => NeuronConfig::Lif(c.with_recurrent(false)),
        NeuronConfig::Alif(c) => NeuronConfig::Alif(c.clone().with_lif(c.lif.with_recurrent(false))),
        other => other,
    }
}

#[test]
fn feed_forward_layers_match_the_reference_for_every_shape_and_reset() {
    for (kind, device) in cpu_devices() {
        for (s, surrogate) in all_shapes().into_iter().enumerate() {
            for reset in [Reset::Subtract, Reset::MultReset1, Reset::MultReset2] {
                for detach_reset in [false, true] {
                    let neuron = feed_forward(NeuronConfig::Lif(lif(reset, detach_reset)));
                    let net = network_of(neuron, surrogate, 60 + s as u64, &device);
                    assert!(net.layers.iter().all(|l| !l.is_recurrent() && l.recurrent_weights().is_none()));
                    let what = format!("feed-forward {kind:?} {surrogate} {reset:?} detach {detach_reset}");
                    compare(net, input(5, 0.3, true, &device), &what);
                }
            }
            let reset = [Reset::Subtract, Reset::MultReset1, Reset::MultReset2][s % 3];
            let net = network_of(feed_forward(alif(reset, s % 2 == 1)), surrogate, 70 + s as u64, &device);
            compare(net, input(5, 0.3, true, &device), &format!("feed-forward ALIF {kind:?} {surrogate} {reset:?}"));
        }
    }
    let device = BackendKind::Flex.device().unwrap().autodiff();
    let fast = Surrogate::new(Shape::FastSigmoid, 1.0, 1.0).unwrap();
    for window in [1, 5] {
        let net = network_of(feed_forward(NeuronConfig::Lif(lif(Reset::MultReset2, false))), fast, 80, &device).with_truncation(window);
        compare(net, input(4, 0.3, true, &device), &format!("feed-forward window {window}"));
    }
    let net = network_of(feed_forward(NeuronConfig::Lif(lif(Reset::Subtract, false))), fast, 81, &device);
    compare(net, input(70, 0.3, false, &device), "feed-forward B 70 valued");
}

/// The recurrence matters in the tested networks: the feed-forward network of the same seed has
/// the same input weights, τ and ϑ (W_rec has a random stream of its own) and spikes
/// differently, so a kernel that dropped z_{t−1}·W would fail the recurrent comparisons and one
/// that kept it would fail the feed-forward ones.
#[test]
fn feed_forward_layers_share_all_but_the_recurrence() {
    let device = BackendKind::Flex.device().unwrap().autodiff();
    let fast = Surrogate::new(Shape::FastSigmoid, 1.0, 1.0).unwrap();
    let recurrent = network_of(NeuronConfig::Lif(lif(Reset::Subtract, false)), fast, 60, &device);
    let forward = network_of(feed_forward(NeuronConfig::Lif(lif(Reset::Subtract, false))), fast, 60, &device);
    for (r, f) in recurrent.layers.iter().zip(&forward.layers) {
        assert_eq!(values(r.input_weights().val()), values(f.input_weights().val()));
        assert_eq!(values(r.lif_membrane().unwrap().tau.val()), values(f.lif_membrane().unwrap().tau.val()));
    }
    let x = input(5, 0.3, true, &device);
    assert_ne!(evaluate(&recurrent, x.clone()).0[0], evaluate(&forward, x).0[0], "W_rec must change the first layer's spikes");
}

#[test]
fn dense_and_valued_inputs_and_several_chunks_match_the_reference() {
    let surrogate = Surrogate::new(Shape::FastSigmoid, 1.0, 1.0).unwrap();
    for (kind, device) in cpu_devices() {
        for (batch, density, binary) in [(70, 0.05, true), (6, 0.6, true), (6, 0.1, false), (40, 0.5, false)] {
            let net = network(lif(Reset::Subtract, false), surrogate, 3, &device);
            let what = format!("{kind:?} B {batch} density {density} binary {binary}");
            compare(net, input(batch, density, binary, &device), &what);
        }
    }
}

#[test]
fn truncated_bptt_matches_the_reference_and_changes_the_gradient() {
    let surrogate = Surrogate::new(Shape::Sigmoid, 1.0, 2.0).unwrap();
    let device = BackendKind::Flex.device().unwrap().autodiff();
    for reset in [Reset::Subtract, Reset::MultReset1, Reset::MultReset2] {
        for window in [1, 5] {
            let net = network(lif(reset, false), surrogate, 7, &device).with_truncation(window);
            compare(net, input(4, 0.1, true, &device), &format!("{reset:?} window {window}"));
        }
        let x = input(4, 0.1, true, &device);
        let full = evaluate(&network(lif(reset, false), surrogate, 7, &device), x.clone());
        let cut = evaluate(&network(lif(reset, false), surrogate, 7, &device).with_truncation(5), x);
        assert_eq!(full.1, cut.1, "truncation leaves the forward pass unchanged");
        let w_rec = |g: &[(String, Vec<f64>)]| g.iter().find(|(n, _)| n == "layer 0 w_rec").unwrap().1.clone();
        let diff = w_rec(&full.2).iter().zip(w_rec(&cut.2)).fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
        assert!(diff > 1e-6, "{reset:?}: truncation must change ∂L/∂W_rec (max difference {diff})");
    }
}

#[test]
fn forward_without_autodiff_matches() {
    let device = BackendKind::Flex.device().unwrap();
    let net = network(lif(Reset::Subtract, false), Surrogate::default(), 4, &device);
    let x = input(33, 0.07, true, &device);
    let fused = net.forward(x.clone()).unwrap();
    let reference = net.with_execution(Execution::Reference).forward(x).unwrap();
    assert_eq!(values(fused.spikes[1].clone()), values(reference.spikes[1].clone()));
    assert_close(&values(fused.logits), &values(reference.logits), 1e-5, 1e-5, "logits");
}

/// Dropout on the layers' inputs (`sglab::dropout`): the fused and per-step paths draw the same
/// masks and agree on spikes, logits and every gradient; the mask zeroes a share p of its
/// entries (within 4 binomial standard deviations over 10⁵ draws) and scales the rest by
/// exactly 1/(1 − p); a one-layer network's training pass is its plain pass over x ⊙ mask; a
/// rate of 0 leaves the training pass equal to the plain one; and another seed gives other masks.
#[test]
fn dropout_draws_the_same_masks_on_both_paths_at_the_stated_rate() {
    for (kind, device) in cpu_devices() {
        let p = 0.3;
        let mask = values(sglab::dropout::mask([50, 40, 50], p, 7, 0, &device));
        let zeros = mask.iter().filter(|m| **m == 0.0).count() as f64;
        let n = mask.len() as f64;
        assert!((zeros / n - p).abs() < 4.0 * (p * (1.0 - p) / n).sqrt(), "{kind:?}: {zeros} of {n} dropped at p = {p}");
        let kept = (1.0 / (1.0 - p)) as f32 as f64;
        assert!(mask.iter().all(|m| *m == 0.0 || (m - kept).abs() < 1e-7), "{kind:?}: kept entries scaled by 1/(1 − p)");
        assert_ne!(mask, values(sglab::dropout::mask([50, 40, 50], p, 8, 0, &device)), "{kind:?}: another seed");

        let x = input(6, 0.3, true, &device);
        let net = network(lif(Reset::Subtract, true), Surrogate::default(), 5, &device);
        let (plain_spikes, plain_logits, _) = evaluate(&net, x.clone());
        let (same_spikes, same_logits, _) = evaluate_with(&net, x.clone(), Some(11));
        assert_eq!((plain_spikes, plain_logits), (same_spikes, same_logits), "{kind:?}: rate 0 is the plain pass");
        let dropped = net.with_dropout(p);
        compare_with(dropped.clone(), x.clone(), &format!("{kind:?} dropout"), Some(11));
        assert_ne!(evaluate_with(&dropped, x.clone(), Some(11)).1, evaluate(&dropped, x.clone()).1, "{kind:?}: dropout changes the training pass");

        let refused = NetworkConfig::new(INPUTS, vec![12], CLASSES).with_dropout(1.0).init(&device).unwrap_err();
        assert!(refused.to_string().contains("`dropout` must be a rate in [0, 1)"), "{refused}");
        let one = NetworkConfig::new(INPUTS, vec![12], CLASSES).with_neuron(NeuronConfig::Lif(lif(Reset::Subtract, true))).with_seed(5).with_dropout(0.5).init(&device).unwrap();
        let masked = x.clone() * sglab::dropout::mask(x.dims(), 0.5, 11, 0, &device);
        assert_eq!(values(one.forward_training(x, 11).unwrap().logits), values(one.forward(masked).unwrap().logits), "{kind:?}: layer 0's mask is stream 0 of the seed");
    }
}
