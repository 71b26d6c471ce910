//! Reading analysis inputs out of polars tables: a column as numbers or as text, whatever its
//! dtype, with errors that name the column (and the row of a null).
//!
//! Columns are found by a linear search over their names, never through the frame's cached
//! schema. In an evcxr notebook every cell is its own library with its own copy of polars'
//! hashing statics, so a schema cached by one cell (a hash map) does not find names looked up
//! from another: `df.column("x")` on a frame made in an earlier cell can fail with "not found"
//! although the column is there. [`fresh`] gives a frame without that cache; the tables sglab
//! returns come without it.

use polars::prelude::{DataFrame, DataType};

/// A column that is missing, null where a value is needed, or not convertible.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct TableError(pub String);

fn column<'a>(df: &'a DataFrame, name: &str) -> Result<&'a polars::prelude::Column, TableError> {
    df.columns()
        .iter()
        .find(|c| c.name().as_str() == name)
        .ok_or_else(|| TableError(format!("no column `{name}`; the table has {:?}", df.columns().iter().map(|c| c.name().as_str()).collect::<Vec<_>>())))
}

/// The same table without a cached schema (module docs).
pub fn fresh(df: &DataFrame) -> DataFrame {
    DataFrame::new_infer_height(df.columns().to_vec()).expect("the columns of a frame form a frame")
}

/// The values of column `name` as f64 (integers and booleans converted); a null is an error
/// naming its row.
pub fn f64_column(df: &DataFrame, name: &str) -> Result<Vec<f64>, TableError> {
    let cast = column(df, name)?.cast(&DataType::Float64).map_err(|e| TableError(format!("column `{name}` is not numeric: {e}")))?;
    let ca = cast.f64().map_err(|e| TableError(format!("column `{name}`: {e}")))?;
    ca.iter()
        .enumerate()
        .map(|(row, v)| v.ok_or_else(|| TableError(format!("column `{name}` has a null in row {row}"))))
        .collect()
}

/// The values of column `name` as f64 (integers and booleans converted), `None` where null.
pub fn optional_f64_column(df: &DataFrame, name: &str) -> Result<Vec<Option<f64>>, TableError> {
    let cast = column(df, name)?.cast(&DataType::Float64).map_err(|e| TableError(format!("column `{name}` is not numeric: {e}")))?;
    let ca = cast.f64().map_err(|e| TableError(format!("column `{name}`: {e}")))?;
    Ok(ca.iter().collect())
}

/// The values of column `name` as text (numbers formatted as polars does; null as "null").
pub fn string_column(df: &DataFrame, name: &str) -> Result<Vec<String>, TableError> {
    let cast = column(df, name)?.cast(&DataType::String).map_err(|e| TableError(format!("column `{name}`: {e}")))?;
    let ca = cast.str().map_err(|e| TableError(format!("column `{name}`: {e}")))?;
    Ok(ca.iter().map(|v| v.unwrap_or("null").to_string()).collect())
}

/// Distinct values in first-seen order (groups of a text column, in the table's order).
pub fn distinct(values: &[String]) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for v in values {
        if !seen.contains(v) {
            seen.push(v.clone());
        }
    }
    seen
}
