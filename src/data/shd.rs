//! The Spiking Heidelberg Digits (Cramer, Stradmann, Schemmel & Zenke, IEEE TNNLS 2022) from
//! their official HDF5 files. Reading them needs the cargo feature `shd` (it links the system
//! HDF5 library); without it the configuration still parses and loading says which feature to
//! enable.
//!
//! Layout of `shd_train.h5` / `shd_test.h5`:
//!
//! ```text
//! /spikes/times   one variable-length array per sample: spike times in seconds (float16)
//! /spikes/units   one variable-length array per sample: channel 0..699
//! /labels         one class 0..19 per sample
//! ```
//!
//! Binning: a spike at time t (seconds) goes to the step ⌊1000 t / Δ⌋ for a bin width Δ in ms;
//! spikes at or after the window of T = ⌈duration / Δ⌉ steps are dropped. The paper bins at
//! Δ = 4 ms over the first second (T = 250) and keeps one spike per bin (binary); with
//! `binary = false` a bin counts its spikes.
//!
//! The files are not downloaded: put `shd_train.h5` and `shd_test.h5` (gunzipped) in one
//! directory (by default `data/shd/` of the crate); they are published at <https://zenkelab.org/datasets/> (mirror
//! <https://compneuro.net/datasets/>) as `shd_train.h5.gz`, `shd_test.h5.gz` with `md5sums.txt`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::dataset::{SpikeDataset, Splits};
use super::DataError;

/// Cochlea channels.
pub const CHANNELS: usize = 700;
/// Spoken digits 0–9 in English and German.
pub const CLASSES: usize = 20;

/// How SHD is binned and split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShdConfig {
    /// Directory of `shd_train.h5` and `shd_test.h5`; `None` means [`default_dir`].
    pub dir: Option<PathBuf>,
    /// Bin width Δ in milliseconds (the paper: 4).
    pub bin_ms: f64,
    /// Window in milliseconds from the start of each sample (the paper: 1000).
    pub duration_ms: f64,
    /// At most one spike per bin and channel (the paper), else spike counts.
    pub binary: bool,
    /// Fraction of the training file held out, from its end, as validation (the paper: 0.05).
    pub validation_fraction: f64,
    /// Repeat every time bin this many times (the official code's `timerepeat`; the paper: 2,
    /// [`crate::train::protocol::TIME_REPEAT`]); 1 keeps the binned sequence.
    pub time_repeat: usize,
}

impl Default for ShdConfig {
    fn default() -> Self {
        ShdConfig { dir: None, bin_ms: 4.0, duration_ms: 1000.0, binary: true, validation_fraction: 0.05, time_repeat: 1 }
    }
}

impl ShdConfig {
    /// Checks every field.
    pub fn validate(&self) -> Result<(), DataError> {
        if !(self.bin_ms > 0.0 && self.bin_ms.is_finite()) {
            return Err(DataError::parameter("bin_ms", format!("a positive bin width in ms, got {}", self.bin_ms)));
        }
        if !(self.duration_ms >= self.bin_ms && self.duration_ms.is_finite()) {
            return Err(DataError::parameter(
                "duration_ms",
                format!("a window of at least one bin ({} ms), got {}", self.bin_ms, self.duration_ms),
            ));
        }
        if self.time_repeat == 0 {
            return Err(DataError::parameter("time_repeat", "at least 1 (1 keeps the sequence as it is), got 0"));
        }
        DataError::check_fraction("validation_fraction", self.validation_fraction)
    }

    /// Time steps T = ⌈duration / Δ⌉.
    pub fn steps(&self) -> usize {
        (self.duration_ms / self.bin_ms - 1e-9).ceil() as usize
    }

    /// The bin of a spike at `time_s` seconds, or `None` outside the window.
    pub fn bin(&self, time_s: f64) -> Option<usize> {
        let bin = (1000.0 * time_s / self.bin_ms).floor();
        (bin >= 0.0 && bin < self.steps() as f64).then_some(bin as usize)
    }
}

/// Where SHD is looked for when the configuration names no directory: `data/shd/` of the crate.
pub fn default_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join("shd")
}

/// SHD from `shd_train.h5` and `shd_test.h5` in `config.dir` (or [`default_dir`]).
pub fn load(config: &ShdConfig) -> Result<Splits, DataError> {
    config.validate()?;
    let dir = config.dir.clone().unwrap_or_else(default_dir);
    let train = read_file(&locate(&dir, "shd_train.h5")?, config)?;
    let test = read_file(&locate(&dir, "shd_test.h5")?, config)?;
    let (train, validation) = train.split_validation(config.validation_fraction)?;
    Splits { train, validation, test }.repeat_time(config.time_repeat)
}

/// One SHD file, binned.
#[cfg(not(feature = "shd"))]
pub fn read_file(path: &Path, config: &ShdConfig) -> Result<SpikeDataset, DataError> {
    config.validate()?;
    Err(DataError::FeatureDisabled { feature: "shd", what: format!("reading the SHD file {}", path.display()) })
}

/// One SHD file, binned.
#[cfg(feature = "shd")]
pub fn read_file(path: &Path, config: &ShdConfig) -> Result<SpikeDataset, DataError> {
    use super::dataset::Event;
    use hdf5::types::VarLenArray;
    use hdf5_metno as hdf5;
    config.validate()?;
    let format = |m: String| DataError::format(path, m);
    let file = hdf5::File::open(path).map_err(|e| format(format!("not a readable HDF5 file: {e}")))?;
    let dataset = |name: &str| {
        file.dataset(name)
            .map_err(|e| format(format!("expected the SHD dataset {name}: {e}")))
    };
    let times: Vec<VarLenArray<f32>> = dataset("spikes/times")?
        .read_raw()
        .map_err(|e| format(format!("/spikes/times: expected variable-length float arrays: {e}")))?;
    let units: Vec<VarLenArray<u32>> = dataset("spikes/units")?
        .read_raw()
        .map_err(|e| format(format!("/spikes/units: expected variable-length integer arrays: {e}")))?;
    let labels: Vec<u32> = dataset("labels")?
        .read_raw()
        .map_err(|e| format(format!("/labels: expected integers: {e}")))?;
    if times.len() != units.len() || times.len() != labels.len() {
        return Err(format(format!(
            "{} spike-time arrays, {} unit arrays and {} labels; expected one of each per sample",
            times.len(),
            units.len(),
            labels.len()
        )));
    }
    if labels.is_empty() {
        return Err(format("no samples".into()));
    }
    let mut samples = Vec::with_capacity(labels.len());
    for (i, ((t, u), &label)) in times.iter().zip(&units).zip(&labels).enumerate() {
        let (t, u) = (t.as_slice(), u.as_slice());
        if t.len() != u.len() {
            return Err(format(format!("sample {i}: {} spike times but {} units", t.len(), u.len())));
        }
        if label as usize >= CLASSES {
            return Err(format(format!("sample {i}: label {label}, expected 0..{CLASSES}")));
        }
        let mut events = Vec::with_capacity(t.len());
        for (&time, &unit) in t.iter().zip(u) {
            if unit as usize >= CHANNELS {
                return Err(format(format!("sample {i}: unit {unit}, expected 0..{CHANNELS}")));
            }
            if !time.is_finite() {
                return Err(format(format!("sample {i}: spike time {time}, expected a finite time in seconds")));
            }
            if let Some(step) = config.bin(f64::from(time)) {
                events.push(Event { step: step as u32, channel: unit });
            }
        }
        if config.binary {
            events.sort_unstable();
            events.dedup();
        }
        samples.push((events, label as usize));
    }
    SpikeDataset::new(CHANNELS, config.steps(), CLASSES, samples)
}

fn locate(dir: &Path, name: &str) -> Result<PathBuf, DataError> {
    let path = dir.join(name);
    if path.is_file() {
        return Ok(path);
    }
    let gz = dir.join(format!("{name}.gz"));
    let found_gz = if gz.is_file() { format!(" ({name}.gz is there: gunzip it first)") } else { String::new() };
    Err(DataError::Missing {
        what: format!("SHD file {name}"),
        path,
        hint: format!(
            "put shd_train.h5 and shd_test.h5 in {}{found_gz}; they are published as shd_train.h5.gz and \
             shd_test.h5.gz at https://zenkelab.org/datasets/ (mirror https://compneuro.net/datasets/), \
             check them against md5sums.txt there and gunzip them",
            dir.display()
        ),
    })
}
