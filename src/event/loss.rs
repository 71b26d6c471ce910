//! The first-spike-time loss of spikegd (Klos & Memmesheimer; other_seeds.md §B.2):
//!
//! ```text
//! L = −log softmax(−t)_y + γ (e^{t_y / T} − 1)
//! ∂L/∂t_i = δ_{iy} − softmax(−t)_i + δ_{iy} γ e^{t_y/T} / T
//! ```
//!
//! over the output times t (first spike or pseudospike) and label y: the earliest output wins,
//! and the second term pulls the correct output's spike into the trial. The prediction is the
//! earliest output.

/// The first-spike-time loss (module docs).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FirstSpikeLoss {
    /// Weight γ of the early-spike term (spikegd: 10⁻²).
    pub gamma: f64,
}

impl Default for FirstSpikeLoss {
    fn default() -> Self {
        FirstSpikeLoss { gamma: 1e-2 }
    }
}

impl FirstSpikeLoss {
    /// Loss, whether the earliest output is `label`, and ∂L/∂t (module docs).
    pub fn evaluate(&self, times: &[f64], label: usize, duration: f64) -> (f64, bool, Vec<f64>) {
        let min = times.iter().copied().fold(f64::INFINITY, f64::min);
        let weights: Vec<f64> = times.iter().map(|t| (min - t).exp()).collect();
        let total: f64 = weights.iter().sum();
        let early = (times[label] / duration).exp();
        let loss = times[label] - min + total.ln() + self.gamma * (early - 1.0);
        let mut grad: Vec<f64> = weights.iter().map(|w| -w / total).collect();
        grad[label] += 1.0 + self.gamma * early / duration;
        let prediction = times.iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(i, _)| i);
        (loss, prediction == label, grad)
    }
}
