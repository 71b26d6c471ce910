//! Training an [`EventNetwork`] with exact gradients: mini-batches of the mean
//! [`FirstSpikeLoss`], AdaBelief (Zhuang et al. 2020; spikegd's optimiser, β = (0.9, 0.999)):
//!
//! ```text
//! m ← β₁ m + (1 − β₁) g,    s ← β₂ s + (1 − β₂)(g − m)² + ε,    θ ← θ − η_k m̂ / (√ŝ + ε)
//! ```
//!
//! with bias-corrected m̂, ŝ, ε = 10⁻¹⁶ and the learning rate η_k = η e^{−k/τ_η} after epoch k.
//! The theta neuron's initial phases are clipped to [0, Θ] after each step. Training stops
//! after `max_epochs` or once the validation loss has not improved for `patience` epochs; the
//! best-validation parameters are kept and the test set is evaluated once, on them.

use rand::seq::SliceRandom;

use super::network::BatchResult;
use super::{CurrentLif, EventError, EventModel, EventNetwork, EventSample, FirstSpikeLoss, Theta};

/// Everything that defines an event-network training run.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EventTrainConfig {
    /// The neuron model.
    pub model: EventModel,
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    /// Trial length T.
    pub duration: f64,
    /// Initial weight scale s (weights U(±s/√fan-in)).
    pub weight_scale: f64,
    /// Learning rate η.
    pub lr: f64,
    /// Time constant τ_η of the learning-rate decay, in epochs.
    pub lr_decay_epochs: f64,
    /// Samples per mini-batch.
    pub batch_size: usize,
    /// Most epochs.
    pub max_epochs: usize,
    /// Epochs without a lower validation loss before stopping.
    pub patience: usize,
    /// The loss.
    pub loss: FirstSpikeLoss,
    /// Spikes per neuron and trial before it is frozen.
    pub max_spikes: usize,
    /// Seed of the initial weights and the batch order.
    pub seed: u64,
}

impl EventTrainConfig {
    /// Checks every field (a configuration read from a file has not been through the
    /// neurons' constructors).
    pub fn validate(&self) -> Result<(), EventError> {
        match self.model {
            EventModel::Theta(m) => Theta::new(m.tau, m.drive).map(|_| ())?,
            EventModel::Lif(m) => CurrentLif::new(m.tau, m.threshold).map(|_| ())?,
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return Err(EventError::parameter("lr", format!("a finite learning rate > 0, got {}", self.lr)));
        }
        if !(self.lr_decay_epochs > 0.0) {
            return Err(EventError::parameter("lr_decay_epochs", format!("a decay time > 0 (infinity for none), got {}", self.lr_decay_epochs)));
        }
        if self.batch_size == 0 || self.max_epochs == 0 || self.max_spikes == 0 {
            return Err(EventError::parameter("batch_size, max_epochs, max_spikes", "positive counts"));
        }
        if !(self.loss.gamma >= 0.0 && self.loss.gamma.is_finite()) {
            return Err(EventError::parameter("loss.gamma", format!("a finite weight ≥ 0, got {}", self.loss.gamma)));
        }
        Ok(())
    }

    /// The untrained network for `inputs` channels and `classes` outputs.
    pub fn network(&self, inputs: usize, classes: usize) -> Result<EventNetwork, EventError> {
        let mut sizes = vec![inputs];
        sizes.extend(&self.hidden);
        sizes.push(classes);
        let mut net = EventNetwork::new(self.model, sizes, self.duration, self.weight_scale, self.seed)?;
        net.max_spikes = self.max_spikes;
        Ok(net)
    }
}

/// One epoch of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochRecord {
    /// 1-based.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches.
    pub train_loss: f64,
    /// Training accuracy over the epoch's batches.
    pub train_accuracy: f64,
    /// Validation loss after the epoch.
    pub val_loss: f64,
    /// Validation accuracy after the epoch.
    pub val_accuracy: f64,
    /// Mean spikes per hidden neuron and validation sample.
    pub hidden_rate: f64,
    /// Hidden neurons silent on the whole validation set.
    pub silent: usize,
    /// Share of (validation sample, output neuron) pairs with an output spike in the trial.
    pub output_spike_share: f64,
    /// Spikes dropped at the spike limit on the validation set (0 unless the limit binds).
    pub dropped_spikes: usize,
}

/// A finished run.
#[derive(Debug, Clone)]
pub struct EventTraining {
    /// The epochs run.
    pub history: Vec<EpochRecord>,
    /// The parameters after each epoch (index k: after epoch k + 1).
    pub snapshots: Vec<Vec<f64>>,
    /// The best-validation network.
    pub best: EventNetwork,
    /// Its epoch.
    pub best_epoch: usize,
    /// The test set on the best network.
    pub test: BatchResult,
}

/// AdaBelief state (module docs).
struct AdaBelief {
    m: Vec<f64>,
    s: Vec<f64>,
    step: i32,
}

impl AdaBelief {
    const BETA1: f64 = 0.9;
    const BETA2: f64 = 0.999;
    const EPS: f64 = 1e-16;

    fn new(n: usize) -> AdaBelief {
        AdaBelief { m: vec![0.0; n], s: vec![0.0; n], step: 0 }
    }

    fn update(&mut self, params: &mut [f64], grad: &[f64], lr: f64) {
        self.step += 1;
        let (c1, c2) = (1.0 - Self::BETA1.powi(self.step), 1.0 - Self::BETA2.powi(self.step));
        for ((p, g), (m, s)) in params.iter_mut().zip(grad).zip(self.m.iter_mut().zip(self.s.iter_mut())) {
            *m = Self::BETA1 * *m + (1.0 - Self::BETA1) * g;
            *s = Self::BETA2 * *s + (1.0 - Self::BETA2) * (g - *m).powi(2) + Self::EPS;
            *p -= lr * (*m / c1) / ((*s / c2).sqrt() + Self::EPS);
        }
    }
}

fn refs(samples: &[EventSample]) -> Vec<&EventSample> {
    samples.iter().collect()
}

/// Trains `config` on `train`, selecting on `validation` and testing on `test` (module docs).
pub fn train(config: &EventTrainConfig, train: &[EventSample], validation: &[EventSample], test: &[EventSample], classes: usize) -> Result<EventTraining, EventError> {
    config.validate()?;
    let inputs = train.iter().chain(validation).chain(test).flat_map(|s| s.channels.iter()).max().map_or(1, |&c| c as usize + 1);
    let mut net = config.network(inputs, classes)?;
    for s in train.iter().chain(validation).chain(test) {
        net.check(s)?;
    }
    if train.is_empty() || validation.is_empty() {
        return Err(EventError::Shape("training needs non-empty training and validation sets".into()));
    }
    let (validation, test_refs) = (refs(validation), refs(test));
    let mut optimiser = AdaBelief::new(net.params.len());
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut rng = crate::rng::rng(config.seed, 0x4556_5452_4149_4E00);
    let (mut history, mut snapshots) = (Vec::new(), Vec::new());
    let (mut best, mut best_loss, mut best_epoch) = (net.clone(), f64::INFINITY, 0);
    let phase_max = match config.model {
        EventModel::Theta(m) => Some(m.period()),
        EventModel::Lif(_) => None,
    };
    for epoch in 1..=config.max_epochs {
        order.shuffle(&mut rng);
        let lr = config.lr * (-((epoch - 1) as f64) / config.lr_decay_epochs).exp();
        let (mut loss_sum, mut correct) = (0.0, 0);
        for chunk in order.chunks(config.batch_size) {
            let batch: Vec<&EventSample> = chunk.iter().map(|&i| &train[i]).collect();
            let r = net.evaluate(&batch, &config.loss, true);
            if !r.loss.is_finite() || r.gradient.iter().any(|g| !g.is_finite()) {
                return Err(EventError::Diverged { epoch, loss: r.loss / r.samples as f64 });
            }
            loss_sum += r.loss;
            correct += r.correct;
            let grad: Vec<f64> = r.gradient.iter().map(|g| g / r.samples as f64).collect();
            optimiser.update(&mut net.params, &grad, lr);
            if let Some(max) = phase_max {
                for l in 1..=net.depth() {
                    let (_, p0) = net.offsets(l);
                    net.params[p0..p0 + net.sizes[l]].iter_mut().for_each(|p| *p = p.clamp(0.0, max));
                }
            }
        }
        let v = net.evaluate(&validation, &config.loss, false);
        let outputs = net.sizes[net.depth()];
        history.push(EpochRecord {
            epoch,
            train_loss: loss_sum / train.len() as f64,
            train_accuracy: correct as f64 / train.len() as f64,
            val_loss: v.mean_loss(),
            val_accuracy: v.accuracy(),
            hidden_rate: v.hidden_rate(),
            silent: v.silent_neurons(),
            output_spike_share: v.output_spikes as f64 / (v.samples * outputs) as f64,
            dropped_spikes: v.dropped,
        });
        snapshots.push(net.params.clone());
        if v.mean_loss() < best_loss {
            (best, best_loss, best_epoch) = (net.clone(), v.mean_loss(), epoch);
        } else if epoch - best_epoch >= config.patience {
            break;
        }
    }
    let test = best.evaluate(&test_refs, &config.loss, false);
    Ok(EventTraining { history, snapshots, best, best_epoch, test })
}
