//! Spike-latency MNIST (sl-MNIST) as in Herranz-Celotti & Rouat (stable_spike.md §6.1).
//!
//! A pixel of intensity x ∈ [0, 1] (byte / 255) fires at most once, at the latency
//!
//! ```text
//! x′ = 50 x,     T(x) = round(10 · 50 · ln(x′ / (x′ − 0.2)))     for x′ > 0.2,
//! ```
//!
//! and stays silent when x′ ≤ 0.2, T = 0 or T ≥ `steps` (the official one-hot encoding has
//! `steps` = 100 latency slots, index 0 meaning "no spike"). Bright pixels fire first: x = 1
//! gives T = 2, x = 0.1 gives T = 20, and pixels below x ≈ 0.0221 fire after step 100. A sample is
//! 784 channels (row-major pixels) × `steps` time steps.
//!
//! The official code builds a one-hot tensor `[784 pixels, steps latencies]` and *reshapes* it
//! to `[steps, 784]` instead of transposing it, which scrambles time and channel (flat index
//! k = steps·p + T lands on step ⌊k/784⌋, channel k mod 784). sglab keeps time and channel in
//! their true order; [`SlMnistConfig::official_scramble`] reproduces the scramble for studies
//! that compare with the official numbers.
//!
//! The data are MNIST in IDX format — the four files `train-images-idx3-ubyte`,
//! `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, gzip or raw —
//! so the full MNIST drops in. The crate embeds 10,000 real digits in that layout
//! ([`embedded_dir`]: 8,000 train, 2,000 test; provenance in `data/mnist-10k/README.md`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::dataset::{Event, SpikeDataset, Splits};
use super::{DataError, idx};

/// Side of an MNIST image.
const SIDE: usize = 28;
/// Input channels: one per pixel.
pub const CHANNELS: usize = SIDE * SIDE;
/// MNIST classes.
pub const CLASSES: usize = 10;

/// How sl-MNIST is encoded and split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlMnistConfig {
    /// Directory of the four MNIST IDX files; `None` reads the embedded 10,000 digits.
    pub dir: Option<PathBuf>,
    /// Time steps (latency slots); the paper uses 100.
    pub steps: usize,
    /// Fraction of the training file held out, from its end, as the validation part
    /// (the paper: 0.2).
    pub validation_fraction: f64,
    /// Reproduce the official code's reshape of `[784, steps]` into `[steps, 784]` (module docs).
    pub official_scramble: bool,
    /// Repeat every time step this many times (the official code's `timerepeat`; the paper: 2,
    /// so 200 steps); left out of files and run identifiers at 1.
    #[serde(skip_serializing_if = "is_one")]
    pub time_repeat: usize,
    /// Train on only the first this many digits of the training part (after the validation
    /// split), to measure how accuracy grows with the training set; `None`, all of them, is
    /// left out of files and run identifiers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub train_samples: Option<usize>,
}

fn is_one(k: &usize) -> bool {
    *k == 1
}

impl Default for SlMnistConfig {
    fn default() -> Self {
        SlMnistConfig { dir: None, steps: 100, validation_fraction: 0.2, official_scramble: false, time_repeat: 1, train_samples: None }
    }
}

impl SlMnistConfig {
    /// Checks every field.
    pub fn validate(&self) -> Result<(), DataError> {
        if self.steps < 2 {
            return Err(DataError::parameter("steps", format!("at least 2 latency slots, got {}", self.steps)));
        }
        if self.time_repeat == 0 {
            return Err(DataError::parameter("time_repeat", "at least 1 (1 keeps the sequence as it is), got 0"));
        }
        if self.train_samples == Some(0) {
            return Err(DataError::parameter("train_samples", "at least 1 training digit, got 0"));
        }
        DataError::check_fraction("validation_fraction", self.validation_fraction)
    }
}

/// Spike step of a pixel of intensity `x` ∈ [0, 1], or `None` when it stays silent.
pub fn latency(x: f64, steps: usize) -> Option<usize> {
    let xp = 50.0 * x;
    if xp <= 0.2 {
        return None;
    }
    let t = (500.0 * (xp / (xp - 0.2)).ln()).round();
    (t >= 1.0 && t < steps as f64).then_some(t as usize)
}

/// The spikes of one 28×28 image of bytes.
pub fn encode(image: &[u8], config: &SlMnistConfig) -> Vec<Event> {
    image
        .iter()
        .enumerate()
        .filter_map(|(pixel, &byte)| {
            let t = latency(f64::from(byte) / 255.0, config.steps)?;
            let (step, channel) = if config.official_scramble {
                let k = config.steps * pixel + t;
                (k / CHANNELS, k % CHANNELS)
            } else {
                (t, pixel)
            };
            Some(Event { step: step as u32, channel: channel as u32 })
        })
        .collect()
}

/// The directory of the embedded 10,000 digits.
pub fn embedded_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join("mnist-10k")
}

/// sl-MNIST from `config.dir`, or from the embedded digits (8,000 train less the validation
/// fraction, 2,000 test) when it is `None`.
pub fn load(config: &SlMnistConfig) -> Result<Splits, DataError> {
    config.validate()?;
    let dir = config.dir.clone().unwrap_or_else(embedded_dir);
    let dir = dir.as_path();
    let train = load_part(dir, "train", config)?;
    let test = load_part(dir, "t10k", config)?;
    let (train, validation) = train.split_validation(config.validation_fraction)?;
    let train = match config.train_samples {
        None => train,
        Some(n) if n <= train.len() => train.subset(&(0..n).collect::<Vec<_>>())?,
        Some(n) => {
            return Err(DataError::parameter("train_samples", format!("at most the {} digits of the training part, got {n}", train.len())));
        }
    };
    Splits { train, validation, test }.repeat_time(config.time_repeat)
}

/// MNIST images and labels of one part (`train` or `t10k`): images `[n, 784]` bytes and labels.
pub fn read_mnist(dir: &Path, part: &str) -> Result<(Vec<u8>, Vec<usize>), DataError> {
    let images_path = find(dir, &format!("{part}-images-idx3-ubyte"))?;
    let labels_path = find(dir, &format!("{part}-labels-idx1-ubyte"))?;
    let images = idx::read_u8(&images_path)?;
    let labels = idx::read_u8(&labels_path)?;
    if images.dims.len() != 3 || images.dims[1] != SIDE || images.dims[2] != SIDE {
        return Err(DataError::format(&images_path, format!("images of shape {:?}, expected [n, 28, 28]", images.dims)));
    }
    if labels.dims.len() != 1 {
        return Err(DataError::format(&labels_path, format!("labels of shape {:?}, expected [n]", labels.dims)));
    }
    if images.dims[0] != labels.dims[0] {
        return Err(DataError::Invalid(format!(
            "{} holds {} images but {} holds {} labels",
            images_path.display(),
            images.dims[0],
            labels_path.display(),
            labels.dims[0]
        )));
    }
    if images.dims[0] == 0 {
        return Err(DataError::format(&images_path, "no images"));
    }
    if let Some(&bad) = labels.data.iter().find(|&&l| l as usize >= CLASSES) {
        return Err(DataError::format(&labels_path, format!("label {bad}, expected a digit 0–9")));
    }
    Ok((images.data, labels.data.iter().map(|&l| l as usize).collect()))
}

fn load_part(dir: &Path, part: &str, config: &SlMnistConfig) -> Result<SpikeDataset, DataError> {
    let (images, labels) = read_mnist(dir, part)?;
    let samples = images.chunks_exact(CHANNELS).zip(labels).map(|(image, label)| (encode(image, config), label));
    SpikeDataset::new(CHANNELS, config.steps, CLASSES, samples)
}

/// `dir/name.gz`, else `dir/name`, else an error saying what to put there.
fn find(dir: &Path, name: &str) -> Result<PathBuf, DataError> {
    let gz = dir.join(format!("{name}.gz"));
    let raw = dir.join(name);
    [&gz, &raw].into_iter().find(|p| p.is_file()).cloned().ok_or_else(|| DataError::Missing {
        what: format!("MNIST file {name}(.gz)"),
        path: dir.to_path_buf(),
        hint: format!(
            "put the four MNIST IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, \
             t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, gzip or raw) in this directory; the \
             full MNIST is published at https://yann.lecun.com/exdb/mnist/, and sglab embeds \
             10,000 digits in {}",
            embedded_dir().display()
        ),
    })
}
