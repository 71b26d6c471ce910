//! Adamax (Kingma & Ba 2015, Algorithm 2; `torch.optim.Adamax`), DECOLLE's optimiser
//! (stable_spike.md §7: β = (0, 0.95), lr 1e-3 on N-MNIST, 3.6e-4 on DVS Gesture).
//!
//! For each parameter θ with gradient g_t at step t = 1, 2, …, from m_0 = u_0 = 0:
//!
//! ```text
//! m_t = β₁ m_{t−1} + (1 − β₁) g_t
//! u_t = max(β₂ u_{t−1}, |g_t| + ε)                  the infinity norm in place of Adam's √v
//! θ_t = θ_{t−1} − lr / (1 − β₁^t) · m_t / u_t
//! ```
//!
//! (PyTorch's placement of ε.) With β₁ = 0, as in DECOLLE, the step is lr · g_t / u_t: a
//! per-weight step of at most lr, normalised by the largest recent gradient magnitude.
//! The state is burn's [`AdaptiveMomentumState`] (`moment_1` = m, `moment_2` = u, `time` = t),
//! so checkpoints record and restore it like Adam's.

use burn::optim::{AdaptiveMomentumState, LearningRate, Optimizer};
use burn::tensor::{Device, Tensor};

/// The Adamax rule (module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Adamax {
    /// β₁.
    pub beta1: f64,
    /// β₂.
    pub beta2: f64,
    /// ε.
    pub epsilon: f64,
}

impl Optimizer for Adamax {
    type State<const D: usize> = AdaptiveMomentumState<D>;

    fn step<const D: usize>(&self, lr: LearningRate, tensor: Tensor<D>, grad: Tensor<D>, state: Option<Self::State<D>>) -> (Tensor<D>, Option<Self::State<D>>) {
        let magnitude = grad.clone().abs().add_scalar(self.epsilon);
        let (time, m, u) = match state {
            Some(s) => (
                s.time + 1,
                s.moment_1.mul_scalar(self.beta1) + grad.mul_scalar(1.0 - self.beta1),
                s.moment_2.mul_scalar(self.beta2).max_pair(magnitude),
            ),
            None => (1, grad.mul_scalar(1.0 - self.beta1), magnitude),
        };
        let correction = 1.0 - self.beta1.powi(time as i32);
        let update = m.clone().div(u.clone()).mul_scalar(lr / correction);
        (tensor - update, Some(AdaptiveMomentumState::new(time, m, u)))
    }

    fn to_device<const D: usize>(mut state: Self::State<D>, device: &Device) -> Self::State<D> {
        state.moment_1 = state.moment_1.to_device(device);
        state.moment_2 = state.moment_2.to_device(device);
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three steps on one weight, against the rule worked by hand: g = (0.5, −2, 0.1),
    /// β = (0.9, 0.95), lr 0.1, ε = 0 (exact in f32 to 1e-6).
    ///
    /// t=1: m = 0.05,   u = 0.5,              θ −= 0.1/0.1 · 0.05/0.5          = 0.1
    /// t=2: m = −0.155, u = max(0.475, 2) = 2, θ −= 0.1/0.19 · (−0.155)/2      = −0.0407895
    /// t=3: m = −0.1295,u = max(1.9, 0.1) = 1.9, θ −= 0.1/0.271 · (−0.1295)/1.9 = −0.0251505
    #[test]
    fn three_steps_match_the_rule_by_hand() {
        let device = Device::default();
        let rule = Adamax { beta1: 0.9, beta2: 0.95, epsilon: 0.0 };
        let mut theta = Tensor::<1>::from_floats([1.0], &device);
        let mut state = None;
        for g in [0.5, -2.0, 0.1] {
            let (next, s) = rule.step(0.1, theta, Tensor::<1>::from_floats([g], &device), state);
            theta = next;
            state = s;
        }
        let expected = 1.0 - 0.1 + 0.155 / 0.19 * 0.1 / 2.0 + 0.1295 / 0.271 * 0.1 / 1.9;
        let got = theta.into_scalar::<f64>();
        assert!((got - expected).abs() < 1e-6, "{got} vs {expected}");
        let s = state.expect("a state");
        assert_eq!(s.time, 3);
        assert!((s.moment_2.into_scalar::<f64>() - 1.9).abs() < 1e-6);
    }

    /// With β₁ = 0 the first step moves every weight by lr·sign(g) (u = |g|), whatever |g|.
    #[test]
    fn first_step_without_momentum_is_a_sign_step() {
        let device = Device::default();
        let rule = Adamax { beta1: 0.0, beta2: 0.95, epsilon: 0.0 };
        let theta = Tensor::<1>::from_floats([0.0, 0.0, 0.0], &device);
        let grad = Tensor::<1>::from_floats([3.0, -1e-3, 0.25], &device);
        let (next, _) = rule.step(0.01, theta, grad, None);
        let got: Vec<f32> = next.into_data().try_to_vec::<f32>().expect("f32 values");
        for (g, e) in got.iter().zip([-0.01f32, 0.01, -0.01]) {
            assert!((g - e).abs() < 1e-7, "{got:?}");
        }
    }
}
