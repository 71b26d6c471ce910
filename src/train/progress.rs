//! Progress of a long run, in a terminal (one line rewritten in place per batch) or in a
//! notebook or log (one line per epoch on stdout, which evcxr shows under the cell).

use std::io::{IsTerminal, Write};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::metrics::EvalMetrics;

/// Where and how progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProgressMode {
    /// In-place line on a terminal's stderr, else one line per epoch on stdout.
    #[default]
    Auto,
    /// One line per epoch on stdout.
    Lines,
    /// Nothing.
    Quiet,
}

/// Progress display of one run.
#[derive(Debug)]
pub struct Progress {
    live: bool,
    lines: bool,
    epochs: usize,
    started: Instant,
    epochs_at_start: usize,
}

fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    if s >= 3600 { format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60) } else { format!("{:02}:{:02}", s / 60, s % 60) }
}

fn rates(r: &[f64]) -> String {
    let parts: Vec<String> = r.iter().map(|x| format!("{x:.3}")).collect();
    format!("[{}]", parts.join(", "))
}

impl Progress {
    /// A display for a run of `epochs` epochs that starts at epoch `first` (after a resume).
    pub fn new(mode: ProgressMode, epochs: usize, first: usize) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let (live, lines) = match mode {
            ProgressMode::Auto => (terminal, !terminal),
            ProgressMode::Lines => (false, true),
            ProgressMode::Quiet => (false, false),
        };
        Progress { live, lines, epochs, started: Instant::now(), epochs_at_start: first }
    }

    /// Seconds left, from the mean time of the epochs run in this process.
    fn eta(&self, fraction_done: f64) -> f64 {
        let run = fraction_done - self.epochs_at_start as f64;
        if run <= 0.0 {
            return f64::NAN;
        }
        self.started.elapsed().as_secs_f64() / run * (self.epochs as f64 - fraction_done)
    }

    /// After a training batch.
    pub fn batch(&self, epoch: usize, batch: usize, batches: usize, loss: f64) {
        if !self.live {
            return;
        }
        let done = epoch as f64 + (batch + 1) as f64 / batches as f64;
        let mut err = std::io::stderr();
        let _ = write!(
            err,
            "\repoch {}/{} batch {}/{} loss {loss:.4} ETA {}   ",
            epoch + 1,
            self.epochs,
            batch + 1,
            batches,
            clock(self.eta(done))
        );
        let _ = err.flush();
    }

    /// After an epoch's evaluation.
    pub fn epoch(&self, epoch: usize, train: &EvalMetrics, validation: Option<&EvalMetrics>) {
        if !(self.live || self.lines) {
            return;
        }
        let val = validation.map_or(String::new(), |v| format!(" val loss {:.4} val acc {:.3}", v.loss, v.accuracy));
        let line = format!(
            "epoch {}/{} loss {:.4} acc {:.3}{val} rates {} ETA {}",
            epoch + 1,
            self.epochs,
            train.loss,
            train.accuracy,
            rates(&train.rates),
            clock(self.eta((epoch + 1) as f64))
        );
        if self.live {
            eprintln!("\r{line}");
        } else {
            println!("{line}");
        }
    }

    /// A free-form message (rate targeting, divergence, resume).
    pub fn note(&self, message: &str) {
        if self.live {
            eprintln!("\r{message}");
        } else if self.lines {
            println!("{message}");
        }
    }
}
