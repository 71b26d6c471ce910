//! What the epoch loop needs from a model and its learning rule: learn from one batch, and be
//! evaluated. Two rules implement it: backpropagation through time over a whole sequence for
//! [`Network`] (here), and DECOLLE's local per-step learning for
//! [`DecolleNet`](crate::neuron::decolle::DecolleNet) ([`super::decolle`]).

use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::Device;

use super::TrainError;
use super::config::TrainConfig;
use super::metrics::{EvalMetrics, correct_predictions, evaluate};
use crate::data::{Batch, SpikeDataset};
use crate::network::Network;
use crate::regularize::SpikeCountBound;
use crate::spike::SpikeFn;

/// Where in training a batch falls.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BatchContext<'a> {
    /// The run's configuration.
    pub config: &'a TrainConfig,
    /// The epoch (from 0).
    pub epoch: usize,
    /// The batch within the epoch (from 0).
    pub batch: usize,
    /// The regulariser's switch s(e) for this batch.
    pub switch: f64,
}

/// What one batch of learning measured.
#[derive(Debug, Clone)]
pub(crate) struct BatchOutcome {
    /// The task loss.
    pub task_loss: f64,
    /// The added rate terms (regulariser or rate control), 0 when off.
    pub regularizer_loss: f64,
    /// Correct predictions in the batch.
    pub correct: usize,
    /// Each layer's firing rate.
    pub rates: Vec<f64>,
}

impl BatchOutcome {
    /// Whether the loss is a number: a run whose loss is not stops as diverged.
    pub fn is_finite(&self) -> bool {
        (self.task_loss + self.regularizer_loss).is_finite()
    }
}

/// A model with its learning rule.
pub(crate) trait Learner: Module + Sized {
    /// Learns from `batch` (on the autodiff device) with `optim`. A loss that is not finite is
    /// reported in the outcome (the loop then stops the run as diverged).
    fn learn(self, batch: Batch, optim: &mut ModuleOptimizer, context: &BatchContext) -> Result<(Self, BatchOutcome), TrainError>;

    /// Metrics on `data` without autodiff graphs, on the inner `device`.
    fn evaluate(&self, data: &SpikeDataset, config: &TrainConfig, device: &Device) -> Result<EvalMetrics, TrainError>;

    /// Each layer's surrogate as it is now (after any initialiser set it); `None` for a layer
    /// whose spike has no built-in surrogate (escape noise, a custom function).
    fn surrogates(&self) -> Vec<Option<crate::surrogate::Surrogate>>;

    /// The position of the model's noise stream, if its spikes are stochastic: what a
    /// checkpoint saves so that a resumed run draws the noise it would have drawn.
    fn noise_position(&self) -> Option<u128> {
        None
    }

    /// Moves the model's noise stream to `position`, and gives `other` (the best weights, which
    /// in an uninterrupted run share the training model's stream) that same stream.
    fn resume_noise(&self, _position: u128, other: Self) -> Self {
        other
    }
}

impl BatchContext<'_> {
    /// The seed of this batch's dropout masks: one stream per (run seed, epoch, batch), so a run
    /// resumed from a checkpoint draws the masks it would have drawn.
    pub fn mask_seed(&self) -> u64 {
        crate::rng::derived_seed(self.config.run.seed ^ 0xD809_0000_0000_0000, ((self.epoch as u64) << 32) | self.batch as u64)
    }
}

impl Learner for Network {
    /// L = loss(logits, labels) + λ s Σ_l R(z^{(l)}) + Σ_bounds Σ_l H(z^{(l)}) (rate regulariser
    /// and homeostasis, [`crate::regularize`]), one backward pass through the sequence
    /// (with dropout on the layers' inputs at the model's rate).
    fn learn(self, batch: Batch, optim: &mut ModuleOptimizer, context: &BatchContext) -> Result<(Self, BatchOutcome), TrainError> {
        let config = context.config;
        let out = self.forward_training(batch.inputs, context.mask_seed())?;
        let loss = config.bptt().map_or_else(Default::default, |b| b.loss);
        let task_loss = loss.loss(out.logits.clone(), &batch.labels)?;
        let mut outcome = BatchOutcome {
            task_loss: 0.0,
            regularizer_loss: 0.0,
            correct: correct_predictions(&out.logits, &batch.labels)?,
            rates: out.firing_rates(),
        };
        let mut loss = task_loss.clone();
        let rate_terms = [
            config.bptt().and_then(|b| b.regularizer.as_ref()).and_then(|reg| reg.loss(&out.spikes, context.switch)),
            config.bptt().and_then(|b| SpikeCountBound::total(&b.homeostasis, &out.spikes)),
        ];
        for r in rate_terms.into_iter().flatten() {
            outcome.regularizer_loss += r.clone().into_scalar::<f64>();
            loss = loss + r;
        }
        outcome.task_loss = task_loss.into_scalar::<f64>();
        if !outcome.is_finite() {
            return Ok((self, outcome));
        }
        let grads = GradientsParams::from_grads(loss.backward(), &self);
        Ok((optim.step(config.optimizer.lr, self, grads), outcome))
    }

    fn evaluate(&self, data: &SpikeDataset, config: &TrainConfig, device: &Device) -> Result<EvalMetrics, TrainError> {
        let loss = config.bptt().map_or_else(Default::default, |b| b.loss);
        evaluate(&self.valid(), data, config.run.batch_size.max(256), config.run.eval_samples, loss, device)
    }

    fn surrogates(&self) -> Vec<Option<crate::surrogate::Surrogate>> {
        self.layers.iter().map(|l| l.spike_fn().surrogate().copied()).collect()
    }

    fn noise_position(&self) -> Option<u128> {
        match self.layers.first()?.spike_fn() {
            SpikeFn::Escape(escape) => Some(escape.stream_position()),
            _ => None,
        }
    }

    fn resume_noise(&self, position: u128, mut other: Self) -> Self {
        if let Some(SpikeFn::Escape(escape)) = self.layers.first().map(|l| l.spike_fn()) {
            escape.seek(position);
            for (mine, theirs) in self.layers.iter().zip(other.layers.iter_mut()) {
                theirs.set_spike_fn(mine.spike_fn().clone());
            }
        }
        other
    }
}
