//! Weight distributions, drawn on the host from the seeded streams of [`crate::rng`].
//!
//! Every draw comes from a ChaCha-based `StdRng` seeded from a configuration seed, and the values
//! are built on the host before they are uploaded. The same seed therefore gives the same weights
//! on every backend (flex, ndarray, wgpu), which is what makes cross-backend comparisons exact up
//! to floating-point arithmetic.
//!
//! A weight matrix has shape `[fan_in, fan_out]` (inputs are multiplied from the left:
//! `x · W`).

use burn::Tensor;
use burn::tensor::{Device, TensorData};
use rand::rngs::StdRng;
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// How a weight matrix `[fan_in, fan_out]` is initialised.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case", tag = "kind", deny_unknown_fields)]
pub enum WeightInit {
    /// U(±√(6/(fan_in + fan_out))), Glorot & Bengio 2010 (the paper's default).
    #[default]
    GlorotUniform,
    /// N(0, 2/(fan_in + fan_out)).
    GlorotNormal,
    /// U(±√(6/fan_in)), He et al. 2015.
    HeUniform,
    /// N(0, 2/fan_in).
    HeNormal,
    /// A (semi-)orthogonal matrix times `gain` (Saxe et al. 2014): QR of a Gaussian matrix with
    /// the signs of R's diagonal folded in, so the draw is Haar-distributed.
    Orthogonal {
        /// Multiplies the orthogonal matrix.
        gain: f64,
    },
    /// U(low, high).
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// N(mean, std²).
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        std: f64,
    },
    /// All zeros.
    Zeros,
}

impl WeightInit {
    /// Draws a `[fan_in, fan_out]` matrix, row-major.
    pub fn sample(&self, fan_in: usize, fan_out: usize, rng: &mut StdRng) -> Vec<f64> {
        let n = fan_in * fan_out;
        let fan_sum = (fan_in + fan_out) as f64;
        match *self {
            WeightInit::GlorotUniform => uniform(n, (6.0 / fan_sum).sqrt(), rng),
            WeightInit::GlorotNormal => normal(n, 0.0, (2.0 / fan_sum).sqrt(), rng),
            WeightInit::HeUniform => uniform(n, (6.0 / fan_in as f64).sqrt(), rng),
            WeightInit::HeNormal => normal(n, 0.0, (2.0 / fan_in as f64).sqrt(), rng),
            WeightInit::Orthogonal { gain } => orthogonal(fan_in, fan_out, rng)
                .into_iter()
                .map(|w| w * gain)
                .collect(),
            WeightInit::Uniform { low, high } => (0..n).map(|_| rng.random_range(low..high)).collect(),
            WeightInit::Normal { mean, std } => normal(n, mean, std, rng),
            WeightInit::Zeros => vec![0.0; n],
        }
    }

    /// Draws a `[fan_in, fan_out]` matrix as a tensor on `device` (of its float dtype).
    pub fn tensor(&self, fan_in: usize, fan_out: usize, rng: &mut StdRng, device: &Device) -> Tensor<2> {
        matrix(self.sample(fan_in, fan_out, rng), fan_in, fan_out, device)
    }
}

/// A row-major `[rows, cols]` buffer as a tensor of the device's float dtype.
pub(crate) fn matrix(values: Vec<f64>, rows: usize, cols: usize, device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(values, [rows, cols]), device)
}

/// A vector as a tensor of the device's float dtype.
pub(crate) fn vector(values: Vec<f64>, device: &Device) -> Tensor<1> {
    let n = values.len();
    Tensor::from_data(TensorData::new(values, [n]), device)
}

fn uniform(n: usize, limit: f64, rng: &mut StdRng) -> Vec<f64> {
    (0..n).map(|_| rng.random_range(-limit..limit)).collect()
}

fn normal(n: usize, mean: f64, std: f64, rng: &mut StdRng) -> Vec<f64> {
    (0..n)
        .map(|_| {
            let z: f64 = StandardNormal.sample(rng);
            mean + std * z
        })
        .collect()
}

/// N(mean, std²) truncated to mean ± 2·std (redrawn outside), as Keras' `TruncatedNormal`.
pub(crate) fn truncated_normal(n: usize, mean: f64, std: f64, rng: &mut StdRng) -> Vec<f64> {
    (0..n)
        .map(|_| loop {
            let z: f64 = StandardNormal.sample(rng);
            if z.abs() <= 2.0 {
                break mean + std * z;
            }
        })
        .collect()
}

/// A `[rows, cols]` matrix whose shorter side is orthonormal: Q of the QR decomposition of a
/// standard Gaussian matrix (modified Gram–Schmidt on the longer side's vectors), with each column
/// multiplied by the sign of R's diagonal entry.
fn orthogonal(rows: usize, cols: usize, rng: &mut StdRng) -> Vec<f64> {
    // Orthonormalise `k` vectors of length `len`, then lay them out as rows or columns.
    let (k, len) = if rows >= cols { (cols, rows) } else { (rows, cols) };
    let mut vectors: Vec<Vec<f64>> = (0..k).map(|_| normal(len, 0.0, 1.0, rng)).collect();
    for i in 0..k {
        for j in 0..i {
            let (done, rest) = vectors.split_at_mut(i);
            let dot: f64 = done[j].iter().zip(&rest[0]).map(|(a, b)| a * b).sum();
            for (r, q) in rest[0].iter_mut().zip(&done[j]) {
                *r -= dot * q;
            }
        }
        // ‖v‖ is R's (positive) diagonal entry, so no sign correction is left to do.
        let norm: f64 = vectors[i].iter().map(|v| v * v).sum::<f64>().sqrt();
        for v in &mut vectors[i] {
            *v /= norm;
        }
    }
    let mut out = vec![0.0; rows * cols];
    for (i, v) in vectors.iter().enumerate() {
        for (j, &x) in v.iter().enumerate() {
            if rows >= cols {
                out[j * cols + i] = x; // column i
            } else {
                out[i * cols + j] = x; // row i
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::rng;

    fn moments(v: &[f64]) -> (f64, f64) {
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        (mean, var)
    }

    #[test]
    fn glorot_uniform_has_its_variance() {
        let w = WeightInit::GlorotUniform.sample(300, 200, &mut rng(1, 0));
        let (mean, var) = moments(&w);
        // U(±a) has variance a²/3 = 2/(fan_in + fan_out).
        assert!(mean.abs() < 2e-3, "{mean}");
        assert!((var / (2.0 / 500.0) - 1.0).abs() < 0.02, "{var}");
        let limit = (6.0f64 / 500.0).sqrt();
        assert!(w.iter().all(|x| x.abs() <= limit));
    }

    #[test]
    fn he_normal_has_its_variance() {
        let w = WeightInit::HeNormal.sample(400, 100, &mut rng(2, 0));
        let (_, var) = moments(&w);
        assert!((var / (2.0 / 400.0) - 1.0).abs() < 0.03, "{var}");
    }

    #[test]
    fn orthogonal_columns_and_rows_are_orthonormal() {
        for (rows, cols) in [(6, 4), (4, 6), (5, 5)] {
            let w = WeightInit::Orthogonal { gain: 1.0 }.sample(rows, cols, &mut rng(3, 0));
            let k = rows.min(cols);
            for a in 0..k {
                for b in 0..k {
                    let dot: f64 = if rows >= cols {
                        (0..rows).map(|r| w[r * cols + a] * w[r * cols + b]).sum()
                    } else {
                        (0..cols).map(|c| w[a * cols + c] * w[b * cols + c]).sum()
                    };
                    let expected = if a == b { 1.0 } else { 0.0 };
                    assert!((dot - expected).abs() < 1e-12, "{rows}x{cols} {a},{b}: {dot}");
                }
            }
        }
    }

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a = WeightInit::GlorotUniform.sample(10, 10, &mut rng(7, 0));
        let b = WeightInit::GlorotUniform.sample(10, 10, &mut rng(7, 0));
        let c = WeightInit::GlorotUniform.sample(10, 10, &mut rng(7, 1));
        let d = WeightInit::GlorotUniform.sample(10, 10, &mut rng(8, 0));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }

    #[test]
    fn truncated_normal_stays_within_two_std() {
        let v = truncated_normal(10_000, 5.0, 1.0, &mut rng(4, 0));
        assert!(v.iter().all(|x| (x - 5.0).abs() <= 2.0));
        let (mean, _) = moments(&v);
        assert!((mean - 5.0).abs() < 0.03);
    }
}
