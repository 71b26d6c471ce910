//! Checkpoints that let an interrupted run resume where its last finished epoch left it.
//!
//! A checkpoint directory holds one generation of files, g = the epochs finished:
//!
//! ```text
//! model-<g>.bpk      the current weights (burnpack record)
//! best-<g>.bpk       the best-validation weights
//! optimizer-<g>.bpk  the optimiser state (Adam moments)
//! state.cbor         configuration, finished epochs (so g), history, best epoch, switch value,
//!                    patience counter, initial rates, noise-stream position, elapsed seconds
//! ```
//!
//! Every file is written through [`crate::durable::replace`] (a temporary name, synced,
//! renamed). The weights of generation g go first, under their own names, and `state.cbor`
//! last: until its rename, `state.cbor` names generation g − 1, whose files are still there;
//! after it, generation g. So a crash at any instant leaves the previous complete checkpoint or
//! the new one, and the files of other generations (and temporaries of a killed writer) are
//! removed only after the switch. The state is CBOR, so every float (the monitored score, the
//! regulariser's switch) comes back bit for bit; the position of an escape-noise network's
//! noise stream is part of it, so a stochastic run resumes drawing the noise it would have
//! drawn. A checkpoint of a different configuration (other than its wall-clock limit) is
//! refused rather than silently mixed in. Checkpoints of the earlier layout (`state.json`
//! beside `model.bpk`, `best.bpk`, `optimizer.bpk`) are still read.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use serde::{Deserialize, Serialize};

use super::TrainError;
use super::config::TrainConfig;
use super::record::EpochRecord;

/// The scalar state of a run between epochs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    /// The configuration the checkpoint belongs to.
    pub config: TrainConfig,
    /// Epochs finished.
    pub epochs_done: usize,
    /// Their records.
    pub history: Vec<EpochRecord>,
    /// Best monitored score so far (lower is better: the loss, or minus the accuracy) and its
    /// epoch.
    pub best: Option<(f64, usize)>,
    /// Epochs since the best.
    pub since_best: usize,
    /// Current value of the regulariser switch.
    pub switch: f64,
    /// Rates before training.
    pub initial_rates: Vec<f64>,
    /// Each layer's surrogate as the initialisation left it (checkpoints written before this
    /// field existed load with none recorded).
    #[serde(default)]
    pub applied_surrogates: Vec<Option<crate::surrogate::Surrogate>>,
    /// Position of the noise stream of a network with escape noise (none otherwise, and in
    /// checkpoints of the earlier layout).
    #[serde(default)]
    pub noise_position: Option<u128>,
    /// Seconds spent so far.
    pub elapsed_s: f64,
}

/// A checkpoint directory.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    dir: PathBuf,
}

fn io(path: &Path, e: impl std::fmt::Display) -> TrainError {
    TrainError::Checkpoint(format!("{}: {e}", path.display()))
}

impl Checkpoint {
    /// A checkpoint in `dir` (created on the first save).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Checkpoint { dir: dir.into() }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn state_path(&self) -> PathBuf {
        self.dir.join("state.cbor")
    }

    /// The state file of the earlier layout (module docs).
    fn legacy_state_path(&self) -> PathBuf {
        self.dir.join("state.json")
    }

    /// The weights, best weights and optimiser files of generation `generation` (`None`: the
    /// earlier layout's fixed names).
    fn files(&self, generation: Option<usize>) -> [PathBuf; 3] {
        ["model", "best", "optimizer"].map(|kind| match generation {
            Some(g) => self.dir.join(format!("{kind}-{g}.bpk")),
            None => self.dir.join(format!("{kind}.bpk")),
        })
    }

    /// Whether a complete checkpoint exists.
    pub fn exists(&self) -> bool {
        self.state_path().is_file() || self.legacy_state_path().is_file()
    }

    /// Writes weights, best weights, optimiser state and scalar state as generation
    /// `state.epochs_done`, then removes every other generation (module docs).
    pub fn save<M: Module>(&self, net: &M, best: &M, optim: &ModuleOptimizer, state: &TrainState) -> Result<(), TrainError> {
        let [model_path, best_path, optim_path] = self.files(Some(state.epochs_done));
        let place = |path: &Path, write: &dyn Fn(&Path) -> Result<(), String>| crate::durable::replace(path, write).map_err(TrainError::Checkpoint);
        place(&model_path, &|p| net.clone().save_file(p).map_err(|e| format!("{e:?}")))?;
        place(&best_path, &|p| best.clone().save_file(p).map_err(|e| format!("{e:?}")))?;
        place(&optim_path, &|p| optim.save(p).map_err(|e| format!("{e:?}")))?;
        place(&self.state_path(), &|p| {
            let file = std::fs::File::create(p).map_err(|e| e.to_string())?;
            ciborium::into_writer(state, std::io::BufWriter::new(file)).map_err(|e| e.to_string())
        })?;
        let keep = [model_path, best_path, optim_path, self.state_path()];
        let entries = std::fs::read_dir(&self.dir).map_err(|e| io(&self.dir, e))?;
        for entry in entries.flatten() {
            let path = entry.path();
            let stale = path.extension().is_some_and(|e| e == "bpk") || path == self.legacy_state_path() || crate::durable::is_temporary(&path);
            if stale && !keep.contains(&path) {
                std::fs::remove_file(&path).map_err(|e| io(&path, e))?;
            }
        }
        Ok(())
    }

    /// Loads a checkpoint into freshly initialised `net`, `best` and `optim`, after checking
    /// that it belongs to `config`.
    pub fn load<M: Module>(
        &self,
        config: &TrainConfig,
        net: M,
        best: M,
        optim: ModuleOptimizer,
    ) -> Result<(M, M, ModuleOptimizer, TrainState), TrainError> {
        let (state, generation) = if self.state_path().is_file() {
            let path = self.state_path();
            let file = std::fs::File::open(&path).map_err(|e| io(&path, e))?;
            let state: TrainState = ciborium::from_reader(std::io::BufReader::new(file))
                .map_err(|e| io(&path, format!("corrupt checkpoint state: {e}")))?;
            let generation = state.epochs_done;
            (state, Some(generation))
        } else {
            let path = self.legacy_state_path();
            let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
            let state: TrainState =
                serde_json::from_str(&text).map_err(|e| io(&path, format!("corrupt checkpoint state: {e}")))?;
            (state, None)
        };
        // The wall-clock limit says how long this invocation may run, not what it computes.
        let comparable = |c: &TrainConfig| {
            let mut c = c.clone();
            c.run.time_limit_s = None;
            c
        };
        if comparable(&state.config) != comparable(config) {
            return Err(TrainError::Checkpoint(format!(
                "{} holds a run of a different configuration; use another checkpoint directory or remove it",
                self.dir.display()
            )));
        }
        let [model_path, best_path, optim_path] = self.files(generation);
        let net = net.try_load_file(&model_path).map_err(|e| io(&model_path, format!("{e:?}")))?;
        let best = best.try_load_file(&best_path).map_err(|e| io(&best_path, format!("{e:?}")))?;
        let optim = optim.load(&optim_path).map_err(|e| io(&optim_path, format!("{e:?}")))?;
        Ok((net, best, optim, TrainState { config: config.clone(), ..state }))
    }

}
