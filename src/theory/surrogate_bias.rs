//! Surrogate gradients can be biased (Gygax & Zenke 2024, claim 6; other_seeds.md §A.5): in a
//! network of steep sigmoids the surrogate derivative can have the opposite sign of the true
//! derivative, so descent along it stops at a point that is not a minimum.
//!
//! The paper's network, its input weight w the only free parameter:
//!
//! ```text
//! g = s(w x),   h₁ = s(v₁ g),   h₂ = s(v₂ g),   y = s(u₁ h₁ + u₂ h₂),   s(z) = 1/(1 + e^{−βz})
//! ```
//!
//! with x = 1, v₁ = 0.05, v₂ = 0.1, u₁ = 1, u₂ = −1 and β = 100. By the chain rule,
//!
//! ```text
//! dy/dw = s′(u₁h₁ + u₂h₂) · (u₁ v₁ s′(v₁ g) + u₂ v₂ s′(v₂ g)) · s′(w x) · x
//! ```
//!
//! where s′_β(z) = β s(βz)(1 − s(βz)). The surrogate derivative evaluates the same product on
//! the same forward values with every s′_β replaced by s′_{β_SG} of a flatter steepness
//! β_SG < β; with β_SG = β it is the true derivative. Only the middle factor can change sign:
//! with β = 100 it turns positive at g ≈ 0.21 (the minimum of y, y ≈ 3·10⁻⁷ at w ≈ −0.013);
//! with β_SG = 30 at g ≈ 0.72 (w ≈ 0.009, y ≈ 0.06), where the true derivative is ≈ 15; with
//! β_SG = 15 never, so descent along it runs to large w, where y ≈ 0.34.

/// The network of the module docs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BiasNetwork {
    /// The input x.
    pub x: f64,
    /// The hidden weights v₁, v₂.
    pub v: [f64; 2],
    /// The output weights u₁, u₂.
    pub u: [f64; 2],
    /// The steepness β of the forward pass.
    pub beta: f64,
}

impl Default for BiasNetwork {
    /// The paper's: x = 1, v = (0.05, 0.1), u = (1, −1), β = 100.
    fn default() -> Self {
        BiasNetwork { x: 1.0, v: [0.05, 0.1], u: [1.0, -1.0], beta: 100.0 }
    }
}

fn logistic(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// s′_β(z) = β s(βz)(1 − s(βz)).
fn slope(z: f64, beta: f64) -> f64 {
    let s = logistic(beta * z);
    beta * s * (1.0 - s)
}

impl BiasNetwork {
    /// The forward values (g, h₁, h₂, y) at w.
    fn forward(&self, w: f64) -> (f64, f64, f64, f64) {
        let s = |z: f64| logistic(self.beta * z);
        let g = s(w * self.x);
        let (h1, h2) = (s(self.v[0] * g), s(self.v[1] * g));
        (g, h1, h2, s(self.u[0] * h1 + self.u[1] * h2))
    }

    /// The output y(w).
    pub fn output(&self, w: f64) -> f64 {
        self.forward(w).3
    }

    /// dy/dw with every s′ taken at steepness `backward` (module docs): the true derivative
    /// when `backward` is the forward's β, the surrogate derivative otherwise.
    pub fn derivative(&self, w: f64, backward: f64) -> f64 {
        let (g, h1, h2, _) = self.forward(w);
        let hidden = self.u[0] * self.v[0] * slope(self.v[0] * g, backward) + self.u[1] * self.v[1] * slope(self.v[1] * g, backward);
        slope(self.u[0] * h1 + self.u[1] * h2, backward) * hidden * slope(w * self.x, backward) * self.x
    }

    /// Gradient descent on y from `start`: `steps` steps w ← w − lr · dy/dw with the derivative
    /// at steepness `backward`. Returns the final w.
    pub fn descend(&self, start: f64, lr: f64, steps: usize, backward: f64) -> f64 {
        (0..steps).fold(start, |w, _| w - lr * self.derivative(w, backward))
    }
}
