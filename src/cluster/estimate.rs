//! How long a run takes at most: the time limit a task asks Slurm for.
//!
//! A run's cost is its synaptic products plus a fixed cost per batch and time step (kernel
//! launches, the neuron update, the optimiser's bookkeeping), which dominates small networks. Its
//! longest duration (every epoch, no early stop) is estimated as
//!
//! ```text
//! S = Σ_l (f_l · n_l + n_l²) + n_L · C                   synapses: input and recurrent per layer, readout
//! W = (N_train + N_eval / 3) · T · S                      an epoch's synaptic work: the training pass and
//!                                                         the evaluation passes (forward only, ≈ ⅓ of a step)
//! K = (⌈N_train / B⌉ + ⌈N_eval / B⌉ / 3) · T               an epoch's batch steps
//! seconds ≈ E · (c · W + o · K)                            capped by the run's own time limit
//! ```
//!
//! with f_1 the input channels, C classes, T steps (after time repetition), B the batch size,
//! N_train the training samples an epoch uses (`train_batches_per_epoch` × B where set), N_eval
//! the validation (and, with `test_each_epoch`, test) samples, E the epochs. The constants
//! c = [`SECONDS_PER_SYNAPSE_STEP`] and o = [`SECONDS_PER_BATCH_STEP`] solve two measured
//! epochs of the release binary on one core of the 2-core machine the studies' tables were
//! computed on (their docs). At the studies' operating points it is an upper bound (patience
//! usually stops a run earlier, and small sparse networks take less); a cluster core of a
//! recent CPU is not slower. A task whose files are not here is sized from the dataset's
//! published sizes ([`published`]: the full MNIST, SHD); parts of tables computed part by part
//! have no estimate.

use std::collections::HashMap;

use crate::train::{TaskConfig, TrainConfig};

/// Seconds per sample, time step and synapse of a training step (module docs). Solved, with
/// [`SECONDS_PER_BATCH_STEP`], from two epochs on one core with the paper's neuron at its
/// operating point (τ = 0.1, ϑ = 0.01): 2 × 128 LIF on sl-MNIST (784 channels, 100 steps, batch
/// 256, 6,400 training and 1,600 validation digits), 6.5 s per epoch (`sglab train` of 3 epochs,
/// 21.2 s, minus 1 epoch, 8.2 s, with `RAYON_NUM_THREADS=1`); and 2 × 64 on sl-MNIST at 50 steps,
/// batch 64, 4.3 s per epoch (study 02's plateau ablation: 102.8 s for 24 epochs, two runs at
/// once on the two cores).
pub const SECONDS_PER_SYNAPSE_STEP: f64 = 4.6e-11;

/// Seconds of fixed cost per batch and time step of a training step (module docs; measured
/// with [`SECONDS_PER_SYNAPSE_STEP`]).
pub const SECONDS_PER_BATCH_STEP: f64 = 6.1e-4;

/// The sizes of a task that the estimate needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TaskSizes {
    /// Training samples.
    pub train: usize,
    /// Validation samples.
    pub validation: usize,
    /// Test samples.
    pub test: usize,
    /// Input channels.
    pub channels: usize,
    /// Classes.
    pub classes: usize,
    /// Time steps.
    pub steps: usize,
}

/// The upper-bound duration in seconds of a run of `config` on a task of `sizes` (module docs).
pub fn run_seconds(config: &TrainConfig, sizes: &TaskSizes) -> f64 {
    let synapses = crate::train::memory::weight_count(&config.model.hidden_sizes, sizes.channels, sizes.classes);
    let run = &config.run;
    let train = run.train_batches_per_epoch.map_or(sizes.train, |b| sizes.train.min(b * run.batch_size));
    let cap = |n: usize| run.eval_samples.map_or(n, |e| n.min(e));
    let eval = cap(sizes.validation) + if run.test_each_epoch { cap(sizes.test) } else { 0 };
    let steps = sizes.steps as f64;
    let batches = train.div_ceil(run.batch_size.max(1)) as f64 + eval.div_ceil(run.batch_size.max(1)) as f64 / 3.0;
    let epoch = (train as f64 + eval as f64 / 3.0) * steps * synapses as f64 * SECONDS_PER_SYNAPSE_STEP + batches * steps * SECONDS_PER_BATCH_STEP;
    let seconds = run.max_epochs() as f64 * epoch;
    run.time_limit_s.map_or(seconds, |limit| seconds.min(limit + epoch))
}

/// The sizes of each task, loaded once per distinct task configuration; where the task's data
/// cannot be loaded here, its published sizes ([`published`]), the loader's error kept in
/// [`SizesCache::unavailable`]; an error where neither is known.
#[derive(Default)]
pub struct SizesCache {
    sizes: HashMap<String, Result<TaskSizes, String>>,
    unavailable: Vec<String>,
}

impl SizesCache {
    /// The sizes of `config`'s task.
    pub fn of(&mut self, config: &TrainConfig) -> Result<TaskSizes, String> {
        let key = serde_json::to_string(&config.task).unwrap_or_default();
        self.sizes
            .entry(key)
            .or_insert_with(|| {
                let loaded = config.task.load().map(|s| TaskSizes {
                    train: s.train.len(),
                    validation: s.validation.len(),
                    test: s.test.len(),
                    channels: s.train.channels(),
                    classes: s.train.classes(),
                    steps: s.train.steps(),
                });
                loaded.or_else(|e| {
                    self.unavailable.push(e.to_string());
                    published(&config.task).ok_or_else(|| e.to_string())
                })
            })
            .clone()
    }

    /// The loaders' errors of the tasks whose data could not be loaded here.
    pub fn unavailable(&self) -> &[String] {
        &self.unavailable
    }
}

/// The sizes of a task whose files are not here, from the datasets' published sizes: the full
/// MNIST (60,000 training and 10,000 test digits; LeCun et al.) and SHD (8,156 training and
/// 2,264 test recordings, 700 channels, 20 classes; Cramer et al. 2020).
pub fn published(task: &TaskConfig) -> Option<TaskSizes> {
    let split = |n: usize, fraction: f64| {
        let validation = (n as f64 * fraction).round() as usize;
        (n - validation, validation)
    };
    match task {
        TaskConfig::Slmnist(c) if c.dir.is_some() => {
            let (train, validation) = split(60_000, c.validation_fraction);
            let train = c.train_samples.map_or(train, |n| n.min(train));
            Some(TaskSizes { train, validation, test: 10_000, channels: 784, classes: 10, steps: c.steps * c.time_repeat })
        }
        TaskConfig::Shd(c) => {
            let (train, validation) = split(8_156, c.validation_fraction);
            Some(TaskSizes { train, validation, test: 2_264, channels: 700, classes: 20, steps: c.steps() * c.time_repeat })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::randman::RandmanConfig;

    #[test]
    fn the_estimate_counts_synapses_samples_steps_and_epochs() {
        let mut config = TrainConfig::new(TaskConfig::Randman(RandmanConfig::default()), 10);
        config.model.hidden_sizes = vec![4, 3];
        config.run.test_each_epoch = false;
        let sizes = TaskSizes { train: 90, validation: 30, test: 30, channels: 5, classes: 2, steps: 7 };
        config.run.batch_size = 16;
        // S = 5·4 + 4² + 4·3 + 3² + 3·2 = 63; W = (90 + 30/3) · 7 · 63; K = (⌈90/16⌉ + ⌈30/16⌉/3) · 7.
        let expected = 10.0 * (100.0 * 7.0 * 63.0 * SECONDS_PER_SYNAPSE_STEP + (6.0 + 2.0 / 3.0) * 7.0 * SECONDS_PER_BATCH_STEP);
        assert!((run_seconds(&config, &sizes) - expected).abs() < 1e-12);
        config.run.train_batches_per_epoch = Some(1);
        let capped = 10.0 * ((16.0 + 10.0) * 7.0 * 63.0 * SECONDS_PER_SYNAPSE_STEP + (1.0 + 2.0 / 3.0) * 7.0 * SECONDS_PER_BATCH_STEP);
        assert!((run_seconds(&config, &sizes) - capped).abs() < 1e-12);
        config.run.time_limit_s = Some(0.0);
        assert!((run_seconds(&config, &sizes) - capped / 10.0).abs() < 1e-12, "a time limit stops the run after the epoch it passes in");
    }

    #[test]
    fn tasks_whose_files_are_elsewhere_are_sized_as_published() {
        let mnist = published(&TaskConfig::Slmnist(crate::train::protocol::full_slmnist())).unwrap();
        assert_eq!(mnist, TaskSizes { train: 48_000, validation: 12_000, test: 10_000, channels: 784, classes: 10, steps: 200 });
        let shd = published(&TaskConfig::Shd(Default::default())).unwrap();
        assert_eq!(shd, TaskSizes { train: 7_748, validation: 408, test: 2_264, channels: 700, classes: 20, steps: 250 });
        assert_eq!(published(&TaskConfig::Shd(crate::train::protocol::shd())).unwrap().steps, 500);
        assert!(published(&TaskConfig::Slmnist(Default::default())).is_none(), "the embedded digits are loaded, not sized");
    }
}
