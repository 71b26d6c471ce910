//! Surrogate gradients are not gradients of any function (Gygax & Zenke 2024, claim 5;
//! other_seeds.md §A.5): their line integral around a closed loop in parameter space is not zero.
//!
//! The toy network of the paper's demonstration has five parameters θ = (w, v₁, v₂, u₁, u₂) and
//! input x = 1:
//!
//! ```text
//! g = s(w x),   h₁ = s(v₁ g),   h₂ = s(v₂ g),   y = s(u₁ h₁ + u₂ h₂)
//! ```
//!
//! where s is the spike op: the Heaviside step with the surrogate σ′_β backward (the spiking
//! network and its surrogate gradient), or the sigmoid σ_β itself with its exact derivative (the
//! smooth network). σ′_β(z) = β σ(βz)(1 − σ(βz)) is sglab's ∂sigmoid surrogate with peak β/4 and
//! sharpness β/4 ([`Surrogate::logistic`]), whose antiderivative is exactly σ_β, so both networks come from one
//! [`SpikeFn`] with a Heaviside or a smooth forward.
//!
//! On the circle θ(φ) = θ₀ + R (sin φ d₁ + cos φ d₂) spanned by two orthonormal directions, the
//! loop integral is ∮ ∇y · dθ ≈ Σ_k ∇y(θ(φ_k + Δφ/2)) · (θ(φ_{k+1}) − θ(φ_k)) (midpoint rule,
//! K points). For the smooth network it is zero up to O(K⁻²); for the surrogate gradient it is
//! not, so no scalar function has the surrogate gradient as its gradient.

use burn::Tensor;
use burn::tensor::{Device, TensorData};
use rand_distr::{Distribution, StandardNormal};

use crate::spike::{Forward, SpikeFn};
use crate::surrogate::Surrogate;

/// The five parameters of the toy network.
pub const PARAMETERS: usize = 5;

/// Which field is integrated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The surrogate gradient of the spiking (Heaviside) network.
    Surrogate,
    /// The exact gradient of the smooth (sigmoid) network.
    Smooth,
}

/// The spike op for steepness β: σ′_β ([`Surrogate::logistic`]) backward.
fn spike_fn(beta: f64, field: Field) -> SpikeFn {
    let surrogate = Surrogate::logistic(beta).expect("β > 0");
    let forward = match field {
        Field::Surrogate => Forward::Heaviside,
        Field::Smooth => Forward::Smooth,
    };
    SpikeFn::new(surrogate).with_forward(forward).expect("built-in surrogates have both forwards")
}

/// y(θ) and the field (∇y or the surrogate gradient) at θ, on the autodiff `device`.
pub fn output_and_field(theta: &[f64; PARAMETERS], beta: f64, field: Field, device: &Device) -> (f64, [f64; PARAMETERS]) {
    let s = spike_fn(beta, field);
    let params = Tensor::<1>::from_data(TensorData::new(theta.to_vec(), [PARAMETERS]), device).require_grad();
    let p = |i: usize| params.clone().slice([i..i + 1]);
    let x = 1.0;
    let g = s.apply(p(0) * x);
    let h1 = s.apply(p(1) * g.clone());
    let h2 = s.apply(p(2) * g);
    let y = s.apply(p(3) * h1 + p(4) * h2);
    let value = y.clone().into_scalar::<f64>();
    let grads = y.backward();
    let grad: Vec<f64> = crate::host_values(params.grad(&grads).expect("θ is tracked"));
    (value, grad.try_into().expect("five gradients"))
}

/// Two orthonormal directions in ℝ⁵ drawn from `seed` (Gram–Schmidt on Gaussian vectors).
pub fn random_plane(seed: u64) -> ([f64; PARAMETERS], [f64; PARAMETERS]) {
    let mut rng = crate::rng::rng(seed, 0x100F);
    let mut draw = || -> [f64; PARAMETERS] { std::array::from_fn(|_| StandardNormal.sample(&mut rng)) };
    let norm = |v: &[f64; PARAMETERS]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let mut d1 = draw();
    let n1 = norm(&d1);
    d1.iter_mut().for_each(|x| *x /= n1);
    let mut d2 = draw();
    let dot: f64 = d1.iter().zip(&d2).map(|(a, b)| a * b).sum();
    d2.iter_mut().zip(&d1).for_each(|(b, a)| *b -= dot * a);
    let n2 = norm(&d2);
    d2.iter_mut().for_each(|x| *x /= n2);
    (d1, d2)
}

/// A loop integral and its running sum along the path.
#[derive(Debug, Clone, PartialEq)]
pub struct LoopIntegral {
    /// Angles φ_k of the path points, 0 … 2π.
    pub angles: Vec<f64>,
    /// Running sum of ∇y · dθ up to each angle (starts at 0).
    pub running: Vec<f64>,
    /// The network output y at each angle.
    pub outputs: Vec<f64>,
    /// ∮ ∇y · dθ: the last running value.
    pub total: f64,
}

/// ∮ of `field` around the circle of radius `radius` about `center` in the plane (d₁, d₂) with
/// `points` segments (module docs), for sigmoid steepness `beta`.
pub fn loop_integral(
    center: &[f64; PARAMETERS],
    plane: &([f64; PARAMETERS], [f64; PARAMETERS]),
    radius: f64,
    points: usize,
    beta: f64,
    field: Field,
    device: &Device,
) -> LoopIntegral {
    let at = |phi: f64| -> [f64; PARAMETERS] { std::array::from_fn(|i| center[i] + radius * (phi.sin() * plane.0[i] + phi.cos() * plane.1[i])) };
    let step = std::f64::consts::TAU / points as f64;
    let (mut angles, mut running, mut outputs) = (vec![0.0], vec![0.0], vec![output_and_field(&at(0.0), beta, field, device).0]);
    let mut total = 0.0;
    for k in 0..points {
        let (a, b) = (at(k as f64 * step), at((k + 1) as f64 * step));
        let (_, grad) = output_and_field(&at((k as f64 + 0.5) * step), beta, field, device);
        total += (0..PARAMETERS).map(|i| grad[i] * (b[i] - a[i])).sum::<f64>();
        angles.push((k + 1) as f64 * step);
        running.push(total);
        outputs.push(output_and_field(&b, beta, field, device).0);
    }
    LoopIntegral { angles, running, outputs, total }
}
