//! The surrogate-gradient neural tangent kernel (Eilers, Memmesheimer & Goedeke 2024;
//! other_seeds.md §C) of a network d → n → n → 1 in the NTK parametrisation,
//!
//! ```text
//! h¹ = (σ_w/√d) W¹ x + σ_b b¹,   h^{l+1} = (σ_w/√n) W^{l+1} φ(h^l) + σ_b b^{l+1},   f = h³
//! ```
//!
//! with W, b ~ N(0, 1) and φ = erf(m₁ ·) (m₁ = ∞: the sign function). Trained by gradient
//! descent with a surrogate derivative φ̃′ in the backward pass, its function-space dynamics are
//! governed, as n → ∞, by the fixed asymmetric kernel I(x, x′) = J(x) J̃(x′)ᵀ (J the Jacobian of
//! f in the parameters, J̃ the quasi-Jacobian with φ̃′). For inputs of equal norm it follows the
//! recursion
//!
//! ```text
//! Σ¹ = σ_w² ⟨x, x′⟩/d + σ_b²                  Θ¹ = Σ¹
//! Σ^{l+1} = σ_w² E[φ(u)φ(v)] + σ_b²           Θ^{l+1} = Θ^l Σ̇^l + Σ^{l+1}
//! Σ̇^l = σ_w² E[φ′(u) φ̃′(v)],   (u, v) ~ N(0, Σ^l)
//! ```
//!
//! with, for erf activations and the erf′ surrogate φ̃′ = d/dx erf(m₂ x) (c = 1/(2m²)):
//!
//! ```text
//! E[erf(m u) erf(m v)] = (2/π) arcsin(Σ₁₂ / √((c + Σ₁₁)(c + Σ₂₂)))          (c = 0 for sign)
//! E[φ′(u) φ̃′(v)]       = (2/π) [(c₁ + Σ₁₁)(c₂ + Σ₂₂) − Σ₁₂²]^{−1/2}          (finite for sign)
//! ```
//!
//! and for the identity surrogate φ̃′ = 1: E[φ′(u)] = √(2/π) (c₁ + Σ₁₁)^{−1/2}. The true NTK is the
//! same recursion with φ̃′ = φ′ (it diverges on the diagonal for the sign).
//!
//! After training to convergence on (X, Y) with the squared error, the network is a Gaussian
//! process ([`predict`]): mean μ(x) = I(x, X) I(X, X)⁻¹ Y and covariance
//! C = Σ(x, x) − Σ(x, X) Z − Zᵀ Σ(X, x) + Zᵀ Σ(X, X) Z with Z = I(X, X)⁻ᵀ I(x, X)ᵀ, Σ the NNGP
//! kernel of the output.

use std::f64::consts::PI;

/// The surrogate derivative used in the backward pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SurrogateDerivative {
    /// φ̃′ = d/dx erf(m₂ x) = (2m₂/√π) e^{−m₂²x²} (the paper's experiments: m₂ = 1).
    Erf {
        /// Its steepness m₂.
        m: f64,
    },
    /// φ̃′ = 1 (straight-through).
    Identity,
    /// φ̃′ = φ′, the true derivative: the ordinary NTK.
    True,
}

/// Network and kernel settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgNtk {
    /// Input dimension d.
    pub input_dim: usize,
    /// Hidden layers (the paper: 2).
    pub hidden_layers: usize,
    /// σ_w (the paper: 1).
    pub sigma_w: f64,
    /// σ_b (the paper: 0.1).
    pub sigma_b: f64,
    /// m₁ of the forward erf(m₁ x); `None` is the sign function.
    pub m_forward: Option<f64>,
    /// The backward's surrogate derivative.
    pub surrogate: SurrogateDerivative,
}

impl Default for SgNtk {
    /// The paper's Fig. 3: d = 2, two hidden layers, σ_w = 1, σ_b = 0.1, sign forward, erf′
    /// surrogate with m₂ = 1.
    fn default() -> Self {
        SgNtk { input_dim: 2, hidden_layers: 2, sigma_w: 1.0, sigma_b: 0.1, m_forward: None, surrogate: SurrogateDerivative::Erf { m: 1.0 } }
    }
}

/// The three entries (Σ₁₁, Σ₁₂, Σ₂₂) of a 2 × 2 covariance.
type Cov = (f64, f64, f64);

fn offset(m: Option<f64>) -> f64 {
    m.map_or(0.0, |m| 1.0 / (2.0 * m * m))
}

impl SgNtk {
    /// E[φ(u)φ(v)] for (u, v) ~ N(0, s).
    fn activation_kernel(&self, s: Cov) -> f64 {
        let c = offset(self.m_forward);
        let rho = (s.1 / ((c + s.0) * (c + s.2)).sqrt()).clamp(-1.0, 1.0);
        2.0 / PI * rho.asin()
    }

    /// E[φ′(u) φ̃′(v)] for (u, v) ~ N(0, s); infinite for the sign's true derivative at u = v.
    fn derivative_kernel(&self, s: Cov) -> f64 {
        let c1 = offset(self.m_forward);
        match self.surrogate {
            SurrogateDerivative::Erf { m } => 2.0 / PI / ((c1 + s.0) * (offset(Some(m)) + s.2) - s.1 * s.1).sqrt(),
            SurrogateDerivative::True => 2.0 / PI / ((c1 + s.0) * (c1 + s.2) - s.1 * s.1).sqrt(),
            SurrogateDerivative::Identity => (2.0 / PI).sqrt() / (c1 + s.0).sqrt(),
        }
    }

    /// The output's NNGP kernel Σ(x, x′) and the kernel I(x, x′) (module docs).
    pub fn kernels(&self, x: &[f64], y: &[f64]) -> (f64, f64) {
        let d = self.input_dim as f64;
        let (w2, b2) = (self.sigma_w * self.sigma_w, self.sigma_b * self.sigma_b);
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(p, q)| p * q).sum::<f64>();
        let mut s: Cov = (w2 * dot(x, x) / d + b2, w2 * dot(x, y) / d + b2, w2 * dot(y, y) / d + b2);
        let mut theta = s.1;
        for _ in 0..self.hidden_layers {
            let derivative = w2 * self.derivative_kernel(s);
            let next: Cov = (
                w2 * self.activation_kernel((s.0, s.0, s.0)) + b2,
                w2 * self.activation_kernel(s) + b2,
                w2 * self.activation_kernel((s.2, s.2, s.2)) + b2,
            );
            theta = theta * derivative + next.1;
            s = next;
        }
        (s.1, theta)
    }

    /// Σ and I between every point of `a` and every point of `b`, row-major `[a.len(), b.len()]`.
    pub fn kernel_matrices(&self, a: &[Vec<f64>], b: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>) {
        let (mut sigma, mut sg) = (Vec::with_capacity(a.len() * b.len()), Vec::with_capacity(a.len() * b.len()));
        for x in a {
            for y in b {
                let (s, i) = self.kernels(x, y);
                sigma.push(s);
                sg.push(i);
            }
        }
        (sigma, sg)
    }
}

/// The Gaussian process of the trained network at the test points.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// μ(x) per test point.
    pub mean: Vec<f64>,
    /// √C(x, x) per test point (the band is ±2 std).
    pub std: Vec<f64>,
    /// The NNGP posterior mean Σ(x, X) Σ(X, X)⁻¹ Y (the paper's dashed baseline).
    pub nngp_mean: Vec<f64>,
}

/// Errors of the kernel regression.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KernelError {
    /// Training inputs and targets of different lengths, or no training point.
    #[error("expected as many training targets as inputs (at least one), got {inputs} inputs and {targets} targets")]
    Lengths {
        /// Inputs.
        inputs: usize,
        /// Targets.
        targets: usize,
    },
    /// The kernel matrix on the training inputs cannot be solved with.
    #[error("the kernel matrix on the training inputs is singular (repeated inputs?)")]
    Singular,
}

/// Solves A Xs = B for a row-major `[n, n]` A and `[n, k]` B by Gaussian elimination with partial
/// pivoting.
fn solve(a: &[f64], b: &[f64], n: usize, k: usize) -> Result<Vec<f64>, KernelError> {
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    let scale = a.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(f64::MIN_POSITIVE);
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs())).expect("n > 0");
        if a[pivot * n + col].abs() <= 1e-13 * scale {
            return Err(KernelError::Singular);
        }
        for c in 0..n {
            a.swap(col * n + c, pivot * n + c);
        }
        for c in 0..k {
            b.swap(col * k + c, pivot * k + c);
        }
        for row in col + 1..n {
            let factor = a[row * n + col] / a[col * n + col];
            for c in col..n {
                a[row * n + c] -= factor * a[col * n + c];
            }
            for c in 0..k {
                b[row * k + c] -= factor * b[col * k + c];
            }
        }
    }
    let mut x = vec![0.0; n * k];
    for c in 0..k {
        for row in (0..n).rev() {
            let rest: f64 = (row + 1..n).map(|j| a[row * n + j] * x[j * k + c]).sum();
            x[row * k + c] = (b[row * k + c] - rest) / a[row * n + row];
        }
    }
    Ok(x)
}

fn transpose(m: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    (0..cols * rows).map(|k| m[(k % rows) * cols + k / rows]).collect()
}

/// The trained network's Gaussian process at `test` after training on (`train`, `targets`)
/// (module docs), and the NNGP baseline.
pub fn predict(kernel: &SgNtk, train: &[Vec<f64>], targets: &[f64], test: &[Vec<f64>]) -> Result<Prediction, KernelError> {
    let (n, t) = (train.len(), test.len());
    if n == 0 || targets.len() != n {
        return Err(KernelError::Lengths { inputs: n, targets: targets.len() });
    }
    let (sigma_xx, i_xx) = kernel.kernel_matrices(train, train);
    let (sigma_tx, i_tx) = kernel.kernel_matrices(test, train);
    // μ = I(x, X) I(X, X)⁻¹ Y  =  I(x, X) a  with  I(X, X) a = Y.
    let a = solve(&i_xx, targets, n, 1)?;
    let mean: Vec<f64> = (0..t).map(|r| (0..n).map(|j| i_tx[r * n + j] * a[j]).sum()).collect();
    // Z = I(X, X)⁻ᵀ I(x, X)ᵀ: solve I(X, X)ᵀ Z = I(x, X)ᵀ, Z is [n, t].
    let z = solve(&transpose(&i_xx, n, n), &transpose(&i_tx, t, n), n, t)?;
    let mut std = Vec::with_capacity(t);
    for r in 0..t {
        let zr: Vec<f64> = (0..n).map(|j| z[j * t + r]).collect();
        let cross: f64 = (0..n).map(|j| sigma_tx[r * n + j] * zr[j]).sum();
        let quad: f64 = (0..n).map(|i| zr[i] * (0..n).map(|j| sigma_xx[i * n + j] * zr[j]).sum::<f64>()).sum();
        let var = kernel.kernels(&test[r], &test[r]).0 - 2.0 * cross + quad;
        std.push(var.max(0.0).sqrt());
    }
    let alpha = solve(&sigma_xx, targets, n, 1)?;
    let nngp_mean = (0..t).map(|r| (0..n).map(|j| sigma_tx[r * n + j] * alpha[j]).sum()).collect();
    Ok(Prediction { mean, std, nngp_mean })
}

/// The parameters of one network of [`SgNtk`]'s architecture, row-major: per hidden layer W^l
/// `[n, fan_in]` and b^l `[n]`, then the output weights `[n]` and bias.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkParameters {
    /// W^l per hidden layer.
    pub weights: Vec<Vec<f64>>,
    /// b^l per hidden layer.
    pub biases: Vec<Vec<f64>>,
    /// The output weights w.
    pub w_out: Vec<f64>,
    /// The output bias b.
    pub b_out: f64,
}

impl NetworkParameters {
    /// A network of width `width` with every parameter drawn N(0, 1) from `seed`.
    pub fn random(kernel: &SgNtk, width: usize, seed: u64) -> Self {
        use rand_distr::{Distribution, StandardNormal};
        let (d, n, layers) = (kernel.input_dim, width, kernel.hidden_layers);
        let mut rng = crate::rng::rng(seed, 0x5C47);
        let mut normal = |k: usize| -> Vec<f64> { (0..k).map(|_| StandardNormal.sample(&mut rng)).collect() };
        let mut weights = vec![normal(n * d)];
        for _ in 1..layers {
            weights.push(normal(n * n));
        }
        let biases: Vec<Vec<f64>> = (0..layers).map(|_| normal(n)).collect();
        let w_out = normal(n);
        NetworkParameters { weights, biases, w_out, b_out: 0.0 }
    }

    /// The hidden width n.
    pub fn width(&self) -> usize {
        self.w_out.len()
    }
}

/// The empirical kernels of one random network of width `width` drawn from `seed`
/// ([`NetworkParameters::random`]); see [`empirical_kernel_of`].
pub fn empirical_kernel(kernel: &SgNtk, width: usize, points: &[Vec<f64>], seed: u64) -> Vec<f64> {
    empirical_kernel_of(kernel, &NetworkParameters::random(kernel, width, seed), points)
}

/// The empirical kernels of the network `params`, with a finite forward steepness m₁:
/// I(x, x′) = J(x)·J̃(x′)ᵀ summed over every parameter, for each pair of `points`, row-major.
pub fn empirical_kernel_of(kernel: &SgNtk, params: &NetworkParameters, points: &[Vec<f64>]) -> Vec<f64> {
    empirical_kernel_between(kernel, params, points, points)
}

/// The rows of [`empirical_kernel_of`] at `rows` against `columns`: I(x, x′) for x in `rows`
/// and x′ in `columns`, row-major (only the Jacobians and products those pairs need). The
/// Jacobians are written out by hand (backpropagation through the layers of the module docs
/// with φ′ or φ̃′).
pub fn empirical_kernel_between(kernel: &SgNtk, params: &NetworkParameters, rows: &[Vec<f64>], columns: &[Vec<f64>]) -> Vec<f64> {
    let m1 = kernel.m_forward.expect("the empirical kernel needs a finite forward steepness m₁");
    let (n, layers) = (params.width(), kernel.hidden_layers);
    let (weights, biases, w_out) = (&params.weights, &params.biases, &params.w_out);
    let erf_prime = |m: f64, x: f64| 2.0 * m / PI.sqrt() * (-(m * x).powi(2)).exp();
    let phi = |x: f64| libm::erf(m1 * x);
    let true_prime = |x: f64| erf_prime(m1, x);
    let surrogate_prime = |x: f64| match kernel.surrogate {
        SurrogateDerivative::Erf { m } => erf_prime(m, x),
        SurrogateDerivative::Identity => 1.0,
        SurrogateDerivative::True => true_prime(x),
    };
    // Per point: the gradient of f with respect to every parameter, flattened.
    let gradient = |x: &[f64], derivative: &dyn Fn(f64) -> f64| -> Vec<f64> {
        let (sw, sb) = (kernel.sigma_w, kernel.sigma_b);
        let mut inputs = vec![x.to_vec()];
        let mut pre = Vec::new();
        for l in 0..layers {
            let fan_in = inputs[l].len();
            let h: Vec<f64> = (0..n)
                .map(|i| sw / (fan_in as f64).sqrt() * (0..fan_in).map(|j| weights[l][i * fan_in + j] * inputs[l][j]).sum::<f64>() + sb * biases[l][i])
                .collect();
            inputs.push(h.iter().map(|&v| phi(v)).collect());
            pre.push(h);
        }
        let top = &inputs[layers];
        let mut grad = Vec::new();
        grad.extend(top.iter().map(|a| sw / (n as f64).sqrt() * a));
        grad.push(sb);
        let mut delta: Vec<f64> = (0..n).map(|i| sw / (n as f64).sqrt() * w_out[i] * derivative(pre[layers - 1][i])).collect();
        for l in (0..layers).rev() {
            let fan_in = inputs[l].len();
            let scale = sw / (fan_in as f64).sqrt();
            for i in 0..n {
                grad.extend((0..fan_in).map(|j| delta[i] * scale * inputs[l][j]));
            }
            grad.extend(delta.iter().map(|dl| dl * sb));
            if l > 0 {
                delta = (0..fan_in).map(|j| scale * (0..n).map(|i| weights[l][i * fan_in + j] * delta[i]).sum::<f64>() * derivative(pre[l - 1][j])).collect();
            }
        }
        grad
    };
    let true_jacobians: Vec<Vec<f64>> = rows.iter().map(|x| gradient(x, &true_prime)).collect();
    let quasi_jacobians: Vec<Vec<f64>> = columns.iter().map(|x| gradient(x, &surrogate_prime)).collect();
    let mut out = Vec::with_capacity(rows.len() * columns.len());
    for a in &true_jacobians {
        for b in &quasi_jacobians {
            out.push(a.iter().zip(b).map(|(p, q)| p * q).sum());
        }
    }
    out
}
