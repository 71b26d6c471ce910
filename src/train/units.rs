//! A sweep seen as named runs that can be run a few at a time: what a cluster task runs.
//!
//! Both kinds of sweep implement it: a study's [`super::arms::ArmSweep`] names each run by its
//! run id (the hash of its configuration), a sweep file ([`super::sweep::SweepSpec`]) by its
//! point key (`optimizer.lr=0.001;seed=2`), which is also the column the table keeps them by.
//! [`SelectiveSweep::run_units`] runs the selected runs not yet in a table, each written as it
//! finishes, so a task that is cancelled and started again loses only the runs in flight.

use std::collections::HashSet;
use std::path::Path;

use polars::prelude::DataFrame;

use super::sweep::SweepSummary;
use super::trainer::RunOptions;
use super::workers::Workers;
use super::{TrainConfig, TrainError};

/// A sweep whose runs are named and can be run selectively.
pub trait SelectiveSweep: Send + Sync {
    /// Every run's name and configuration, in the sweep's order.
    fn units(&self) -> Result<Vec<(String, TrainConfig)>, TrainError>;

    /// The names of the runs the runs table `table` holds.
    fn held(&self, table: &DataFrame) -> Result<Vec<String>, TrainError>;

    /// Runs the runs named in `selected` (every run with `None`) that `out` does not hold yet,
    /// with `workers`, appending each to `out` (and its epochs to the history beside it) as
    /// it finishes.
    fn run_units(&self, out: &Path, selected: Option<&HashSet<String>>, options: &RunOptions, workers: Workers) -> Result<SweepSummary, TrainError>;

    /// Whether the runs keep their trained models beside the table (`<out>.models/`).
    fn keeps_models(&self) -> bool;
}
