//! The spike op on every backend: forward exactly 0/1, gradient exactly σ′ for both
//! implementations, the implementations agree, smooth forward, user surrogates.

mod common;

use common::{assert_close, backends, tensor1, values};
use sglab::burn::Tensor;
use sglab::spike::{Forward, Implementation, SpikeFn, heaviside, spike};
use sglab::surrogate::{Shape, Surrogate};

fn xs() -> Vec<f64> {
    // Includes exact zeros (H(0) = 0: strict inequality) and far values.
    let mut v: Vec<f64> = (-40..=40).map(|k| k as f64 * 0.0625).collect();
    v.extend([-1e6, -30.0, 0.0, 30.0, 1e6]);
    v
}

fn surrogates() -> Vec<Surrogate> {
    let mut shapes = Shape::PAPER_SIX.to_vec();
    shapes.extend([Shape::PseudoSpike { tail: 1.56 }, Shape::Cauchy, Shape::Arctan]);
    shapes
        .into_iter()
        .flat_map(|s| [(1.0, 1.0), (0.3, 2.5)].map(|(g, b)| Surrogate::new(s, g, b).unwrap()))
        .collect()
}

/// The input gradient of Σ w ⊙ spike(x) for weights w, i.e. w ⊙ ∂z/∂x.
fn weighted_grad(spike_fn: &SpikeFn, x: &[f64], w: &[f64], device: &sglab::burn::tensor::Device) -> (Vec<f64>, Vec<f64>) {
    let device = device.clone().autodiff();
    let xt = tensor1(x, &device).require_grad();
    let wt = tensor1(w, &device);
    let z = spike(xt.clone(), spike_fn);
    let grads = (z.clone() * wt).sum().backward();
    (values(z), values(xt.grad(&grads).unwrap()))
}

#[test]
fn forward_is_exactly_heaviside() {
    let x = xs();
    let expected: Vec<f64> = x.iter().map(|&v| if v > 0.0 { 1.0 } else { 0.0 }).collect();
    for (kind, device) in backends() {
        for s in surrogates() {
            for imp in [Implementation::CustomBackward, Implementation::Injection] {
                let f = SpikeFn::new(s).with_implementation(imp);
                let (z, _) = weighted_grad(&f, &x, &vec![1.0; x.len()], &device);
                assert_eq!(z, expected, "{kind} {s} {imp:?}");
            }
        }
        assert_eq!(values(heaviside(tensor1(&x, &device))), expected, "{kind}");
    }
}

#[test]
fn gradient_is_exactly_the_surrogate_for_both_implementations() {
    let x = xs();
    let w: Vec<f64> = (0..x.len()).map(|i| 0.5 + (i % 7) as f64 * 0.25).collect();
    for (kind, device) in backends() {
        for s in surrogates() {
            let expected: Vec<f64> = x.iter().zip(&w).map(|(&v, &wi)| wi * s.derivative(v)).collect();
            let mut per_impl = Vec::new();
            for imp in [Implementation::CustomBackward, Implementation::Injection] {
                let f = SpikeFn::new(s).with_implementation(imp);
                let (_, g) = weighted_grad(&f, &x, &w, &device);
                // Rectangle edges at ±1/(2β) are decided by f32 rounding; none of xs lies there
                // for β ∈ {1, 2.5} except ±0.5 for β = 1, where f32 is exact.
                assert_close(&g, &expected, 1e-6, 1e-6, &format!("{kind} {s} {imp:?}"));
                per_impl.push(g);
            }
            assert_close(&per_impl[0], &per_impl[1], 1e-7, 0.0, &format!("{kind} {s}: implementations"));
        }
    }
}

#[test]
fn smooth_forward_is_the_antiderivative_with_the_same_gradient() {
    let x: Vec<f64> = (-20..=20).map(|k| k as f64 * 0.1).collect();
    for (kind, device) in backends() {
        for s in surrogates() {
            let value: Vec<f64> = x.iter().map(|&v| s.antiderivative(v)).collect();
            let slope: Vec<f64> = x.iter().map(|&v| s.derivative(v)).collect();
            for imp in [Implementation::CustomBackward, Implementation::Injection] {
                let f = SpikeFn::new(s)
                    .with_implementation(imp)
                    .with_forward(Forward::Smooth)
                    .unwrap();
                let (z, g) = weighted_grad(&f, &x, &vec![1.0; x.len()], &device);
                let what = format!("{kind} {s} {imp:?}");
                assert_close(&z, &value, 1e-6, 1e-5, &what);
                assert_close(&g, &slope, 1e-6, 1e-6, &what);
            }
        }
    }
}

#[test]
fn user_surrogate_closure_runs_through_injection() {
    // σ′(x) = 1/(1 + |x|)², written by hand with tensor ops.
    let f = SpikeFn::custom_fn("hand-fast-sigmoid", |x: Tensor<1>| {
        (x.abs() + 1.0).powi_scalar(2).recip()
    });
    let x = xs();
    for (kind, device) in backends() {
        let (z, g) = weighted_grad(&f, &x, &vec![1.0; x.len()], &device);
        let h: Vec<f64> = x.iter().map(|&v| if v > 0.0 { 1.0 } else { 0.0 }).collect();
        let expected: Vec<f64> = x.iter().map(|&v| 1.0 / (1.0 + v.abs()).powi(2)).collect();
        assert_eq!(z, h, "{kind}");
        assert_close(&g, &expected, 1e-7, 1e-6, &format!("{kind} custom"));
    }
    assert!(f.clone().with_forward(Forward::Smooth).is_err());
    assert!(format!("{f:?}").contains("hand-fast-sigmoid"));
}

#[test]
fn spike_op_keeps_higher_rank_shapes() {
    let s = Surrogate::new(Shape::Triangular, 0.5, 1.5).unwrap();
    for (kind, device) in backends() {
        let device = device.autodiff();
        let x = Tensor::<3>::random([3, 2, 5], sglab::burn::tensor::Distribution::Normal(0.0, 1.0), &device)
            .require_grad();
        for f in [
            SpikeFn::new(s),
            SpikeFn::new(s).with_implementation(Implementation::Injection),
        ] {
            let z = f.apply(x.clone());
            assert_eq!(z.dims(), [3, 2, 5], "{kind}");
            let g = x.grad(&z.sum().backward()).unwrap();
            let expected: Vec<f64> = values(x.clone()).iter().map(|&v| s.derivative(v)).collect();
            assert_close(&values(g), &expected, 1e-6, 1e-6, &format!("{kind} rank 3"));
        }
    }
}
