//! Study 06 with exact gradients: theta (QIF) against LIF networks simulated event by event
//! ([`crate::event`]), as Wenig, Memmesheimer & Klos compare them (other_seeds.md §B).
//!
//! 1. **Search** ([`search`]): the same `trials` random points (τ, T, weight scale s, learning
//!    rate η; log-uniform over [`RANGES`]) are trained for `search_epochs` epochs with each
//!    model, seed 0 — an equal budget for both; each model keeps the point of its best
//!    validation accuracy ([`best_points`]).
//! 2. **Training** ([`run_final`]): each model at its best point, `seeds` seeds, to a plateau
//!    (validation loss not improved for `patience` epochs, at most `max_epochs`), tested once on
//!    the best-validation parameters. Its per-epoch parameters are kept in
//!    `06_event_<scale>.snapshots/` for the landscapes.
//! 3. **Landscapes** ([`slices`], [`plane`]): 1-D slices along filter-normalised random
//!    directions ([`crate::event::landscape`]) at two points of each run: the trained
//!    (best-validation) parameters and the first epoch whose training loss reached the level
//!    every run reached (the largest of the runs' lowest training losses), so that the models
//!    are compared at matched training loss; on a batch of validation samples and on single
//!    samples; a 2-D slice of each model's seed-0 network at the matched point.
//! 4. **Fragmentation** ([`fragmentation`]): jumps and roughness of each slice
//!    ([`crate::theory::landscape`]) and, on single samples, the share of the loss jumps that
//!    fall where a spike appears or vanishes.
//!
//! On a cluster ([`super::work`]) the search's points are the study's units; the final runs,
//! which need the finished search, and the slices are made by `sglab study 06` after it.
//!
//! Task: randman (Zenke & Vogels; 10 classes, 20 units, α = 1, one spike per unit in the first
//! half of the trial's input window [0, 1), on 1,000 time steps), 1,000 samples per class split
//! 80/10/10 at plateau scale; one hidden layer of 64. The theta neuron has I₀ = 5/4 (spikegd),
//! the LIF ϑ = 1; both learn with spikegd's first-spike loss (γ = 10⁻²) and AdaBelief, batch
//! 64, learning-rate decay time 100 epochs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::prelude::DataFrame;
use rand::RngExt;

use super::landscape::{NEURON, NeuronModel};
use super::work::Parts;
use super::{Scale, StudyError, cached_parts, cached_table, results_path};
use crate::data::randman::RandmanConfig;
use crate::event::landscape::{random_direction, slice};
use crate::event::{CurrentLif, EventModel, EventNetwork, EventSample, EventTrainConfig, FirstSpikeLoss, Theta};
use crate::results::{Cell, Row, frame};
use crate::table::{f64_column, fresh, string_column};
use crate::theory::landscape::{jump_steps, jumps, roughness};
use crate::train::rows::runs_where;

/// Threshold factor of [`jumps`] (as in the discrete-time contrast).
pub const JUMP_FACTOR: f64 = super::landscape::JUMP_FACTOR;

/// Search ranges (low, high), sampled log-uniformly: τ, trial length T (inputs lie in
/// [0, 1/2)), weight scale s, learning rate η.
pub const RANGES: [(&str, f64, f64); 4] = [("tau", 0.1, 2.0), ("duration", 0.6, 3.0), ("weight_scale", 1.0, 64.0), ("lr", 5e-4, 2e-2)];

/// The size of the study at one scale.
#[derive(Debug, Clone, PartialEq)]
pub struct EventGrid {
    /// The task.
    pub task: RandmanConfig,
    /// Hidden widths.
    pub hidden: Vec<usize>,
    /// Random search points, the same for both models.
    pub trials: usize,
    /// Epochs per search point.
    pub search_epochs: usize,
    /// Seeds of the final runs.
    pub seeds: u64,
    /// Most epochs of a final run.
    pub max_epochs: usize,
    /// Patience of a final run.
    pub patience: usize,
    /// Validation samples of the batch slices.
    pub slice_samples: usize,
    /// Single samples sliced per run.
    pub single_samples: usize,
    /// Directions per batch slice.
    pub directions: u64,
}

/// The grid of `scale` (module docs): quick is a pipeline check (5 classes × 200 samples, 6
/// trials of 5 epochs, 3 seeds); paper doubles the search and the seeds and uses two hidden
/// layers of 128.
pub fn grid(scale: Scale) -> EventGrid {
    let task = RandmanConfig { classes: 10, units: 20, steps: 1000, samples_per_class: 1000, ..RandmanConfig::default() };
    let plateau = EventGrid { task, hidden: vec![64], trials: 24, search_epochs: 20, seeds: 8, max_epochs: 150, patience: 10, slice_samples: 256, single_samples: 4, directions: 2 };
    match scale {
        Scale::Quick => EventGrid {
            task: RandmanConfig { classes: 5, samples_per_class: 200, ..plateau.task.clone() },
            trials: 6,
            search_epochs: 5,
            seeds: 3,
            max_epochs: 30,
            patience: 5,
            slice_samples: 64,
            single_samples: 2,
            ..plateau
        },
        Scale::Plateau => plateau,
        Scale::Paper => EventGrid { hidden: vec![128, 128], trials: 48, seeds: 16, ..plateau },
    }
}

/// One point of the search.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SearchPoint {
    /// τ.
    pub tau: f64,
    /// T.
    pub duration: f64,
    /// s.
    pub weight_scale: f64,
    /// η.
    pub lr: f64,
}

/// The search's points, the same for both models.
pub fn search_points(grid: &EventGrid) -> Vec<SearchPoint> {
    (0..grid.trials)
        .map(|k| {
            let mut rng = crate::rng::rng(0, 0x5345_4152_4348_0000 + k as u64);
            let mut draw = |(_, lo, hi): (&str, f64, f64)| (lo.ln() + rng.random::<f64>() * (hi.ln() - lo.ln())).exp();
            SearchPoint { tau: draw(RANGES[0]), duration: draw(RANGES[1]), weight_scale: draw(RANGES[2]), lr: draw(RANGES[3]) }
        })
        .collect()
}

/// The event model of `model` at `point`.
pub fn event_model(model: NeuronModel, point: &SearchPoint) -> Result<EventModel, StudyError> {
    Ok(match model {
        NeuronModel::Qif => EventModel::Theta(Theta::new(point.tau, 1.25)?),
        NeuronModel::Lif => EventModel::Lif(CurrentLif::new(point.tau, 1.0)?),
    })
}

/// The training configuration of `model` at `point` (module docs).
pub fn config(grid: &EventGrid, model: NeuronModel, point: &SearchPoint, seed: u64, epochs: usize, patience: usize) -> Result<EventTrainConfig, StudyError> {
    Ok(EventTrainConfig {
        model: event_model(model, point)?,
        hidden: grid.hidden.clone(),
        duration: point.duration,
        weight_scale: point.weight_scale,
        lr: point.lr,
        lr_decay_epochs: 100.0,
        batch_size: 64,
        max_epochs: epochs,
        patience,
        loss: FirstSpikeLoss::default(),
        max_spikes: 64,
        seed,
    })
}

/// The task's samples: train, validation, test.
pub struct EventData {
    /// Training samples.
    pub train: Vec<EventSample>,
    /// Validation samples.
    pub validation: Vec<EventSample>,
    /// Test samples.
    pub test: Vec<EventSample>,
    /// Classes.
    pub classes: usize,
}

/// The grid's task as event samples, the input window [0, 1).
pub fn data(grid: &EventGrid) -> Result<EventData, StudyError> {
    let splits = grid.task.splits()?;
    Ok(EventData {
        train: EventSample::all_of(&splits.train, 1.0),
        validation: EventSample::all_of(&splits.validation, 1.0),
        test: EventSample::all_of(&splits.test, 1.0),
        classes: grid.task.classes,
    })
}

/// The task's samples, loaded on first use into `cache` (the part-by-part closures need them
/// only when a part is missing).
fn data_once<'a>(cache: &'a mut Option<EventData>, grid: &EventGrid) -> Result<&'a EventData, StudyError> {
    if cache.is_none() {
        *cache = Some(data(grid)?);
    }
    Ok(cache.as_ref().expect("loaded above"))
}

const MODELS: [NeuronModel; 2] = [NeuronModel::Lif, NeuronModel::Qif];

fn point_cells(p: &SearchPoint) -> Row {
    vec![("tau".into(), p.tau.into()), ("duration".into(), p.duration.into()), ("weight_scale".into(), p.weight_scale.into()), ("lr".into(), p.lr.into())]
}

/// The search table's path, `06_event_search_<scale>.parquet`.
pub fn search_path(scale: Scale) -> PathBuf {
    results_path("06_event_search", scale)
}

/// The search (module docs) as parts, one per (model, trial), keyed `<model>-<trial>`: each
/// part is one row with [`NEURON`], `key`, `trial`, the point, `val_accuracy` and `val_loss`
/// (best over the epochs), `best_epoch`, `hidden_rate`, `silent`, `status`.
pub fn search_parts(scale: Scale) -> Parts<'static> {
    let grid = grid(scale);
    let points = search_points(&grid);
    let keys: Vec<String> = MODELS.iter().flat_map(|m| (0..grid.trials).map(move |k| format!("{m}-{k:02}"))).collect();
    let mut loaded: Option<EventData> = None;
    Parts::new("key", keys, move |key| {
        let (model, trial) = parse_key(key)?;
        let d = data_once(&mut loaded, &grid)?;
        let point = points[trial];
        let c = config(&grid, model, &point, 0, grid.search_epochs, grid.search_epochs)?;
        let mut row: Row = vec![(NEURON.into(), Cell::Str(model.to_string())), ("key".into(), Cell::Str(key.into())), ("trial".into(), Cell::Int(trial as i64))];
        row.extend(point_cells(&point));
        match crate::event::train(&c, &d.train, &d.validation, &[], d.classes) {
            Ok(run) => {
                let best = &run.history[run.best_epoch - 1];
                row.extend([
                    ("val_accuracy".into(), best.val_accuracy.into()),
                    ("val_loss".into(), best.val_loss.into()),
                    ("best_epoch".into(), Cell::Int(run.best_epoch as i64)),
                    ("hidden_rate".into(), best.hidden_rate.into()),
                    ("silent".into(), Cell::Int(best.silent as i64)),
                    ("status".into(), Cell::Str("finished".into())),
                ]);
            }
            Err(crate::event::EventError::Diverged { epoch, loss }) => {
                for name in ["val_accuracy", "val_loss", "best_epoch", "hidden_rate", "silent"] {
                    row.push((name.into(), Cell::Null));
                }
                row.push(("status".into(), Cell::Str(format!("diverged at epoch {epoch} (loss {loss})"))));
            }
            Err(e) => return Err(e.into()),
        }
        Ok(frame(&[row])?)
    })
}

/// The search (module docs), computing what is missing ([`search_parts`]).
pub fn search(scale: Scale) -> Result<DataFrame, StudyError> {
    search_parts(scale).cached(&search_path(scale))
}

fn parse_key(key: &str) -> Result<(NeuronModel, usize), StudyError> {
    let bad = || StudyError::Unknown(format!("search key {key:?}: expected <lif|qif>-<trial>"));
    let (m, k) = key.split_once('-').ok_or_else(bad)?;
    let model = match m {
        "lif" => NeuronModel::Lif,
        "qif" => NeuronModel::Qif,
        _ => return Err(bad()),
    };
    Ok((model, k.parse().map_err(|_| bad())?))
}

/// Each model's best search point: the highest validation accuracy (the lower validation loss
/// on a tie) among its finished trials.
pub fn best_points(search: &DataFrame) -> Result<BTreeMap<String, SearchPoint>, StudyError> {
    let models = string_column(search, NEURON)?;
    let (acc, loss) = (crate::table::optional_f64_column(search, "val_accuracy")?, crate::table::optional_f64_column(search, "val_loss")?);
    let cols: Vec<Vec<f64>> = ["tau", "duration", "weight_scale", "lr"].iter().map(|c| f64_column(search, c)).collect::<Result<_, _>>()?;
    let mut best: BTreeMap<String, (f64, f64, SearchPoint)> = BTreeMap::new();
    for i in 0..models.len() {
        let (Some(a), Some(l)) = (acc[i], loss[i]) else { continue };
        let p = SearchPoint { tau: cols[0][i], duration: cols[1][i], weight_scale: cols[2][i], lr: cols[3][i] };
        let better = best.get(&models[i]).is_none_or(|&(ba, bl, _)| a > ba || (a == ba && l < bl));
        if better {
            best.insert(models[i].clone(), (a, l, p));
        }
    }
    if best.len() < 2 {
        return Err(StudyError::Unknown(format!("a finished search trial for both models; found one for {:?}", best.keys().collect::<Vec<_>>())));
    }
    Ok(best.into_iter().map(|(k, (_, _, p))| (k, p)).collect())
}

/// The final runs' table path.
pub fn runs_path(scale: Scale) -> PathBuf {
    results_path("06_event", scale)
}

fn history_path(scale: Scale) -> PathBuf {
    crate::train::sweep::history_path(&runs_path(scale))
}

fn snapshots_dir(scale: Scale) -> PathBuf {
    runs_path(scale).with_extension("snapshots")
}

/// Writes the per-epoch parameters (little-endian: epochs, length, then the values).
fn write_snapshots(path: &Path, snapshots: &[Vec<f64>]) -> Result<(), StudyError> {
    let n = snapshots.first().map_or(0, Vec::len);
    let mut bytes = Vec::with_capacity(16 + 8 * n * snapshots.len());
    bytes.extend((snapshots.len() as u64).to_le_bytes());
    bytes.extend((n as u64).to_le_bytes());
    for s in snapshots {
        s.iter().for_each(|v| bytes.extend(v.to_le_bytes()));
    }
    crate::durable::write(path, &bytes).map_err(|e| StudyError::Unknown(format!("{}: {e}", path.display())))
}

/// Reads what [`write_snapshots`] wrote; an error names the file and what is wrong.
fn read_snapshots(path: &Path) -> Result<Vec<Vec<f64>>, StudyError> {
    let bytes = std::fs::read(path).map_err(|e| StudyError::Unknown(format!("parameter snapshots {}: {e} (rerun `sglab study 06` to retrain)", path.display())))?;
    let word = |k: usize| bytes.get(8 * k..8 * k + 8).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")));
    let (Some(epochs), Some(n)) = (word(0), word(1)) else {
        return Err(StudyError::Unknown(format!("parameter snapshots {}: truncated header", path.display())));
    };
    let (epochs, n) = (epochs as usize, n as usize);
    if bytes.len() != 16 + 8 * epochs * n {
        return Err(StudyError::Unknown(format!("parameter snapshots {}: {} bytes, expected {} for {epochs} epochs of {n} values", path.display(), bytes.len(), 16 + 8 * epochs * n)));
    }
    Ok((0..epochs).map(|e| (0..n).map(|i| f64::from_le_bytes(bytes[16 + 8 * (e * n + i)..24 + 8 * (e * n + i)].try_into().expect("8 bytes"))).collect()).collect())
}

/// A final run's identity.
#[derive(Debug, Clone, serde::Serialize)]
struct FinalRun {
    model: String,
    point: SearchPoint,
    hidden: Vec<usize>,
    task: RandmanConfig,
    seed: u64,
    max_epochs: usize,
    patience: usize,
}

fn run_id(run: &FinalRun) -> String {
    crate::results::fnv1a_hex(&serde_json::to_string(run).expect("serialisable"))
}

fn final_runs(scale: Scale, search: &DataFrame) -> Result<Vec<(String, NeuronModel, FinalRun)>, StudyError> {
    let grid = grid(scale);
    let best = best_points(search)?;
    let mut runs = Vec::new();
    for model in MODELS {
        let point = best[&model.to_string()];
        for seed in 0..grid.seeds {
            let run = FinalRun { model: model.to_string(), point, hidden: grid.hidden.clone(), task: grid.task.clone(), seed, max_epochs: grid.max_epochs, patience: grid.patience };
            runs.push((run_id(&run), model, run));
        }
    }
    Ok(runs)
}

/// The run ids of the final runs the search `search` selects, in computation order.
pub fn final_run_ids(scale: Scale, search: &DataFrame) -> Result<Vec<String>, StudyError> {
    Ok(final_runs(scale, search)?.into_iter().map(|r| r.0).collect())
}

/// The final runs (module docs), cached in `06_event_<scale>.parquet` with their epochs in
/// `06_event_<scale>.history.parquet`: `run_id`, [`NEURON`], `seed`, the point, `epochs` (the
/// most), `epochs_run`, `best_epoch`, `test_accuracy`, `test_loss`, `eval_samples`,
/// `silent_neurons` (hidden neurons silent on the whole test set), `hidden_rate`, `status`.
pub fn run_final(scale: Scale, search: &DataFrame) -> Result<DataFrame, StudyError> {
    let grid = grid(scale);
    let runs = final_runs(scale, search)?;
    let ids: Vec<String> = runs.iter().map(|r| r.0.clone()).collect();
    let mut loaded: Option<EventData> = None;
    let table = cached_parts(&runs_path(scale), "run_id", &ids, |id| {
        let (_, model, run) = runs.iter().find(|r| r.0 == id).expect("a listed run");
        let d = data_once(&mut loaded, &grid)?;
        let c = config(&grid, *model, &run.point, run.seed, grid.max_epochs, grid.patience)?;
        let start = std::time::Instant::now();
        let mut row: Row = vec![("run_id".into(), Cell::Str(id.into())), (NEURON.into(), Cell::Str(model.to_string())), ("seed".into(), Cell::Int(run.seed as i64))];
        row.extend(point_cells(&run.point));
        row.push(("epochs".into(), Cell::Int(grid.max_epochs as i64)));
        match crate::event::train(&c, &d.train, &d.validation, &d.test, d.classes) {
            Ok(t) => {
                std::fs::create_dir_all(snapshots_dir(scale)).map_err(|e| StudyError::Unknown(format!("{}: {e}", snapshots_dir(scale).display())))?;
                write_snapshots(&snapshots_dir(scale).join(format!("{id}.bin")), &t.snapshots)?;
                append_history(scale, id, &t.history)?;
                row.extend([
                    ("epochs_run".into(), Cell::Int(t.history.len() as i64)),
                    ("best_epoch".into(), Cell::Int(t.best_epoch as i64)),
                    ("test_accuracy".into(), t.test.accuracy().into()),
                    ("test_loss".into(), t.test.mean_loss().into()),
                    ("eval_samples".into(), Cell::Int(t.test.samples as i64)),
                    ("silent_neurons".into(), Cell::Int(t.test.silent_neurons() as i64)),
                    ("hidden_rate".into(), t.test.hidden_rate().into()),
                    ("diverged".into(), Cell::Bool(false)),
                    ("status".into(), Cell::Str("finished".into())),
                ]);
            }
            Err(crate::event::EventError::Diverged { epoch, loss }) => {
                for name in ["epochs_run", "best_epoch", "test_accuracy", "test_loss", "eval_samples", "silent_neurons", "hidden_rate"] {
                    row.push((name.into(), Cell::Null));
                }
                row.push(("diverged".into(), Cell::Bool(true)));
                row.push(("status".into(), Cell::Str(format!("diverged at epoch {epoch} (loss {loss})"))));
            }
            Err(e) => return Err(e.into()),
        }
        row.push(("seconds".into(), start.elapsed().as_secs_f64().into()));
        println!("06 {model} seed {}: {:.0} s", run.seed, start.elapsed().as_secs_f64());
        Ok(frame(&[row])?)
    })?;
    Ok(table)
}

fn append_history(scale: Scale, id: &str, history: &[crate::event::train::EpochRecord]) -> Result<(), StudyError> {
    let rows: Vec<Row> = history
        .iter()
        .map(|e| {
            vec![
                ("run_id".into(), Cell::Str(id.into())),
                ("epoch".into(), Cell::Int(e.epoch as i64)),
                ("train_loss".into(), e.train_loss.into()),
                ("train_accuracy".into(), e.train_accuracy.into()),
                ("val_loss".into(), e.val_loss.into()),
                ("val_accuracy".into(), e.val_accuracy.into()),
                ("hidden_rate".into(), e.hidden_rate.into()),
                ("silent".into(), Cell::Int(e.silent as i64)),
                ("output_spike_share".into(), e.output_spike_share.into()),
                ("dropped_spikes".into(), Cell::Int(e.dropped_spikes as i64)),
            ]
        })
        .collect();
    let path = history_path(scale);
    let mut parts = Vec::new();
    if path.exists() {
        parts.push(fresh(&runs_where(&crate::results::read_parquet(&path)?, |r| r != id)?));
    }
    parts.push(frame(&rows)?);
    let mut table = crate::results::concat(&parts)?;
    crate::results::write_parquet(&mut table, &path)?;
    Ok(())
}

/// The final runs' epochs (`06_event_<scale>.history.parquet`) of the runs in `runs`.
pub fn history(scale: Scale, runs: &DataFrame) -> Result<DataFrame, StudyError> {
    let ids: std::collections::BTreeSet<String> = string_column(runs, "run_id")?.into_iter().collect();
    Ok(fresh(&runs_where(&crate::results::read_parquet(&history_path(scale))?, |r| ids.contains(r))?))
}

/// The training-loss level every finished run reached (the largest of their lowest training
/// losses) and, per run, the first epoch at or below it.
pub fn matched_epochs(history: &DataFrame) -> Result<(f64, BTreeMap<String, usize>), StudyError> {
    let ids = string_column(history, "run_id")?;
    let (epochs, loss) = (f64_column(history, "epoch")?, f64_column(history, "train_loss")?);
    let mut per_run: BTreeMap<String, Vec<(usize, f64)>> = BTreeMap::new();
    for i in 0..ids.len() {
        per_run.entry(ids[i].clone()).or_default().push((epochs[i] as usize, loss[i]));
    }
    let level = per_run.values().map(|h| h.iter().map(|e| e.1).fold(f64::INFINITY, f64::min)).fold(f64::NEG_INFINITY, f64::max);
    let matched = per_run
        .into_iter()
        .map(|(id, mut h)| {
            h.sort_by_key(|e| e.0);
            let epoch = h.iter().find(|e| e.1 <= level).map_or(h.last().map_or(1, |e| e.0), |e| e.0);
            (id, epoch)
        })
        .collect();
    Ok((level, matched))
}

/// α of the 1-D slices: 201 points over [−1, 1].
pub fn slice_alphas() -> Vec<f64> {
    super::landscape::slice_alphas()
}

/// The network of run `id` after `epoch`.
fn network_at(scale: Scale, grid: &EventGrid, runs: &[(String, NeuronModel, FinalRun)], id: &str, epoch: usize, inputs: usize) -> Result<EventNetwork, StudyError> {
    let (_, model, run) = runs.iter().find(|r| r.0 == id).ok_or_else(|| StudyError::Unknown(format!("run {id} is not in the study's final runs")))?;
    let c = config(grid, *model, &run.point, run.seed, grid.max_epochs, grid.patience)?;
    let mut net = c.network(inputs, grid.task.classes)?;
    let snapshots = read_snapshots(&snapshots_dir(scale).join(format!("{id}.bin")))?;
    let params = snapshots.get(epoch - 1).ok_or_else(|| StudyError::Unknown(format!("run {id}: no parameters after epoch {epoch}")))?;
    if params.len() != net.params.len() {
        return Err(StudyError::Unknown(format!("run {id}: {} parameters stored, the network has {}", params.len(), net.params.len())));
    }
    net.params.clone_from(params);
    Ok(net)
}

/// The 1-D slices of every final run (module docs), cached part by part in
/// `06_event_slices_<scale>.parquet`: `run_id`, [`NEURON`], `seed`, `point` ("trained" or
/// "matched"), `epoch`, `matched_level`, `batch` ("full" or "sample k"), `direction`, `alpha`,
/// `loss`, `gradient_norm`, `hidden_spikes`, `output_spikes`.
pub fn slices(scale: Scale, search: &DataFrame, runs: &DataFrame) -> Result<DataFrame, StudyError> {
    let grid = grid(scale);
    let finals = final_runs(scale, search)?;
    let hist = history(scale, runs)?;
    let (level, matched) = matched_epochs(&hist)?;
    let finished: Vec<String> = string_column(runs, "run_id")?.into_iter().zip(string_column(runs, "status")?).filter(|(_, s)| s == "finished").map(|(i, _)| i).collect();
    let best: BTreeMap<String, usize> = string_column(runs, "run_id")?.into_iter().zip(crate::table::optional_f64_column(runs, "best_epoch")?).filter_map(|(i, e)| e.map(|e| (i, e as usize))).collect();
    let mut loaded: Option<EventData> = None;
    let loss = FirstSpikeLoss::default();
    cached_parts(&results_path("06_event_slices", scale), "run_id", &finished, |id| {
        let d = data_once(&mut loaded, &grid)?;
        let (_, model, run) = finals.iter().find(|r| r.0 == id).expect("a final run");
        let batch: Vec<&EventSample> = d.validation.iter().take(grid.slice_samples).collect();
        let mut rows = Vec::new();
        for (point, epoch) in [("trained", best[id]), ("matched", matched[id])] {
            let net = network_at(scale, &grid, &finals, id, epoch, grid.task.units)?;
            let mut push = |batch_name: String, direction: u64, values: Vec<crate::event::landscape::SlicePoint>| {
                for v in values {
                    rows.push(vec![
                        ("run_id".into(), Cell::Str(id.into())),
                        (NEURON.into(), Cell::Str(model.to_string())),
                        ("seed".into(), Cell::Int(run.seed as i64)),
                        ("point".into(), Cell::Str(point.into())),
                        ("epoch".into(), Cell::Int(epoch as i64)),
                        ("matched_level".into(), level.into()),
                        ("batch".into(), Cell::Str(batch_name.clone())),
                        ("direction".into(), Cell::Int(direction as i64)),
                        ("alpha".into(), v.alpha.into()),
                        ("loss".into(), v.loss.into()),
                        ("gradient_norm".into(), v.gradient_norm.into()),
                        ("hidden_spikes".into(), Cell::Int(v.hidden_spikes as i64)),
                        ("output_spikes".into(), Cell::Int(v.output_spikes as i64)),
                    ]);
                }
            };
            for k in 0..grid.directions {
                let dir = random_direction(&net, 1000 * run.seed + k);
                push("full".into(), k, slice(&net, &dir, &slice_alphas(), &batch, &loss));
            }
            let dir = random_direction(&net, 1000 * run.seed);
            for s in 0..grid.single_samples {
                push(format!("sample {s}"), 0, slice(&net, &dir, &slice_alphas(), &[&d.validation[s]], &loss));
            }
        }
        println!("06 slices {model} seed {}", run.seed);
        Ok(frame(&rows)?)
    })
}

/// The 2-D slice over [−1, 1]² (41 × 41) of each model's seed-0 network at the matched point,
/// cached in `06_event_planes_<scale>.parquet`: `run_id`, [`NEURON`], `alpha`, `beta`, `loss`.
pub fn plane(scale: Scale, search: &DataFrame, runs: &DataFrame) -> Result<DataFrame, StudyError> {
    let grid = grid(scale);
    let finals = final_runs(scale, search)?;
    let (_, matched) = matched_epochs(&history(scale, runs)?)?;
    let ids: std::collections::BTreeSet<String> = finals.iter().filter(|r| r.2.seed == 0 && matched.contains_key(&r.0)).map(|r| r.0.clone()).collect();
    cached_table(&results_path("06_event_planes", scale), "run_id", &ids, || {
        let d = data(&grid)?;
        let batch: Vec<&EventSample> = d.validation.iter().take(grid.slice_samples).collect();
        let loss = FirstSpikeLoss::default();
        let axis = super::landscape::plane_alphas();
        let mut rows = Vec::new();
        for id in &ids {
            let (_, model, _) = finals.iter().find(|r| &r.0 == id).expect("a final run");
            let net = network_at(scale, &grid, &finals, id, matched[id], grid.task.units)?;
            let (d1, d2) = (random_direction(&net, 0), random_direction(&net, 1));
            for &a in &axis {
                for &b in &axis {
                    let mut moved = net.clone();
                    moved.params.iter_mut().zip(d1.iter().zip(&d2)).for_each(|(p, (x, y))| *p += a * x + b * y);
                    let r = moved.evaluate(&batch, &loss, false);
                    rows.push(vec![
                        ("run_id".into(), Cell::Str(id.clone())),
                        (NEURON.into(), Cell::Str(model.to_string())),
                        ("alpha".into(), a.into()),
                        ("beta".into(), b.into()),
                        ("loss".into(), r.mean_loss().into()),
                    ]);
                }
            }
        }
        Ok(frame(&rows)?)
    })
}

/// Fragmentation of every slice of [`slices`], one row per (run, point, batch kind): the
/// [`jumps`] and [`roughness`] of the loss and of the gradient norm, averaged over the
/// directions ("full") or the samples ("single"), and `spike_changes` (α steps where the
/// number of spikes changes) and `jumps_at_spike_changes` (the share of the loss jumps on such
/// a step). Columns `run_id`, [`NEURON`], `seed`, `point`, `batch`, then the measures.
pub fn fragmentation(slices: &DataFrame) -> Result<DataFrame, StudyError> {
    let ids = string_column(slices, "run_id")?;
    let (models, seeds, points, batches, directions) =
        (string_column(slices, NEURON)?, string_column(slices, "seed")?, string_column(slices, "point")?, string_column(slices, "batch")?, string_column(slices, "direction")?);
    let (loss, grad) = (f64_column(slices, "loss")?, f64_column(slices, "gradient_norm")?);
    let (hidden, output) = (f64_column(slices, "hidden_spikes")?, f64_column(slices, "output_spikes")?);
    let mut groups: BTreeMap<(String, String, String), (String, String, Vec<[f64; 6]>)> = BTreeMap::new();
    let mut start = 0;
    while start < ids.len() {
        let same = |i: usize| ids[i] == ids[start] && points[i] == points[start] && batches[i] == batches[start] && directions[i] == directions[start];
        let end = (start..ids.len()).find(|&i| !same(i)).unwrap_or(ids.len());
        let (l, g) = (&loss[start..end], &grad[start..end]);
        let spikes: Vec<f64> = (start..end).map(|i| hidden[i] + output[i]).collect();
        let changed: Vec<bool> = spikes.windows(2).map(|w| w[0] != w[1]).collect();
        let jump_steps = jump_steps(l, JUMP_FACTOR);
        let at_changes = if jump_steps.is_empty() { f64::NAN } else { jump_steps.iter().filter(|&&i| changed[i]).count() as f64 / jump_steps.len() as f64 };
        let measures = [jump_steps.len() as f64, roughness(l), jumps(g, JUMP_FACTOR) as f64, roughness(g), changed.iter().filter(|c| **c).count() as f64, at_changes];
        let kind = if batches[start] == "full" { "full" } else { "single" };
        groups.entry((ids[start].clone(), points[start].clone(), kind.into())).or_insert_with(|| (models[start].clone(), seeds[start].clone(), Vec::new())).2.push(measures);
        start = end;
    }
    let names = ["loss_jumps", "loss_roughness", "gradient_jumps", "gradient_roughness", "spike_changes", "jumps_at_spike_changes"];
    let rows: Vec<Row> = groups
        .into_iter()
        .map(|((id, point, kind), (model, seed, measures))| {
            let mut row: Row = vec![
                ("run_id".into(), Cell::Str(id)),
                (NEURON.into(), Cell::Str(model)),
                ("seed".into(), Cell::Str(seed)),
                ("point".into(), Cell::Str(point)),
                ("batch".into(), Cell::Str(kind)),
            ];
            for (k, name) in names.iter().enumerate() {
                let values: Vec<f64> = measures.iter().map(|m| m[k]).filter(|v| v.is_finite()).collect();
                row.push(((*name).into(), if values.is_empty() { Cell::Null } else { crate::stats::mean(&values).into() }));
            }
            row
        })
        .collect();
    Ok(fresh(&frame(&rows)?))
}

/// Everything of the study at `scale`, in order; the tables by name.
pub fn run_all(scale: Scale) -> Result<Vec<(String, DataFrame)>, StudyError> {
    let s = search(scale)?;
    let runs = run_final(scale, &s)?;
    let slices = slices(scale, &s, &runs)?;
    let planes = plane(scale, &s, &runs)?;
    Ok(vec![("event search".into(), s), ("event runs".into(), runs), ("event slices".into(), slices), ("event planes".into(), planes)])
}

/// The `n` best search trials of each model by validation accuracy, best first.
pub fn top_trials(search: &DataFrame, n: usize) -> Result<DataFrame, StudyError> {
    let models = string_column(search, NEURON)?;
    let acc = crate::table::optional_f64_column(search, "val_accuracy")?;
    let mut keep = vec![false; models.len()];
    let mut order: Vec<usize> = (0..models.len()).collect();
    order.sort_by(|&a, &b| acc[b].unwrap_or(f64::NEG_INFINITY).total_cmp(&acc[a].unwrap_or(f64::NEG_INFINITY)));
    let mut taken: BTreeMap<&str, usize> = BTreeMap::new();
    let mut picked = Vec::new();
    for i in order {
        let count = taken.entry(models[i].as_str()).or_default();
        if *count < n {
            *count += 1;
            keep[i] = true;
            picked.push(i as u32);
        }
    }
    picked.sort_by_key(|&i| (models[i as usize].clone(), std::cmp::Reverse((acc[i as usize].unwrap_or(0.0) * 1e9) as i64)));
    let idx = polars::prelude::IdxCa::from_vec("idx".into(), picked);
    Ok(fresh(&search.take(&idx)?))
}

/// The final runs' epochs with the model in [`NEURON`].
pub fn curves(scale: Scale, runs: &DataFrame) -> Result<DataFrame, StudyError> {
    let h = history(scale, runs)?;
    let model_of: BTreeMap<String, String> = string_column(runs, "run_id")?.into_iter().zip(string_column(runs, NEURON)?).collect();
    let models: Vec<String> = string_column(&h, "run_id")?.iter().map(|id| model_of.get(id).cloned().unwrap_or_default()).collect();
    super::with_text_column(&h, NEURON, models)
}

/// The rows of [`fragmentation`] at `point` ("trained" or "matched") for `batch` ("full" or
/// "single").
pub fn fragmentation_at(fragmentation: &DataFrame, point: &str, batch: &str) -> Result<DataFrame, StudyError> {
    super::rows_where(&super::rows_where(fragmentation, "point", point)?, "batch", batch)
}

/// QIF against LIF on each measure of `measures` (column, test) in `table` over the runs, with
/// Holm's adjustment over the measures: `measure`, `test`, `mean_a` (LIF), `mean_b` (QIF),
/// `n_a`, `n_b`, `statistic`, `p`, `p_holm`, `effect_size`.
pub fn model_tests(table: &DataFrame, measures: &[(&str, crate::stats::GroupTest)]) -> Result<DataFrame, StudyError> {
    let mut parts = Vec::new();
    for (metric, test) in measures {
        let t = super::landscape::neuron_test(table, metric, *test)?;
        let n = t.height();
        parts.push(super::with_text_column(&t, "measure", vec![(*metric).to_string(); n])?);
    }
    let all = fresh(&crate::results::concat(&parts)?);
    let p = f64_column(&all, "p")?;
    let adjusted = crate::stats::correction::adjust(&p, crate::stats::Correction::Holm)?;
    let mut all = all;
    all.with_column(polars::prelude::Column::new("p_holm".into(), adjusted))?;
    Ok(fresh(&all.select(["measure", "test", "group_a", "group_b", "n_a", "n_b", "mean_a", "mean_b", "statistic", "p", "p_holm", "effect_size"])?))
}
