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
//! Jacobian             J_t,jk = α δ_jk + (W_rec,kj − ϑ_r δ_jk) σ′(v_t,k − ϑ)
//!                      (reset term ϑ_r = ϑ for subtraction, 0 otherwise); per step, the
//!                      largest Σ_k J_t,jk over j (Condition III: ≤ 1) and the mean over j of
//!                      Σ_k J²_t,jk (Condition IV: 1), averaged over the batch
//! ```

use burn::Tensor;
use serde::{Deserialize, Serialize};

use crate::network::{Network, NetworkError};
use crate::neuron::Reset;
use crate::spike::SpikeFn;

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
    /// Per step: largest row sum of the one-step Jacobian (batch mean).
    pub jacobian_max: Vec<f64>,
    /// Per step: mean squared row norm of the one-step Jacobian (batch mean).
    pub jacobian_mean_square: Vec<f64>,
}

/// A tensor's values as f64, in row-major order.
pub(crate) fn values<const D: usize>(t: Tensor<D>) -> Vec<f64> {
    t.into_data().convert::<f64>().try_to_vec::<f64>().expect("float tensor")
}

fn variance(v: &[f64]) -> f64 {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n
}

/// Measures every layer of `net` on the batch `x` `[T, B, n_in]` (no autodiff needed).
pub fn measure(net: &Network, x: Tensor<3>) -> Result<Vec<LayerDiagnostics>, NetworkError> {
    let out = net.forward_with_voltages(x.clone())?;
    let voltages = out.voltages.expect("voltages were requested");
    let mut below = x;
    let mut result = Vec::new();
    for (l, layer) in net.layers.iter().enumerate() {
        let lif = layer.lif();
        let [steps, batch, n] = out.spikes[l].dims();
        let n_in = below.dims()[2];
        let threshold = values(lif.threshold.val());
        let alpha: Vec<f64> = values(lif.tau.val()).iter().map(|tau| (-1.0 / tau).exp()).collect();
        let w_rec_masked = {
            let w = lif.w_rec.val();
            if lif.mask_diagonal {
                let device = w.device();
                w * (Tensor::<2>::ones([n, n], &device) - Tensor::<2>::eye(n, &device))
            } else {
                w
            }
        };
        let v = values(voltages[l].clone());
        let z = out.spikes[l].clone();
        let mut centred: Vec<f64> = v.iter().enumerate().map(|(k, v)| v - threshold[k % n]).collect();
        let mean = centred.iter().sum::<f64>() / centred.len() as f64;
        centred.sort_by(f64::total_cmp);
        let median = centred[centred.len() / 2];
        let input_current = below.clone().reshape([steps * batch, n_in]).matmul(lif.w_in.val());
        let recurrent = if steps > 1 {
            let previous = z.clone().slice([0..steps - 1, 0..batch, 0..n]).reshape([(steps - 1) * batch, n]);
            variance(&values(previous.matmul(w_rec_masked.clone())))
        } else {
            0.0
        };
        let w_rec = values(w_rec_masked);
        let reset_term = |j: usize| if lif.reset == Reset::Subtract { threshold[j] } else { 0.0 };
        let surrogate = |x: f64| match &lif.spike_fn {
            SpikeFn::Builtin { surrogate, .. } => surrogate.derivative(x),
            SpikeFn::Custom(_) => f64::NAN,
        };
        let (mut jac_max, mut jac_ms) = (Vec::with_capacity(steps), Vec::with_capacity(steps));
        for t in 0..steps {
            let (mut max_sum, mut ms_sum) = (0.0, 0.0);
            for b in 0..batch {
                let base = (t * batch + b) * n;
                let sg: Vec<f64> = (0..n).map(|k| surrogate(v[base + k] - threshold[k])).collect();
                let (mut row_max, mut row_ms) = (f64::NEG_INFINITY, 0.0);
                for j in 0..n {
                    let (mut sum, mut sq) = (0.0, 0.0);
                    for k in 0..n {
                        let diag = if k == j { 1.0 } else { 0.0 };
                        let entry = alpha[j] * diag + (w_rec[k * n + j] - reset_term(j) * diag) * sg[k];
                        sum += entry;
                        sq += entry * entry;
                    }
                    row_max = row_max.max(sum);
                    row_ms += sq;
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
            input_current_var: variance(&values(input_current)),
            recurrent_current_var: recurrent,
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
