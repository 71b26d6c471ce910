//! The random-manifold spike-timing task ("randman") of Zenke & Vogels (2021), Neural
//! Computation 33(4):899–925, re-implemented from its description (other_seeds.md §F).
//!
//! A random manifold of intrinsic dimension D embedded in ℝ^M is the smooth map
//!
//! ```text
//! y_k(x) = Π_{d=1..D} g_{k,d}(x_d),       x ∈ [0, 1)^D,  k = 1..M
//! g_{k,d}(x) = Σ_{i=0..F−1} a_{k,d,i} s_i sin(2π (i x f_{k,d,i} + p_{k,d,i}))
//! s_i = 1 / (|(i + 1) − r|^α + 1)                      spectrum, smoothness α, peak r
//! F = min(⌈prec^{−1/α}⌉, 1000),  prec = 10⁻³           cut-off
//! ```
//!
//! with a, f, p ~ U[0, 1) and a_{k,d,0} = 0 (no constant term). Small α means rough manifolds
//! (more high-frequency content), large α smooth ones.
//!
//! The classification task: class c owns `spikes_per_unit` manifolds (one per spike index j) in
//! ℝ^M, M = `units`. A sample of class c is a point x ~ U[0, 1)^D; unit k fires once per spike
//! index j at the time y^{(c,j)}_k(x), min–max normalised per unit over the class's samples to
//! t ∈ [0, 1), then discretised to the step ⌊T (step_frac (1 − offset_frac) t + offset_frac)⌋.
//! Every unit fires exactly `spikes_per_unit` times in every sample, so all class information
//! lies in relative spike timing — none in rates.
//!
//! The random numbers come from sglab's seeded streams, so datasets match the original's
//! statistics, not its bits.

use rand::RngExt;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use super::DataError;
use super::dataset::{Event, SpikeDataset, Splits};
use crate::rng::rng;

/// Precision that sets the spectral cut-off F.
const PRECISION: f64 = 1e-3;
/// Largest spectral cut-off F.
const MAX_CUTOFF: usize = 1000;
/// Base of the random streams of the manifolds (one per class and spike index).
const MANIFOLD_STREAM: u64 = 0x5241_4E44_0000_0000; // "RAND"
/// Base of the random streams of the sample points (one per class).
const POINT_STREAM: u64 = 0x504F_494E_0000_0000; // "POIN"

/// Parameters of the randman task (module docs). Defaults: the stork example, 10 classes,
/// 20 units, D = 1, α = 1, one spike per unit in the first half of 100 steps, 1000 samples per
/// class, split 80/10/10.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RandmanConfig {
    /// Number of classes.
    pub classes: usize,
    /// Input units M (the embedding dimension).
    pub units: usize,
    /// Time steps T.
    pub steps: usize,
    /// Intrinsic dimension D of each manifold.
    pub dim_manifold: usize,
    /// Smoothness α of the spectrum.
    pub alpha: f64,
    /// Spectral peak r (the torch original's β; 0 gives a monotone spectrum).
    pub spectral_peak: f64,
    /// Spikes per unit per sample.
    pub spikes_per_unit: usize,
    /// Samples per class.
    pub samples_per_class: usize,
    /// Fraction of the T steps over which spikes are spread.
    pub step_frac: f64,
    /// Fraction of T before the first possible spike.
    pub offset_frac: f64,
    /// Fraction of the samples in the validation part.
    pub validation_fraction: f64,
    /// Fraction of the samples in the test part.
    pub test_fraction: f64,
    /// Seed of the manifolds, the sample points and the shuffle before splitting.
    pub seed: u64,
}

impl Default for RandmanConfig {
    fn default() -> Self {
        RandmanConfig {
            classes: 10,
            units: 20,
            steps: 100,
            dim_manifold: 1,
            alpha: 1.0,
            spectral_peak: 0.0,
            spikes_per_unit: 1,
            samples_per_class: 1000,
            step_frac: 0.5,
            offset_frac: 0.0,
            validation_fraction: 0.1,
            test_fraction: 0.1,
            seed: 0,
        }
    }
}

impl RandmanConfig {
    /// Checks every field.
    pub fn validate(&self) -> Result<(), DataError> {
        let positive = [
            ("classes", self.classes),
            ("units", self.units),
            ("steps", self.steps),
            ("dim_manifold", self.dim_manifold),
            ("spikes_per_unit", self.spikes_per_unit),
            ("samples_per_class", self.samples_per_class),
        ];
        for (name, value) in positive {
            if value == 0 {
                return Err(DataError::parameter(name, "a positive count was expected, got 0"));
            }
        }
        if !(self.alpha > 0.0 && self.alpha.is_finite()) {
            return Err(DataError::parameter("alpha", format!("a finite smoothness > 0, got {}", self.alpha)));
        }
        if !self.spectral_peak.is_finite() {
            return Err(DataError::parameter("spectral_peak", format!("a finite number, got {}", self.spectral_peak)));
        }
        if !(self.step_frac > 0.0 && self.step_frac <= 1.0) {
            return Err(DataError::parameter("step_frac", format!("a fraction in (0, 1], got {}", self.step_frac)));
        }
        DataError::check_fraction("offset_frac", self.offset_frac)?;
        Ok(())
    }

    /// Generates the whole dataset, classes one after another.
    pub fn generate(&self) -> Result<SpikeDataset, DataError> {
        self.validate()?;
        let manifolds: Vec<Vec<RandomManifold>> = (0..self.classes)
            .map(|c| {
                (0..self.spikes_per_unit)
                    .map(|j| {
                        let stream = MANIFOLD_STREAM + (c * self.spikes_per_unit + j) as u64;
                        RandomManifold::new(self.units, self.dim_manifold, self.alpha, self.spectral_peak, &mut rng(self.seed, stream))
                    })
                    .collect()
            })
            .collect();
        let mut samples = Vec::with_capacity(self.classes * self.samples_per_class);
        for (class, class_manifolds) in manifolds.iter().enumerate() {
            let mut point_rng = rng(self.seed, POINT_STREAM + class as u64);
            let points: Vec<Vec<f64>> = (0..self.samples_per_class)
                .map(|_| (0..self.dim_manifold).map(|_| point_rng.random::<f64>()).collect())
                .collect();
            let mut events = vec![Vec::with_capacity(self.units * self.spikes_per_unit); self.samples_per_class];
            for manifold in class_manifolds {
                let times = normalised_times(manifold, &points);
                for (sample, row) in times.iter().enumerate() {
                    for (unit, &t) in row.iter().enumerate() {
                        events[sample].push(Event { step: self.step_of(t) as u32, channel: unit as u32 });
                    }
                }
            }
            samples.extend(events.into_iter().map(|e| (e, class)));
        }
        SpikeDataset::new(self.units, self.steps, self.classes, samples)
    }

    /// The dataset shuffled with the seed and split into train, validation and test parts.
    pub fn splits(&self) -> Result<Splits, DataError> {
        self.generate()?.shuffled(self.seed).split(self.validation_fraction, self.test_fraction)
    }

    /// Time step of a normalised spike time t ∈ [0, 1).
    fn step_of(&self, t: f64) -> usize {
        let s = (self.steps as f64 * (self.step_frac * (1.0 - self.offset_frac) * t + self.offset_frac)).floor();
        (s.max(0.0) as usize).min(self.steps - 1)
    }
}

/// One random manifold y: [0, 1)^D → ℝ^M (module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct RandomManifold {
    embedding: usize,
    dim: usize,
    /// s_i, i = 0..F.
    spectrum: Vec<f64>,
    /// a, f, p of unit k, dimension d, term i at `(k·D + d)·F + i`.
    amplitude: Vec<f64>,
    frequency: Vec<f64>,
    phase: Vec<f64>,
}

impl RandomManifold {
    /// Draws a manifold of intrinsic dimension `dim` in ℝ^`embedding` with smoothness `alpha`
    /// and spectral peak `spectral_peak`.
    pub fn new(embedding: usize, dim: usize, alpha: f64, spectral_peak: f64, rng: &mut StdRng) -> Self {
        let cutoff = spectral_cutoff(alpha);
        let spectrum = (0..cutoff).map(|i| 1.0 / (((i + 1) as f64 - spectral_peak).abs().powf(alpha) + 1.0)).collect();
        let n = embedding * dim * cutoff;
        let (mut amplitude, mut frequency, mut phase) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        for _ in 0..embedding * dim {
            let mut draw = |out: &mut Vec<f64>| out.extend((0..cutoff).map(|_| rng.random::<f64>()));
            draw(&mut amplitude);
            draw(&mut frequency);
            draw(&mut phase);
            // No constant term (use_bias = false in the original).
            let first = amplitude.len() - cutoff;
            amplitude[first] = 0.0;
        }
        RandomManifold { embedding, dim, spectrum, amplitude, frequency, phase }
    }

    /// Number of spectral terms F.
    pub fn cutoff(&self) -> usize {
        self.spectrum.len()
    }

    /// y(x) ∈ ℝ^M for a point x ∈ [0, 1)^D.
    pub fn eval(&self, x: &[f64]) -> Vec<f64> {
        assert_eq!(x.len(), self.dim, "a point of the manifold's dimension {} was expected", self.dim);
        let cutoff = self.cutoff();
        (0..self.embedding)
            .map(|k| {
                x.iter()
                    .enumerate()
                    .map(|(d, &xd)| {
                        let base = (k * self.dim + d) * cutoff;
                        (0..cutoff)
                            .map(|i| {
                                let j = base + i;
                                let arg = i as f64 * xd * self.frequency[j] + self.phase[j];
                                self.amplitude[j] * self.spectrum[i] * (std::f64::consts::TAU * arg).sin()
                            })
                            .sum::<f64>()
                    })
                    .product()
            })
            .collect()
    }
}

/// F = min(⌈prec^{−1/α}⌉, 1000).
pub fn spectral_cutoff(alpha: f64) -> usize {
    let f = PRECISION.powf(-1.0 / alpha).ceil();
    if f.is_finite() { (f as usize).clamp(1, MAX_CUTOFF) } else { MAX_CUTOFF }
}

/// y of every point, min–max normalised per unit over the points: (y − min)/(max − min + 1e-7).
fn normalised_times(manifold: &RandomManifold, points: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mut y: Vec<Vec<f64>> = points.iter().map(|x| manifold.eval(x)).collect();
    for k in 0..manifold.embedding {
        let (lo, hi) = y.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), row| (lo.min(row[k]), hi.max(row[k])));
        for row in &mut y {
            row[k] = (row[k] - lo) / (hi - lo + 1e-7);
        }
    }
    y
}
