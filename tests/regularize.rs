//! Schedules at their boundaries and the rate losses against hand-computed values.

use sglab::validate::Validate;
use sglab::burn::Tensor;
use sglab::burn::tensor::TensorData;
use sglab::regularize::{RateLoss, RateRegularizer, Schedule};

#[test]
fn linear_ramp_is_zero_before_20_percent_and_one_after_60() {
    let s = Schedule::linear_ramp();
    assert_eq!(s.value(0.0, 0.0), 0.0);
    assert_eq!(s.value(0.2, 0.0), 0.0);
    assert!((s.value(0.4, 0.0) - 0.5).abs() < 1e-12);
    assert!((s.value(0.3, 0.0) - 0.25).abs() < 1e-12);
    assert_eq!(s.value(0.6, 0.0), 1.0);
    assert_eq!(s.value(0.9, 0.0), 1.0);
}

#[test]
fn exponential_switch_contracts_one_minus_s_by_the_factor_per_batch() {
    let s = Schedule::default();
    assert_eq!(s, Schedule::ExponentialSwitch { start: 0.2, end: 0.75, factor: 0.6 });
    assert_eq!(s.value(0.19, 0.0), 0.0);
    // From s = 0 at the start: 1 − 0.6 = 0.4, then 1 − 0.6·0.6 = 0.64, then 0.784 …
    let mut v = 0.0;
    let mut values = Vec::new();
    for _ in 0..3 {
        v = s.value(0.2, v);
        values.push(v);
    }
    for (got, want) in values.iter().zip([0.4, 0.64, 0.784]) {
        assert!((got - want).abs() < 1e-12, "{values:?}");
    }
    // After 10 batches 1 − s = 0.6¹⁰ ≈ 0.006.
    for _ in 3..10 {
        v = s.value(0.5, v);
    }
    assert!((v - (1.0 - 0.6f64.powi(10))).abs() < 1e-12);
    assert_eq!(s.value(0.76, 0.3), 1.0);
}

#[test]
fn hard_switch_cosine_constant_and_off() {
    let hard = Schedule::HardSwitch { at: 0.5 };
    assert_eq!((hard.value(0.4999, 0.0), hard.value(0.5, 0.0)), (0.0, 1.0));
    let cos = Schedule::Cosine { start: 0.2, end: 0.6 };
    assert_eq!(cos.value(0.2, 0.0), 0.0);
    assert!((cos.value(0.4, 0.0) - 0.5).abs() < 1e-12);
    assert!((cos.value(0.3, 0.0) - 0.5 * (1.0 - (std::f64::consts::PI / 4.0).cos())).abs() < 1e-12);
    assert_eq!(cos.value(0.6, 0.0), 1.0);
    assert_eq!(Schedule::Constant.value(0.0, 0.0), 1.0);
    assert_eq!(Schedule::Off.value(1.0, 1.0), 0.0);
    assert!(Schedule::LinearRamp { start: 0.6, end: 0.2 }.validate().is_err());
    assert!(Schedule::ExponentialSwitch { start: 0.1, end: 0.5, factor: 1.0 }.validate().is_err());
}

/// Spikes of T = 2 steps, B = 2 samples, N = 2 neurons:
/// t0: [[1, 0], [1, 1]], t1: [[1, 0], [0, 0]].
fn spikes() -> Tensor<3> {
    let device = sglab::device("flex").unwrap();
    Tensor::from_data(TensorData::new(vec![1.0f32, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0], [2, 2, 2]), &device)
}

#[test]
fn absolute_rate_loss_matches_the_hand_computed_value() {
    // Time-averaged rates per (b, i): b0 = [1, 0], b1 = [0.5, 0.5]; f = 0.1:
    // mean |r − f| = (0.9 + 0.1 + 0.4 + 0.4)/4 = 0.45.
    let reg = RateRegularizer { weight: 2.0, target: 0.1, form: RateLoss::Absolute, schedule: Schedule::Constant };
    let one = reg.layer_loss(spikes()).into_scalar::<f64>();
    assert!((one - 0.45).abs() < 1e-6, "{one}");
    // λ s Σ_l over two identical layers with s = 0.5: 2 · 0.5 · 0.9.
    let total = reg.loss(&[spikes(), spikes()], 0.5).unwrap().into_scalar::<f64>();
    assert!((total - 0.9).abs() < 1e-6, "{total}");
    assert!(reg.loss(&[spikes()], 0.0).is_none());
}

#[test]
fn squared_per_step_rate_loss_matches_the_hand_computed_value() {
    // Population rate per step: t0 = 3/4, t1 = 1/4; f = 0.5: mean of 0.0625 and 0.0625.
    let reg = RateRegularizer { weight: 1.0, target: 0.5, form: RateLoss::SquaredPerStep, schedule: Schedule::Constant };
    let v = reg.layer_loss(spikes()).into_scalar::<f64>();
    assert!((v - 0.0625).abs() < 1e-6, "{v}");
}
