//! The paper's metrics over a dataset, computed without autodiff graphs.
//!
//! ```text
//! loss        mean over samples of the run's cross-entropy (per step or of the time average)
//! perplexity  exp(loss)
//! accuracy    "mode accuracy": argmax_c mean_t logits_{t,b,c} = label_b, averaged over samples
//! rates       per layer, mean of z over steps, samples and neurons
//! ```

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::TrainError;
use crate::data::SpikeDataset;
use crate::network::{ClassificationLoss, Network};

/// Metrics of one pass over a dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalMetrics {
    /// Mean cross-entropy.
    pub loss: f64,
    /// Mode accuracy.
    pub accuracy: f64,
    /// exp(loss).
    pub perplexity: f64,
    /// Per-layer firing rates.
    pub rates: Vec<f64>,
    /// Samples evaluated.
    pub samples: usize,
}

impl EvalMetrics {
    /// Whether every number is finite.
    pub fn is_finite(&self) -> bool {
        self.loss.is_finite() && self.accuracy.is_finite() && self.rates.iter().all(|r| r.is_finite())
    }
}

/// Running sums of per-batch metrics, weighted by batch size.
#[derive(Debug, Clone, Default)]
pub(crate) struct MetricSums {
    loss: f64,
    correct: usize,
    rates: Vec<f64>,
    samples: usize,
}

impl MetricSums {
    pub(crate) fn add(&mut self, loss: f64, correct: usize, rates: &[f64], batch: usize) {
        if self.rates.is_empty() {
            self.rates = vec![0.0; rates.len()];
        }
        self.loss += loss * batch as f64;
        self.correct += correct;
        for (sum, r) in self.rates.iter_mut().zip(rates) {
            *sum += r * batch as f64;
        }
        self.samples += batch;
    }

    pub(crate) fn finish(&self) -> EvalMetrics {
        let n = self.samples.max(1) as f64;
        let loss = self.loss / n;
        EvalMetrics {
            loss,
            accuracy: self.correct as f64 / n,
            perplexity: loss.exp(),
            rates: self.rates.iter().map(|r| r / n).collect(),
            samples: self.samples,
        }
    }
}

/// Number of samples whose time-averaged logits `[T, B, C]` pick the label.
pub(crate) fn correct_predictions(logits: &burn::Tensor<3>, labels: &[usize]) -> Result<usize, TrainError> {
    let predictions = logits.clone().detach().mean_dim(0).argmax(2).flatten::<1>(0, 2);
    let predictions: Vec<i64> = predictions
        .into_data()
        .convert::<i64>()
        .try_to_vec()
        .map_err(|e| TrainError::Results(format!("reading predictions: {e:?}")))?;
    Ok(predictions.iter().zip(labels).filter(|(p, l)| **p as usize == **l).count())
}

/// Evaluates `net` (an inference copy, see `Module::valid`) on the first `limit` samples of
/// `data` (all when `None`), in batches of `batch_size` on `device`.
pub fn evaluate(
    net: &Network,
    data: &SpikeDataset,
    batch_size: usize,
    limit: Option<usize>,
    loss: ClassificationLoss,
    device: &Device,
) -> Result<EvalMetrics, TrainError> {
    let n = limit.map_or(data.len(), |l| l.min(data.len()));
    if n == 0 {
        return Err(TrainError::Data(crate::data::DataError::Invalid("evaluation on an empty dataset".into())));
    }
    let mut sums = MetricSums::default();
    let indices: Vec<usize> = (0..n).collect();
    for chunk in indices.chunks(batch_size) {
        let batch = data.batch(chunk, device)?;
        let out = net.forward(batch.inputs)?;
        let rates = out.firing_rates();
        let correct = correct_predictions(&out.logits, &batch.labels)?;
        let value = loss.loss(out.logits, &batch.labels)?.into_scalar::<f64>();
        sums.add(value, correct, &rates, chunk.len());
    }
    Ok(sums.finish())
}
