//! Run records as polars tables, and parquet files that grow one finished run at a time.
//!
//! Tables of rows of [`Cell`]s, and parquet files that grow by atomic replacement. The rows of
//! training runs are made by [`crate::train::rows`]:
//!
//! One run is one row of the *runs* table: every configuration field flattened to a dotted
//! column (`task.name`, `model.surrogate.shape`, `optimizer.lr`, …; lists as JSON text), then
//! `run_id` (a hash of the configuration), `status`, `diverged`, `diverged_epoch`, `epochs_run`,
//! `best_epoch`, `test_loss`, `test_accuracy`, `test_perplexity`, `best_val_loss`,
//! `best_val_accuracy`, `best_val_perplexity`, `max_val_accuracy`, `initial_rate_l{i}`,
//! `applied_dampening_l{i}`, `applied_sharpness_l{i}`, `applied_tail_l{i}` (the surrogate each
//! layer trained with, after the initialisation), `final_rate_l{i}`, `test_rate_l{i}`,
//! `wall_time_s`, `crate_version`. Metrics a run did not reach (a diverged
//! run's test) are null, never NaN.
//!
//! The *history* table has one row per run and epoch: `run_id`, `epoch`, `train_loss`,
//! `train_accuracy`, `train_perplexity`, `regularizer_loss`, `switch`, `val_loss`,
//! `val_accuracy`, `val_perplexity`, `test_loss`, `test_accuracy`, `test_perplexity` (null
//! unless `test_each_epoch`), `rate_l{i}`, `seconds`.
//!
//! Tables of runs with different configuration shapes (say, with and without a regulariser)
//! are joined diagonally: a column missing from a row is null there.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use polars::prelude::*;
use serde_json::Value;

/// A results table that could not be built, read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("results: {0}")]
pub struct ResultsError(pub String);

/// One table cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Missing.
    Null,
    /// A flag.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A real number (finite or null, never NaN in stored results).
    Float(f64),
    /// Text.
    Str(String),
}

impl From<f64> for Cell {
    fn from(x: f64) -> Self {
        if x.is_finite() { Cell::Float(x) } else { Cell::Null }
    }
}

impl From<Option<f64>> for Cell {
    fn from(x: Option<f64>) -> Self {
        x.map_or(Cell::Null, Cell::from)
    }
}

impl From<usize> for Cell {
    fn from(x: usize) -> Self {
        Cell::Int(x as i64)
    }
}

impl From<Option<usize>> for Cell {
    fn from(x: Option<usize>) -> Self {
        x.map_or(Cell::Null, Cell::from)
    }
}

impl From<&str> for Cell {
    fn from(x: &str) -> Self {
        Cell::Str(x.to_string())
    }
}

impl From<bool> for Cell {
    fn from(x: bool) -> Self {
        Cell::Bool(x)
    }
}

/// One table row: named cells in column order.
pub type Row = Vec<(String, Cell)>;

/// Flattens a JSON value into dotted columns; arrays become JSON text.
pub fn flatten_json(prefix: &str, value: &Value, row: &mut Row) {
    let key = |k: &str| if prefix.is_empty() { k.to_string() } else { format!("{prefix}.{k}") };
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                flatten_json(&key(k), v, row);
            }
        }
        Value::Null => row.push((prefix.to_string(), Cell::Null)),
        Value::Bool(b) => row.push((prefix.to_string(), Cell::Bool(*b))),
        Value::Number(n) => {
            let cell = match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Cell::Int(i),
                (None, Some(f)) => Cell::from(f),
                _ => Cell::Str(n.to_string()),
            };
            row.push((prefix.to_string(), cell));
        }
        Value::String(s) => row.push((prefix.to_string(), Cell::Str(s.clone()))),
        Value::Array(_) => row.push((prefix.to_string(), Cell::Str(value.to_string()))),
    }
}

/// FNV-1a 64 of `text`, as 16 hex digits: a stable short key for file and row names.
pub fn fnv1a_hex(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// A table of rows with possibly different columns: the union of columns in order of first
/// appearance; a column's type is Boolean, Int64, Float64 (ints and floats mixed) or String
/// (anything else mixed, written as text); columns that are null everywhere are left out.
pub fn frame(rows: &[Row]) -> Result<DataFrame, ResultsError> {
    let mut order: Vec<String> = Vec::new();
    let mut cols: BTreeMap<String, Vec<Cell>> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        for (name, cell) in row {
            let col = cols.entry(name.clone()).or_insert_with(|| {
                order.push(name.clone());
                vec![Cell::Null; i]
            });
            col.push(cell.clone());
        }
        for col in cols.values_mut() {
            col.resize(i + 1, Cell::Null);
        }
    }
    let mut columns = Vec::new();
    for name in order {
        let cells = &cols[&name];
        let kinds = |f: fn(&Cell) -> bool| cells.iter().all(|c| matches!(c, Cell::Null) || f(c));
        let pname = PlSmallStr::from(name.as_str());
        let series = if cells.iter().all(|c| matches!(c, Cell::Null)) {
            continue;
        } else if kinds(|c| matches!(c, Cell::Bool(_))) {
            Series::new(pname, cells.iter().map(|c| if let Cell::Bool(b) = c { Some(*b) } else { None }).collect::<Vec<_>>())
        } else if kinds(|c| matches!(c, Cell::Int(_))) {
            Series::new(pname, cells.iter().map(|c| if let Cell::Int(x) = c { Some(*x) } else { None }).collect::<Vec<_>>())
        } else if kinds(|c| matches!(c, Cell::Int(_) | Cell::Float(_))) {
            let v: Vec<Option<f64>> = cells
                .iter()
                .map(|c| match c {
                    Cell::Int(x) => Some(*x as f64),
                    Cell::Float(x) => Some(*x),
                    _ => None,
                })
                .collect();
            Series::new(pname, v)
        } else {
            let v: Vec<Option<String>> = cells
                .iter()
                .map(|c| match c {
                    Cell::Null => None,
                    Cell::Bool(b) => Some(b.to_string()),
                    Cell::Int(x) => Some(x.to_string()),
                    Cell::Float(x) => Some(x.to_string()),
                    Cell::Str(s) => Some(s.clone()),
                })
                .collect();
            Series::new(pname, v)
        };
        columns.push(series.into_column());
    }
    DataFrame::new_infer_height(columns).map_err(|e| ResultsError(e.to_string()))
}

fn polars_err(path: &Path, e: impl std::fmt::Display) -> ResultsError {
    ResultsError(format!("{}: {e}", path.display()))
}

/// Reads a parquet file.
pub fn read_parquet(path: &Path) -> Result<DataFrame, ResultsError> {
    let file = File::open(path).map_err(|e| polars_err(path, e))?;
    ParquetReader::new(file).finish().map_err(|e| polars_err(path, format!("not a readable parquet table: {e}")))
}

/// Writes `df` to `path` atomically ([`crate::durable::replace`]: a temporary file of this
/// process in the same directory, synced, then renamed over `path`). Writers of one table hold
/// its [`crate::durable::FileLock`] around their read-modify-write.
pub fn write_parquet(df: &mut DataFrame, path: &Path) -> Result<(), ResultsError> {
    crate::durable::replace(path, |tmp| {
        let mut file = File::create(tmp).map_err(|e| e.to_string())?;
        ParquetWriter::new(&mut file).finish(df).map(|_| ()).map_err(|e| e.to_string())
    })
    .map_err(ResultsError)
}

/// Tables stacked diagonally (a column missing from one is null there).
pub fn concat(frames: &[DataFrame]) -> Result<DataFrame, ResultsError> {
    polars::functions::concat_df_diagonal(frames).map_err(|e| ResultsError(e.to_string()))
}

/// The text values of column `name` (empty when the column is absent).
pub fn string_column(df: &DataFrame, name: &str) -> Result<Vec<String>, ResultsError> {
    let Ok(col) = df.column(name) else {
        return Ok(Vec::new());
    };
    let ca = col.str().map_err(|e| ResultsError(format!("column {name}: {e}")))?;
    Ok(ca.iter().map(|v| v.unwrap_or_default().to_string()).collect())
}
