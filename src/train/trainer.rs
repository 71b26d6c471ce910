//! The training loop.
//!
//! ```text
//! load task splits → init network (seed) → [rate targeting] → initial rates
//! for epoch e in 0..E:
//!     for each training batch (order drawn from seed and e):
//!         s ← schedule(p = (e + i/n_batches)/E, s)
//!         L = CE(logits, labels) + λ s Σ_l R(z^{(l)}) + Σ_bounds Σ_l H(z^{(l)})   (rate loss, homeostasis)
//!         stop as diverged if L is not finite;  θ ← Adam(θ, ∂L/∂θ)
//!     stop as diverged if any θ is not finite
//!     validation (and, by default, test) metrics without autodiff graphs; from epoch
//!     `warmup_epochs` on, keep the best weights by the monitored validation metric (loss by
//!     default, or accuracy)
//!     checkpoint; stop early after `patience` epochs (past the warm-up) without improvement or
//!     past the time limit
//! restore the best weights → test metrics
//! ```

use std::path::PathBuf;
use std::time::Instant;
use crate::init::{InitContext, Initialiser};
use crate::validate::Validate;

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::Device;
use burn::Tensor;

use super::TrainError;
use super::checkpoint::{Checkpoint, TrainState};
use super::config::{Method, TrainConfig};
use super::learner::{BatchContext, Learner};
use super::metrics::{EvalMetrics, MetricSums};
use super::progress::{Progress, ProgressMode};
use super::record::{EpochRecord, RunRecord, RunStatus};
use crate::data::{SpikeDataset, Splits};
use crate::network::{Network, NetworkConfig};

/// How a run is carried out (not part of its result).
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Where to keep a checkpoint; a run finding one of the same configuration resumes from it.
    pub checkpoint_dir: Option<PathBuf>,
    /// Progress display.
    pub progress: ProgressMode,
    /// Where to save the trained model (the best epoch's, the one the test metrics describe) as
    /// a burn record when the run ends without diverging; [`load_network`] reads it back.
    pub model_file: Option<PathBuf>,
}

/// Runs `config` to completion with default options (no checkpoint, automatic progress).
pub fn train(config: &TrainConfig) -> Result<RunRecord, TrainError> {
    train_with(config, &RunOptions::default())
}

/// Runs `config` with `options`, loading its task.
pub fn train_with(config: &TrainConfig, options: &RunOptions) -> Result<RunRecord, TrainError> {
    config.validate()?;
    let splits = config.task.load()?;
    run_validated(config, &splits, options)
}

/// Sum of squares of every float parameter, to detect NaN/Inf after an update.
struct FiniteCheck {
    sums: Vec<Tensor<1>>,
}

impl ModuleVisitor for FiniteCheck {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.sums.push(param.val().detach().powi_scalar(2).sum());
    }
}

fn parameters_finite<M: Module>(net: &M) -> bool {
    let mut check = FiniteCheck { sums: Vec::new() };
    net.visit(&mut check);
    check.sums.into_iter().reduce(|a, b| a + b).is_none_or(|s| s.into_scalar::<f64>().is_finite())
}

/// The part of the data that measures rates and selects the best epoch: validation if present.
fn selection_set(splits: &Splits) -> &SpikeDataset {
    if splits.validation.is_empty() { &splits.train } else { &splits.validation }
}

/// Runs `config` on already loaded `splits` (studies that share one dataset across runs).
pub fn train_on(config: &TrainConfig, splits: &Splits, options: &RunOptions) -> Result<RunRecord, TrainError> {
    config.validate()?;
    run_validated(config, splits, options)
}

/// The run of a configuration validated by the entry that called it.
fn run_validated(config: &TrainConfig, splits: &Splits, options: &RunOptions) -> Result<RunRecord, TrainError> {
    let base = crate::device(config.run.backend.name())?;
    let train_device = base.clone().autodiff();
    let train = &splits.train;
    if train.is_empty() {
        return Err(TrainError::Data(crate::data::DataError::Invalid("the training part is empty".into())));
    }
    super::memory::check_fits(config, train.channels(), train.classes(), train.steps())?;
    if matches!(config.method, Method::Decolle(_)) {
        let net = super::decolle::initial_network(config, train, &train_device)?;
        return run_epochs(config, splits, options, &base, net.clone(), net, |net, progress| {
            super::decolle::prepare(net, config, train, &train_device, &|message: &str| progress.note(message))
        });
    }
    let net_config = config.model.network(train.channels(), train.classes(), config.run.seed);
    let fresh = || net_config.init(&train_device);
    run_epochs(config, splits, options, &base, fresh()?, fresh()?, |net, progress| {
        initialise(net, &net_config, config, train, &train_device, &|message: &str| progress.note(message))
    })
}

/// A freshly drawn BPTT network `net` (of `net_config`, the model of `config` on `train`'s
/// shapes) after its initialisation scheme and rate targeting on `train` (what training starts
/// from), on the autodiff `device`.
fn initialise(net: Network, net_config: &NetworkConfig, config: &TrainConfig, train: &SpikeDataset, device: &Device, log: &dyn Fn(&str)) -> Result<Network, TrainError> {
    let bptt = config.bptt().ok_or_else(|| TrainError::config("decolle", "no entry: a BPTT network is initialised by its init scheme"))?;
    let context = InitContext {
        config: net_config,
        seed: config.run.seed,
        train,
        device,
        batch_size: config.run.batch_size,
        max_batches: config.run.train_batches_per_epoch,
        log,
    };
    let net = bptt.init.initialise(net, &context)?;
    match &bptt.rate_targeting {
        Some(targeting) => Ok(targeting.initialise(net, &context)?),
        None => Ok(net),
    }
}

/// The network a BPTT run of `config` starts from on `train`: drawn from the run's seed, then
/// initialised and rate-targeted as [`train`] does, on the autodiff form of the run's backend.
pub fn initial_network(config: &TrainConfig, train: &SpikeDataset) -> Result<Network, TrainError> {
    config.validate()?;
    let device = crate::device(config.run.backend.name())?.autodiff();
    let net_config = config.model.network(train.channels(), train.classes(), config.run.seed);
    initialise(net_config.init(&device)?, &net_config, config, train, &device, &|_: &str| {})
}

/// The epoch loop (module docs) for any model and learning rule on the device `base` (training
/// on its autodiff form): `net` and `best` are freshly drawn models, `prepare` initialises a new
/// run (not a resumed one).
fn run_epochs<L: Learner>(
    config: &TrainConfig,
    splits: &Splits,
    options: &RunOptions,
    base: &Device,
    mut net: L,
    mut best: L,
    prepare: impl FnOnce(L, &Progress) -> Result<L, TrainError>,
) -> Result<RunRecord, TrainError> {
    let started = Instant::now();
    let train_device = base.clone().autodiff();
    let train = &splits.train;
    let mut optim = config.optimizer.init();
    let checkpoint = options.checkpoint_dir.as_ref().map(Checkpoint::new);

    let mut state = match checkpoint.as_ref().filter(|c| c.exists()) {
        Some(c) => {
            let (n, b, o, s) = c.load(config, net, best, optim)?;
            (net, best, optim) = (n, b, o);
            if let Some(position) = s.noise_position {
                best = net.resume_noise(position, best);
            }
            s
        }
        None => TrainState {
            config: config.clone(),
            epochs_done: 0,
            history: Vec::new(),
            best: None,
            since_best: 0,
            switch: 0.0,
            initial_rates: Vec::new(),
            applied_surrogates: Vec::new(),
            noise_position: None,
            elapsed_s: 0.0,
        },
    };
    let progress = Progress::new(options.progress, config.run.max_epochs(), state.epochs_done);
    if state.epochs_done > 0 {
        progress.note(&format!("resuming after epoch {} from {}", state.epochs_done, checkpoint.as_ref().unwrap().dir().display()));
    } else {
        net = prepare(net, &progress)?;
        let initial = net.evaluate(selection_set(splits), config, base)?;
        state.initial_rates = initial.rates;
        state.applied_surrogates = net.surrogates();
        best = net.clone();
    }

    let elapsed_before = state.elapsed_s;
    let elapsed = || elapsed_before + started.elapsed().as_secs_f64();
    let mut status = RunStatus::Completed;
    let batches_per_epoch = {
        let n = train.len().div_ceil(config.run.batch_size);
        config.run.train_batches_per_epoch.map_or(n, |m| m.min(n))
    };

    'epochs: for epoch in state.epochs_done..config.run.max_epochs() {
        let epoch_start = Instant::now();
        let mut sums = MetricSums::default();
        let mut regularizer_sum = 0.0;
        let order_seed = config.run.seed.wrapping_mul(0x9E37_79B9).wrapping_add(epoch as u64);
        let batches = train.batches(config.run.batch_size, Some(order_seed), &train_device)?.take(batches_per_epoch);
        for (i, batch) in batches.enumerate() {
            let progress_fraction = (epoch as f64 + i as f64 / batches_per_epoch as f64) / config.run.epochs as f64;
            if let Some(reg) = config.bptt().and_then(|b| b.regularizer.as_ref()) {
                state.switch = reg.schedule.value(progress_fraction, state.switch);
            }
            let size = batch.labels.len();
            let context = BatchContext { config, epoch, batch: i, switch: state.switch };
            let (learned, outcome) = net.learn(batch, &mut optim, &context)?;
            net = learned;
            if !outcome.is_finite() {
                status = RunStatus::Diverged { epoch };
                progress.note(&format!("diverged in epoch {}: loss {}", epoch + 1, outcome.task_loss + outcome.regularizer_loss));
                break 'epochs;
            }
            regularizer_sum += outcome.regularizer_loss;
            sums.add(outcome.task_loss, outcome.correct, &outcome.rates, size);
            progress.batch(epoch, i, batches_per_epoch, outcome.task_loss);
        }
        if !parameters_finite(&net) {
            status = RunStatus::Diverged { epoch };
            progress.note(&format!("diverged in epoch {}: a parameter is not finite", epoch + 1));
            break;
        }
        let train_metrics = sums.finish();
        let validation = if splits.validation.is_empty() {
            None
        } else {
            Some(net.evaluate(&splits.validation, config, base)?)
        };
        if !train_metrics.is_finite() || validation.as_ref().is_some_and(|v| !v.is_finite()) {
            status = RunStatus::Diverged { epoch };
            progress.note(&format!("diverged in epoch {}: metrics are not finite", epoch + 1));
            break;
        }
        let test = if config.run.test_each_epoch && !splits.test.is_empty() {
            Some(net.evaluate(&splits.test, config, base)?)
        } else {
            None
        };
        progress.epoch(epoch, &train_metrics, validation.as_ref());
        let score = config.run.monitor.score(validation.as_ref().unwrap_or(&train_metrics));
        if epoch < config.run.warmup_epochs {
            // Warm-up: neither a candidate for the best weights nor counted by patience.
        } else if state.best.is_none_or(|(l, _)| score < l) {
            state.best = Some((score, epoch));
            state.since_best = 0;
            best = net.clone();
        } else {
            state.since_best += 1;
        }
        state.history.push(EpochRecord {
            epoch,
            train: train_metrics,
            regularizer_loss: regularizer_sum / batches_per_epoch as f64,
            switch: state.switch,
            validation,
            test,
            seconds: epoch_start.elapsed().as_secs_f64(),
        });
        state.epochs_done = epoch + 1;
        state.elapsed_s = elapsed();
        state.noise_position = net.noise_position();
        if let Some(c) = &checkpoint {
            c.save(&net, &best, &optim, &state)?;
        }
        if config.run.patience.is_some_and(|p| state.since_best >= p) {
            status = RunStatus::EarlyStopped;
            break;
        }
        if config.run.time_limit_s.is_some_and(|t| elapsed() >= t) && epoch + 1 < config.run.max_epochs() {
            status = RunStatus::TimeLimit;
            break;
        }
    }

    let test = if status.diverged() || state.best.is_none() {
        None
    } else {
        let test_set = if splits.test.is_empty() { selection_set(splits) } else { &splits.test };
        if let Some(path) = &options.model_file {
            save_model(&best, path)?;
        }
        Some(best.evaluate(test_set, config, base)?)
    };
    Ok(RunRecord {
        config: config.clone(),
        status,
        initial_rates: state.initial_rates,
        applied_surrogates: state.applied_surrogates,
        best_epoch: state.best.map(|(_, e)| e),
        history: state.history,
        test,
        wall_time_s: elapsed(),
        crate_version: env!("CARGO_PKG_VERSION").to_string(),
    })
}

/// Writes `model` to `path` (through a temporary file, so a reader never sees half a record).
fn save_model<M: burn::module::Module>(model: &M, path: &std::path::Path) -> Result<(), TrainError> {
    crate::durable::replace(path, |tmp| model.clone().save_file(tmp).map_err(|e| format!("{e:?}"))).map_err(TrainError::Io)
}

/// The BPTT network of `config` for a task of `input_size` channels and `output_size` classes
/// with the parameters saved in `path` (by [`RunOptions::model_file`]), on `device`. A missing
/// or corrupt file, or one saved from another architecture, is an error naming the file.
pub fn load_network(config: &TrainConfig, input_size: usize, output_size: usize, path: &std::path::Path, device: &Device) -> Result<Network, TrainError> {
    if matches!(config.method, Method::Decolle(_)) {
        return Err(TrainError::config("decolle", "a BPTT configuration (load_network builds a `Network`)"));
    }
    let net = config.model.network(input_size, output_size, config.run.seed).init(device)?;
    net.try_load_file(path).map_err(|e| TrainError::Io(format!("{}: not a saved model of this configuration: {e:?}", path.display())))
}

/// Metrics of `net` on `data` with the configuration's loss and evaluation limit, without an
/// autodiff graph (batches of at least 256); the loop's own evaluations and studies that
/// evaluate networks outside a run both use it.
pub fn evaluate_network(net: &Network, data: &SpikeDataset, config: &TrainConfig, device: &Device) -> Result<EvalMetrics, TrainError> {
    net.evaluate(data, config, device)
}
