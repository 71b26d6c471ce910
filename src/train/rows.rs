//! A run's record as rows of the results tables ([`crate::results`] has the column lists).

use polars::prelude::{BooleanChunked, DataFrame, NewChunkedArray};

use super::{EvalMetrics, RunRecord, TrainError};
use crate::results::{Cell, Row, flatten_json, fnv1a_hex, frame};

/// The run id of a record: [`config_id`] of its configuration.
pub fn run_id(record: &RunRecord) -> String {
    config_id(&record.config)
}

/// FNV-1a 64 of the configuration's canonical JSON, as 16 hex digits.
pub fn config_id(config: &crate::train::TrainConfig) -> String {
    let json = serde_json::to_string(&serde_json::to_value(config).expect("configs serialise")).expect("JSON");
    fnv1a_hex(&json)
}

fn metric_cells(prefix: &str, m: Option<&EvalMetrics>, row: &mut Row) {
    row.push((format!("{prefix}_loss"), Cell::from(m.map(|m| m.loss))));
    row.push((format!("{prefix}_accuracy"), Cell::from(m.map(|m| m.accuracy))));
    row.push((format!("{prefix}_perplexity"), Cell::from(m.map(|m| m.perplexity))));
}

fn rate_cells(prefix: &str, rates: Option<&[f64]>, layers: usize, row: &mut Row) {
    for l in 0..layers {
        row.push((format!("{prefix}_l{l}"), Cell::from(rates.and_then(|r| r.get(l).copied()))));
    }
}

/// The surrogate each layer trained with: `applied_dampening_l{l}`, `applied_sharpness_l{l}` and
/// `applied_tail_l{l}` (q of the q-PseudoSpike, null for other shapes; all null for escape noise
/// or a record without them).
fn applied_cells(surrogates: &[Option<crate::surrogate::Surrogate>], layers: usize, row: &mut Row) {
    for l in 0..layers {
        let s = surrogates.get(l).copied().flatten();
        row.push((format!("applied_dampening_l{l}"), Cell::from(s.map(|s| s.dampening()))));
        row.push((format!("applied_sharpness_l{l}"), Cell::from(s.map(|s| s.sharpness()))));
        row.push((format!("applied_tail_l{l}"), Cell::from(s.and_then(|s| s.shape().tail()))));
    }
}

/// The runs-table row of a record (module docs).
pub fn run_row(record: &RunRecord) -> Row {
    let mut row = Row::new();
    let config = serde_json::to_value(&record.config).expect("configs serialise");
    flatten_json("", &config, &mut row);
    let layers = record.config.model.hidden_sizes.len();
    row.push(("run_id".into(), Cell::Str(run_id(record))));
    row.push(("status".into(), record.status.name().into()));
    row.push(("diverged".into(), record.status.diverged().into()));
    let diverged_epoch = match record.status {
        crate::train::RunStatus::Diverged { epoch } => Some(epoch),
        _ => None,
    };
    row.push(("diverged_epoch".into(), Cell::from(diverged_epoch)));
    row.push(("epochs_run".into(), Cell::from(record.history.len())));
    row.push(("best_epoch".into(), Cell::from(record.best_epoch)));
    metric_cells("test", record.test.as_ref(), &mut row);
    let best = record.best_validation();
    row.push(("best_val_loss".into(), Cell::from(best.map(|m| m.loss))));
    row.push(("best_val_accuracy".into(), Cell::from(best.map(|m| m.accuracy))));
    row.push(("best_val_perplexity".into(), Cell::from(best.map(|m| m.perplexity))));
    row.push(("max_val_accuracy".into(), Cell::from(record.max_validation_accuracy())));
    rate_cells("initial_rate", Some(&record.initial_rates), layers, &mut row);
    applied_cells(&record.applied_surrogates, layers, &mut row);
    rate_cells("final_rate", record.final_rates(), layers, &mut row);
    rate_cells("test_rate", record.test.as_ref().map(|t| t.rates.as_slice()), layers, &mut row);
    row.push(("wall_time_s".into(), Cell::from(record.wall_time_s)));
    row.push(("crate_version".into(), Cell::Str(record.crate_version.clone())));
    row
}

/// The history-table rows of a record, one per epoch.
pub fn history_rows(record: &RunRecord) -> Vec<Row> {
    let id = run_id(record);
    let layers = record.config.model.hidden_sizes.len();
    record
        .history
        .iter()
        .map(|e| {
            let mut row: Row = vec![("run_id".into(), Cell::Str(id.clone())), ("epoch".into(), Cell::from(e.epoch))];
            metric_cells("train", Some(&e.train), &mut row);
            row.push(("regularizer_loss".into(), Cell::from(e.regularizer_loss)));
            row.push(("switch".into(), Cell::from(e.switch)));
            metric_cells("val", e.validation.as_ref(), &mut row);
            metric_cells("test", e.test.as_ref(), &mut row);
            rate_cells("rate", Some(&e.train.rates), layers, &mut row);
            row.push(("seconds".into(), Cell::from(e.seconds)));
            row
        })
        .collect()
}

/// The runs table of `records`.
pub fn runs_frame(records: &[RunRecord]) -> Result<DataFrame, TrainError> {
    Ok(frame(&records.iter().map(run_row).collect::<Vec<_>>())?)
}

/// The rows of `df` whose run id passes `keep` (called once per row, in order).
pub(crate) fn runs_where(df: &DataFrame, mut keep: impl FnMut(&str) -> bool) -> Result<DataFrame, TrainError> {
    let ids = crate::table::string_column(df, "run_id").map_err(|e| TrainError::Results(e.to_string()))?;
    let mask: Vec<bool> = ids.iter().map(|id| keep(id)).collect();
    df.filter(&BooleanChunked::from_slice("keep".into(), &mask)).map_err(|e| TrainError::Results(e.to_string()))
}

/// Writes `record` into the runs table `out` and its epochs into `<out>.history.parquet`
/// ([`super::sweep::history_path`]), every row passed through `tag` (a sweep adds its point's
/// columns), replacing the rows of the same run id in both: the history first, so a writer
/// killed between the two leaves the run absent from the runs table and a rerun writes it
/// once; and a run written again (the same configuration, so the same result) stays once. The
/// caller holds `out`'s [`crate::durable::FileLock`]. Returns the runs table as written.
pub fn record_run(out: &std::path::Path, record: &RunRecord, tag: impl Fn(Row) -> Row) -> Result<DataFrame, TrainError> {
    let id = run_id(record);
    let replace = |path: &std::path::Path, rows: DataFrame| -> Result<DataFrame, TrainError> {
        let mut all = if path.exists() { crate::results::concat(&[runs_where(&crate::results::read_parquet(path)?, |other| other != id)?, rows])? } else { rows };
        crate::results::write_parquet(&mut all, path)?;
        Ok(all)
    };
    let history: Vec<Row> = history_rows(record).into_iter().map(&tag).collect();
    if !history.is_empty() {
        replace(&super::sweep::history_path(out), frame(&history)?)?;
    }
    replace(out, frame(&[tag(run_row(record))])?)
}

/// The history table of `records`.
pub fn history_frame(records: &[RunRecord]) -> Result<DataFrame, TrainError> {
    Ok(frame(&records.iter().flat_map(history_rows).collect::<Vec<_>>())?)
}

