//! Checkpoints that let an interrupted run resume where its last finished epoch left it.
//!
//! A checkpoint directory holds
//!
//! ```text
//! model.bpk      the current weights (burnpack record)
//! best.bpk       the best-validation weights
//! optimizer.bpk  the optimiser state (Adam moments)
//! state.json     configuration, finished epochs, history, best epoch, switch value, patience
//!                counter, initial rates, elapsed seconds
//! ```
//!
//! Every file is written to a temporary name and renamed into place; `state.json` goes last, so
//! a crash leaves either the previous complete checkpoint or the new one. A checkpoint of a
//! different configuration (other than its wall-clock limit) is refused rather than silently
//! mixed in.

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
        self.dir.join("state.json")
    }

    /// Whether a complete checkpoint exists.
    pub fn exists(&self) -> bool {
        self.state_path().is_file()
    }

    /// Writes weights, best weights, optimiser state and scalar state.
    pub fn save<M: Module>(&self, net: &M, best: &M, optim: &ModuleOptimizer, state: &TrainState) -> Result<(), TrainError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| io(&self.dir, e))?;
        let place = |name: &str, write: &dyn Fn(&Path) -> Result<(), String>| -> Result<(), TrainError> {
            let tmp = self.dir.join(format!("{name}.tmp"));
            let path = self.dir.join(name);
            write(&tmp).map_err(|e| io(&tmp, e))?;
            std::fs::rename(&tmp, &path).map_err(|e| io(&path, e))
        };
        place("model.bpk", &|p| net.clone().save_file(p).map_err(|e| format!("{e:?}")))?;
        place("best.bpk", &|p| best.clone().save_file(p).map_err(|e| format!("{e:?}")))?;
        place("optimizer.bpk", &|p| optim.save(p).map_err(|e| format!("{e:?}")))?;
        let json = serde_json::to_string_pretty(state).map_err(|e| io(&self.state_path(), e))?;
        place("state.json", &|p| std::fs::write(p, &json).map_err(|e| e.to_string()))
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
        let path = self.state_path();
        let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
        let state: TrainState =
            serde_json::from_str(&text).map_err(|e| io(&path, format!("corrupt checkpoint state: {e}")))?;
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
        let model_path = self.dir.join("model.bpk");
        let best_path = self.dir.join("best.bpk");
        let optim_path = self.dir.join("optimizer.bpk");
        let net = net.try_load_file(&model_path).map_err(|e| io(&model_path, format!("{e:?}")))?;
        let best = best.try_load_file(&best_path).map_err(|e| io(&best_path, format!("{e:?}")))?;
        let optim = optim.load(&optim_path).map_err(|e| io(&optim_path, format!("{e:?}")))?;
        Ok((net, best, optim, TrainState { config: config.clone(), ..state }))
    }

}
