//! The dataset type every task shares: sparse spike events per sample, splits, seeded shuffling,
//! batching to time-major tensors, and the input statistics of the stability theory.
//!
//! A sample is the dense array x ∈ ℕ^{T×N} whose entry x[t, c] counts the events at step t on
//! channel c (0/1 for every task here but binned SHD with counts). Batching writes B samples into
//! a `[T, B, N]` tensor. The input statistics are those of the paper's `checkTaskMeanVariance`:
//!
//! ```text
//! μ_x  = mean over samples s of  m_s,       m_s  = (1/TN) Σ_{t,c} x_s[t,c]
//! σ²_x = mean over samples s of  v_s,       v_s  = (1/TN) Σ_{t,c} x_s[t,c]² − m_s²
//! ```
//!
//! i.e. the mean input and the mean per-sample variance across time and channels.

use burn::Tensor;
use burn::tensor::{Device, TensorData};
use rand::seq::SliceRandom;

use super::DataError;
use crate::rng::rng;

/// One spike: at time step `step` on input channel `channel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Event {
    /// Time step, `0..T`.
    pub step: u32,
    /// Input channel, `0..N`.
    pub channel: u32,
}

/// A labelled set of spike-train samples of T steps over N channels.
#[derive(Debug, Clone, PartialEq)]
pub struct SpikeDataset {
    channels: usize,
    steps: usize,
    classes: usize,
    /// Events of sample i are `events[offsets[i]..offsets[i + 1]]`, sorted by (step, channel).
    offsets: Vec<usize>,
    events: Vec<Event>,
    labels: Vec<usize>,
}

/// Mean input and mean per-sample variance (module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InputStatistics {
    /// μ_x.
    pub mean: f64,
    /// σ²_x.
    pub variance: f64,
}

/// Train, validation and test parts of a task.
#[derive(Debug, Clone, PartialEq)]
pub struct Splits {
    /// Used for the parameter updates.
    pub train: SpikeDataset,
    /// Used for model selection and early stopping (may be empty).
    pub validation: SpikeDataset,
    /// Held out for the final figure.
    pub test: SpikeDataset,
}

impl Splits {
    /// Every part with its time steps repeated `k` times ([`SpikeDataset::repeat_time`]).
    pub fn repeat_time(self, k: usize) -> Result<Splits, DataError> {
        if k == 1 {
            return Ok(self);
        }
        Ok(Splits { train: self.train.repeat_time(k)?, validation: self.validation.repeat_time(k)?, test: self.test.repeat_time(k)? })
    }
}

impl SpikeDataset {
    /// Builds a dataset from `(events, label)` samples, checking every event and label against
    /// the sizes. Events need not be sorted; repeated events at one (step, channel) add up.
    pub fn new(
        channels: usize,
        steps: usize,
        classes: usize,
        samples: impl IntoIterator<Item = (Vec<Event>, usize)>,
    ) -> Result<Self, DataError> {
        if channels == 0 || steps == 0 || classes == 0 {
            return Err(DataError::Invalid(format!(
                "channels ({channels}), steps ({steps}) and classes ({classes}) must all be positive"
            )));
        }
        let mut dataset = SpikeDataset {
            channels,
            steps,
            classes,
            offsets: vec![0],
            events: Vec::new(),
            labels: Vec::new(),
        };
        for (index, (mut events, label)) in samples.into_iter().enumerate() {
            if label >= classes {
                return Err(DataError::Invalid(format!(
                    "sample {index} has label {label}, expected one of 0..{classes}"
                )));
            }
            if let Some(e) = events.iter().find(|e| e.step as usize >= steps || e.channel as usize >= channels) {
                return Err(DataError::Invalid(format!(
                    "sample {index} has a spike at step {} on channel {}, outside {steps} steps × {channels} channels",
                    e.step, e.channel
                )));
            }
            events.sort_unstable();
            dataset.events.extend_from_slice(&events);
            dataset.offsets.push(dataset.events.len());
            dataset.labels.push(label);
        }
        Ok(dataset)
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Input channels N.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Time steps T.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// Number of classes C.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Label of sample `i`.
    pub fn label(&self, i: usize) -> usize {
        self.labels[i]
    }

    /// All labels in sample order.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// Events of sample `i`, sorted by (step, channel).
    pub fn events(&self, i: usize) -> &[Event] {
        &self.events[self.offsets[i]..self.offsets[i + 1]]
    }

    /// Samples per class.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes];
        for &l in &self.labels {
            counts[l] += 1;
        }
        counts
    }

    /// Sample `i` as a dense row-major `[T, N]` array of event counts.
    pub fn dense(&self, i: usize) -> Vec<f32> {
        let mut x = vec![0.0f32; self.steps * self.channels];
        for e in self.events(i) {
            x[e.step as usize * self.channels + e.channel as usize] += 1.0;
        }
        x
    }

    fn check_indices(&self, indices: &[usize]) -> Result<(), DataError> {
        match indices.iter().find(|&&i| i >= self.len()) {
            Some(&i) => Err(DataError::Invalid(format!("index {i} out of a dataset of {} samples", self.len()))),
            None => Ok(()),
        }
    }

    /// The samples at `indices`, in that order (indices may repeat).
    pub fn subset(&self, indices: &[usize]) -> Result<SpikeDataset, DataError> {
        self.check_indices(indices)?;
        let mut out = SpikeDataset { offsets: vec![0], events: Vec::new(), labels: Vec::new(), ..*self };
        for &i in indices {
            out.events.extend_from_slice(self.events(i));
            out.offsets.push(out.events.len());
            out.labels.push(self.labels[i]);
        }
        Ok(out)
    }

    /// Every time step repeated `k` times (the official code's `timerepeat:k`): a spike at step
    /// t becomes spikes at steps k·t, …, k·t + k − 1, and the sequence is k times as long; the
    /// labels, which every step carries, are unchanged. k = 1 is the identity; k = 0 is an
    /// error.
    pub fn repeat_time(&self, k: usize) -> Result<SpikeDataset, DataError> {
        if k == 0 {
            return Err(DataError::parameter("time_repeat", "at least 1 (1 keeps the sequence as it is), got 0"));
        }
        let mut out = SpikeDataset { steps: self.steps * k, offsets: vec![0], events: Vec::with_capacity(self.events.len() * k), labels: self.labels.clone(), ..*self };
        for i in 0..self.len() {
            for e in self.events(i) {
                for r in 0..k {
                    out.events.push(Event { step: e.step * k as u32 + r as u32, channel: e.channel });
                }
            }
            out.offsets.push(out.events.len());
        }
        Ok(out)
    }

    /// The same samples in an order drawn from `seed`.
    pub fn shuffled(&self, seed: u64) -> SpikeDataset {
        let order = permutation(self.len(), seed);
        self.subset(&order).expect("a permutation indexes inside the dataset")
    }

    /// Splits in order: the first part is train, then `validation` and `test` fractions of the
    /// samples (rounded down), the test part last. Shuffle first for a random split.
    pub fn split(&self, validation: f64, test: f64) -> Result<Splits, DataError> {
        DataError::check_fraction("validation", validation)?;
        DataError::check_fraction("test", test)?;
        if validation + test >= 1.0 {
            return Err(DataError::Invalid(format!(
                "validation ({validation}) and test ({test}) fractions leave no training samples"
            )));
        }
        let n = self.len();
        let n_test = (test * n as f64).floor() as usize;
        let n_val = (validation * n as f64).floor() as usize;
        let n_train = n - n_val - n_test;
        let range = |a: usize, b: usize| self.subset(&(a..b).collect::<Vec<_>>());
        Ok(Splits {
            train: range(0, n_train)?,
            validation: range(n_train, n_train + n_val)?,
            test: range(n_train + n_val, n)?,
        })
    }

    /// Splits off the last `fraction` of the samples as a validation part: `(train, validation)`.
    pub fn split_validation(&self, fraction: f64) -> Result<(SpikeDataset, SpikeDataset), DataError> {
        let Splits { train, validation, .. } = self.split(fraction, 0.0)?;
        Ok((train, validation))
    }

    /// μ_x and σ²_x of the module docs; an error for an empty dataset.
    pub fn statistics(&self) -> Result<InputStatistics, DataError> {
        if self.is_empty() {
            return Err(DataError::Invalid("input statistics of an empty dataset".into()));
        }
        let entries = (self.steps * self.channels) as f64;
        let (mut mean, mut variance) = (0.0, 0.0);
        for i in 0..self.len() {
            let events = self.events(i);
            // Events are sorted, so equal (step, channel) pairs are adjacent: sum their squared counts.
            let mut sum_sq = 0.0;
            let mut run = 0.0;
            for (k, e) in events.iter().enumerate() {
                run += 1.0;
                if events.get(k + 1) != Some(e) {
                    sum_sq += run * run;
                    run = 0.0;
                }
            }
            let m = events.len() as f64 / entries;
            mean += m;
            variance += sum_sq / entries - m * m;
        }
        let n = self.len() as f64;
        Ok(InputStatistics { mean: mean / n, variance: variance / n })
    }

    /// Batches of `batch_size` samples as `[T, B, N]` tensors on `device`, in order, or in an
    /// order drawn from `shuffle_seed`. The last batch holds the remainder unless
    /// [`Batches::drop_last`] is set.
    pub fn batches(&self, batch_size: usize, shuffle_seed: Option<u64>, device: &Device) -> Result<Batches<'_>, DataError> {
        if batch_size == 0 {
            return Err(DataError::parameter("batch_size", "at least 1 sample per batch was expected, got 0"));
        }
        if self.is_empty() {
            return Err(DataError::Invalid("cannot batch an empty dataset".into()));
        }
        let order = match shuffle_seed {
            Some(seed) => permutation(self.len(), seed),
            None => (0..self.len()).collect(),
        };
        Ok(Batches { dataset: self, order, batch_size, next: 0, drop_last: false, device: device.clone() })
    }

    /// The samples at `indices` as one batch.
    pub fn batch(&self, indices: &[usize], device: &Device) -> Result<Batch, DataError> {
        if indices.is_empty() {
            return Err(DataError::parameter("indices", "at least one sample index was expected"));
        }
        self.check_indices(indices)?;
        let (t, b, n) = (self.steps, indices.len(), self.channels);
        let mut x = vec![0.0f32; t * b * n];
        for (slot, &i) in indices.iter().enumerate() {
            for e in self.events(i) {
                x[(e.step as usize * b + slot) * n + e.channel as usize] += 1.0;
            }
        }
        Ok(Batch {
            inputs: Tensor::from_data(TensorData::new(x, [t, b, n]), device),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            indices: indices.to_vec(),
        })
    }
}

/// One batch: inputs `[T, B, N]`, their labels and their sample indices.
#[derive(Debug, Clone)]
pub struct Batch {
    /// Spike counts, time-major `[T, B, N]`.
    pub inputs: Tensor<3>,
    /// Class of each of the B samples.
    pub labels: Vec<usize>,
    /// Index of each sample in its dataset.
    pub indices: Vec<usize>,
}

/// Iterator over the batches of a dataset ([`SpikeDataset::batches`]).
#[derive(Debug)]
pub struct Batches<'a> {
    dataset: &'a SpikeDataset,
    order: Vec<usize>,
    batch_size: usize,
    next: usize,
    drop_last: bool,
    device: Device,
}

impl Batches<'_> {
    /// Leaves out a last batch smaller than the batch size.
    pub fn drop_last(mut self) -> Self {
        self.drop_last = true;
        self
    }
}

impl Iterator for Batches<'_> {
    type Item = Batch;

    fn next(&mut self) -> Option<Batch> {
        let end = (self.next + self.batch_size).min(self.order.len());
        if self.next >= end || (self.drop_last && end - self.next < self.batch_size) {
            return None;
        }
        let indices = &self.order[self.next..end];
        self.next = end;
        Some(self.dataset.batch(indices, &self.device).expect("batch indices come from the dataset"))
    }
}

/// A permutation of `0..n` drawn from `seed`.
fn permutation(n: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rng(seed, SHUFFLE_STREAM));
    order
}

/// Random stream of shuffles, apart from the streams of weight initialisation.
const SHUFFLE_STREAM: u64 = 0x5348_5546; // "SHUF"
