//! What the conditions target, measured on an initialised network over one batch.
//!
//! Per layer, from a forward pass with voltages (v_t, z_t over T steps, input x_t = the layer
//! below's spikes or the data):
//!
//! ```text
//! rate                 mean of z                                  (Condition I: ½)
//! mean, median v − ϑ   over steps, batch and neurons               (Condition I: 0)
//! input variance       Var(x_t W_in)        over t, b, j
//! recurrent variance   Var(z_{t−1} W_rec)   over t ≥ 1, b, j       (Condition II: equal)
//! Jacobian             J_t,jk = ∂v_{t+1,j}/∂v_{t,k}, for every step t < T − 1, averaged over
//!                      the batch: the largest row sum Σ_k J_t,jk over j (Condition III: ≤ 1)
//!                      and the mean over j of Σ_k J²_t,jk (Condition IV: 1)
//! ```
//!
//! The Jacobian is exact for the layer's reset rule ([`one_step_jacobian`]); for ALIF layers the
//! path through the adaptive threshold is left out (the conditions are derived for LIF).

use burn::Tensor;
use serde::{Deserialize, Serialize};

use crate::network::{Network, NetworkError};
use crate::stats::variance;
use crate::neuron::{Layer, Reset};

/// Measured quantities of one layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerDiagnostics {
    /// Layer index.
    pub layer: usize,
    /// Mean firing rate.
    pub rate: f64,
    /// Mean of v − ϑ.
    pub mean_v_minus_threshold: f64,
    /// Median of v − ϑ.
    pub median_v_minus_threshold: f64,
    /// Variance of the input current.
    pub input_current_var: f64,
    /// Variance of the recurrent current.
    pub recurrent_current_var: f64,
    /// Per step t < T − 1: largest row sum of the one-step Jacobian (batch mean).
    pub jacobian_max: Vec<f64>,
    /// Per step t < T − 1: mean squared row norm of the one-step Jacobian (batch mean).
    pub jacobian_mean_square: Vec<f64>,
}

/// A LIF layer's coefficients on the host, for its one-step Jacobian.
#[derive(Debug, Clone)]
pub struct HostLif {
    /// Neurons n.
    pub n: usize,
    /// α_j = exp(−1/τ_j).
    pub alpha: Vec<f64>,
    /// ϑ_j.
    pub threshold: Vec<f64>,
    /// W_rec `[n, n]` (pre × post) with the layer's diagonal mask applied.
    pub w_rec: Vec<f64>,
    /// The reset rule.
    pub reset: Reset,
    /// Whether the reset carries no gradient.
    pub detach_reset: bool,
    /// σ′ of the layer's surrogate (`None` for a user surrogate without a host form).
    pub surrogate: Option<crate::surrogate::Surrogate>,
}

impl HostLif {
    /// Copies the LIF coefficients of `layer` to the host (ALIF: its baseline threshold);
    /// `None` for a QIF layer, which has no LIF membrane.
    pub fn new(layer: &Layer) -> Option<Self> {
        let membrane = layer.lif_membrane()?;
        Some(HostLif {
            n: layer.hidden_size(),
            alpha: crate::host_values(membrane.tau.val()).iter().map(|tau| (-1.0 / tau.max(crate::neuron::lif::MIN_TAU)).exp()).collect(),
            threshold: crate::host_values(membrane.threshold.val()),
            w_rec: crate::host_values(layer.recurrent_or_zero()),
            reset: membrane.reset,
            detach_reset: membrane.detach_reset,
            surrogate: layer.spike_fn().surrogate().cloned(),
        })
    }
}

/// J_jk = ∂v_{t+1,j}/∂v_{t,k} of one sample, row-major `[j][k]`, from v_t, z_t and the current
/// I_{t+1} = x_{t+1} W_in + z_t W_rec + b (only the multreset1 rule with a tracked reset needs
/// it). With σ′_k = σ′(v_t,k − ϑ_k) and [·] a term present only when the reset is tracked:
///
/// ```text
/// subtractive  J_jk = α_j δ_jk + W_kj σ′_k                  [− ϑ_j σ′_j δ_jk]
/// multreset2   J_jk = α_j (1 − z_j) δ_jk + W_kj σ′_k        [− α_j v_j σ′_j δ_jk]
/// multreset1   J_jk = (1 − z_j)(α_j δ_jk + W_kj σ′_k)       [− (α_j v_j + I_{t+1,j}) σ′_j δ_jk]
/// ```
///
/// A user surrogate without a host form gives NaN entries.
pub fn one_step_jacobian(layer: &HostLif, v: &[f64], z: &[f64], current_next: &[f64]) -> Vec<f64> {
    let n = layer.n;
    let sg: Vec<f64> = (0..n)
        .map(|k| layer.surrogate.map_or(f64::NAN, |s| s.derivative(v[k] - layer.threshold[k])))
        .collect();
    let tracked = if layer.detach_reset { 0.0 } else { 1.0 };
    let mut jac = vec![0.0; n * n];
    for j in 0..n {
        let (scale, diagonal) = match layer.reset {
            Reset::Subtract => (1.0, layer.alpha[j] - tracked * layer.threshold[j] * sg[j]),
            Reset::MultReset2 => (1.0, layer.alpha[j] * (1.0 - z[j]) - tracked * layer.alpha[j] * v[j] * sg[j]),
            Reset::MultReset1 => {
                let pre = layer.alpha[j] * v[j] + current_next[j];
                (1.0 - z[j], layer.alpha[j] * (1.0 - z[j]) - tracked * pre * sg[j])
            }
        };
        for k in 0..n {
            jac[j * n + k] = scale * layer.w_rec[k * n + j] * sg[k];
        }
        jac[j * n + j] += diagonal;
    }
    jac
}

/// Measures every layer of `net` on the batch `x` `[T, B, n_in]` (no autodiff needed).
pub fn measure(net: &Network, x: Tensor<3>) -> Result<Vec<LayerDiagnostics>, NetworkError> {
    let out = net.forward_with_voltages(x.clone())?;
    let voltages = out.voltages.expect("voltages were requested");
    let mut below = x;
    let mut result = Vec::new();
    for (l, layer) in net.layers.iter().enumerate() {
        let host = HostLif::new(layer)
            .ok_or_else(|| NetworkError::Unsupported(format!("stability diagnostics need LIF or ALIF layers; layer {l} is {}", layer.model())))?;
        let [steps, batch, n] = out.spikes[l].dims();
        let n_in = below.dims()[2];
        let v = crate::host_values(voltages[l].clone());
        let z = out.spikes[l].clone();
        let z_host = crate::host_values(z.clone());
        let mut centred: Vec<f64> = v.iter().enumerate().map(|(k, v)| v - host.threshold[k % n]).collect();
        let mean = centred.iter().sum::<f64>() / centred.len() as f64;
        centred.sort_by(f64::total_cmp);
        let median = centred[centred.len() / 2];
        let input_current = crate::host_values(below.clone().reshape([steps * batch, n_in]).matmul(layer.input_weights().val()));
        // z_{t−1} W_rec for t ≥ 1, and z_t W_rec + b for the step after t.
        let recurrent = crate::host_values(z.clone().reshape([steps * batch, n]).matmul(layer.recurrent_or_zero()));
        let bias = layer.bias().map_or(vec![0.0; n], |b| crate::host_values(b.val()));
        let recurrent_var = if steps > 1 { variance(&recurrent[..(steps - 1) * batch * n], 0) } else { 0.0 };
        let (mut jac_max, mut jac_ms) = (Vec::with_capacity(steps), Vec::with_capacity(steps));
        for t in 0..steps.saturating_sub(1) {
            let (mut max_sum, mut ms_sum) = (0.0, 0.0);
            for b in 0..batch {
                let here = (t * batch + b) * n;
                let next = ((t + 1) * batch + b) * n;
                let current: Vec<f64> = (0..n).map(|j| input_current[next + j] + recurrent[here + j] + bias[j]).collect();
                let jac = one_step_jacobian(&host, &v[here..here + n], &z_host[here..here + n], &current);
                let (mut row_max, mut row_ms) = (f64::NEG_INFINITY, 0.0);
                for row in jac.chunks(n) {
                    row_max = row_max.max(row.iter().sum());
                    row_ms += row.iter().map(|e| e * e).sum::<f64>();
                }
                max_sum += row_max;
                ms_sum += row_ms / n as f64;
            }
            jac_max.push(max_sum / batch as f64);
            jac_ms.push(ms_sum / batch as f64);
        }
        result.push(LayerDiagnostics {
            layer: l,
            rate: z.clone().mean().into_scalar::<f64>(),
            mean_v_minus_threshold: mean,
            median_v_minus_threshold: median,
            input_current_var: variance(&input_current, 0),
            recurrent_current_var: recurrent_var,
            jacobian_max: jac_max,
            jacobian_mean_square: jac_ms,
        });
        below = z;
    }
    Ok(result)
}

/// Predicted against measured, one row per layer and quantity, as a polars table with columns
/// `layer`, `quantity`, `predicted`, `measured`:
///
/// | quantity | predicted | measured |
/// |---|---|---|
/// | `rate` | ½ (Condition I) | mean of z |
/// | `mean_v_minus_threshold` | 0 | mean of v − ϑ |
/// | `recurrent_over_input_variance` | 1 (Condition II) | Var(rec) / Var(in) |
/// | `jacobian_max_row_sum` | 1 (Condition III) | mean over steps |
/// | `jacobian_mean_square` | 1 (Condition IV) | mean over steps |
pub fn comparison_frame(measured: &[LayerDiagnostics]) -> Result<polars::prelude::DataFrame, polars::prelude::PolarsError> {
    use polars::prelude::{Column, DataFrame};
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let (mut layer, mut quantity, mut predicted, mut value) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for m in measured {
        let rows = [
            ("rate", 0.5, m.rate),
            ("mean_v_minus_threshold", 0.0, m.mean_v_minus_threshold),
            ("recurrent_over_input_variance", 1.0, m.recurrent_current_var / m.input_current_var),
            ("jacobian_max_row_sum", 1.0, mean(&m.jacobian_max)),
            ("jacobian_mean_square", 1.0, mean(&m.jacobian_mean_square)),
        ];
        for (q, p, v) in rows {
            layer.push(m.layer as i64);
            quantity.push(q);
            predicted.push(p);
            value.push(v);
        }
    }
    DataFrame::new_infer_height(vec![
        Column::new("layer".into(), layer),
        Column::new("quantity".into(), quantity),
        Column::new("predicted".into(), predicted),
        Column::new("measured".into(), value),
    ])
}
