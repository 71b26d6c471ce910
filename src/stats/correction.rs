//! Multiple-comparison corrections of a family of p-values.
//!
//! ```text
//! Bonferroni          p̃_i = min(1, m p_i)
//! Holm                p̃_(i) = max_{j ≤ i} min(1, (m − j + 1) p_(j))        p_(1) ≤ … ≤ p_(m)
//! Benjamini–Hochberg  p̃_(i) = min_{j ≥ i} min(1, m p_(j) / j)
//! ```

use serde::{Deserialize, Serialize};

use super::{StatsError, check};

/// A correction method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Correction {
    /// No correction.
    None,
    /// Bonferroni (family-wise error).
    Bonferroni,
    /// Holm's step-down (family-wise error, uniformly more powerful than Bonferroni).
    #[default]
    Holm,
    /// Benjamini–Hochberg (false discovery rate).
    BenjaminiHochberg,
}

/// The adjusted p-values of `p`, in the order given.
pub fn adjust(p: &[f64], method: Correction) -> Result<Vec<f64>, StatsError> {
    check("p-values", p, 1)?;
    if let Some((index, &value)) = p.iter().enumerate().find(|(_, v)| !(0.0..=1.0).contains(*v)) {
        return Err(StatsError::Parameter { name: format!("p[{index}]"), message: format!("a probability in [0, 1], got {value}") });
    }
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut adjusted = vec![0.0; m];
    match method {
        Correction::None => adjusted.copy_from_slice(p),
        Correction::Bonferroni => {
            for (a, &v) in adjusted.iter_mut().zip(p) {
                *a = (v * m as f64).min(1.0);
            }
        }
        Correction::Holm => {
            let mut running: f64 = 0.0;
            for (rank, &i) in order.iter().enumerate() {
                running = running.max(((m - rank) as f64 * p[i]).min(1.0));
                adjusted[i] = running;
            }
        }
        Correction::BenjaminiHochberg => {
            let mut running: f64 = 1.0;
            for (rank, &i) in order.iter().enumerate().rev() {
                running = running.min((m as f64 * p[i] / (rank + 1) as f64).min(1.0));
                adjusted[i] = running;
            }
        }
    }
    Ok(adjusted)
}
