//! A network too large for the machine is refused before anything is allocated.
//!
//! A lower bound on what training holds in memory, in f32 (4 bytes):
//!
//! ```text
//! P = Σ_l (f_l · n_l + n_l²) + n_L · C          weights: input and recurrent per layer, readout
//! A = B · T · (N_in + 2 Σ_l n_l)                 one batch: the input, each layer's voltages and spikes
//! bytes ≥ 4 · (4 P + A)                          weights, gradients and two optimiser moments
//! ```
//!
//! with f_1 = N_in input channels, f_l = n_{l−1}, C classes, batch B and T steps. When it
//! exceeds the memory the operating system reports available (`MemAvailable` in
//! `/proc/meminfo`), the run is a configuration error naming `model.hidden_sizes`, instead of an
//! allocation failure that aborts the process. Where the figure cannot be read the check is
//! skipped.

use super::TrainError;
use super::config::TrainConfig;
use crate::validate::ConfigError;

/// The lower bound of the module docs, in bytes, for `config` on a task of `channels` inputs,
/// `classes` classes and `steps` time steps (saturating, so an absurd width gives a huge figure
/// rather than an overflow).
pub fn training_bytes_lower_bound(config: &TrainConfig, channels: usize, classes: usize, steps: usize) -> u128 {
    let widths = &config.model.hidden_sizes;
    let parameters = weight_count(widths, channels, classes);
    let neurons: u128 = widths.iter().map(|&n| n as u128).sum();
    let activations = (config.run.batch_size as u128).saturating_mul(steps as u128).saturating_mul((channels as u128).saturating_add(neurons.saturating_mul(2)));
    parameters.saturating_mul(4).saturating_add(activations).saturating_mul(4)
}

/// P of the module docs: the input and recurrent weights of layers of `widths` on `channels`
/// inputs and the readout to `classes` (saturating).
pub fn weight_count(widths: &[usize], channels: usize, classes: usize) -> u128 {
    let mut parameters: u128 = 0;
    let mut fan_in = channels as u128;
    for &n in widths {
        let n = n as u128;
        parameters = parameters.saturating_add(fan_in.saturating_mul(n)).saturating_add(n.saturating_mul(n));
        fan_in = n;
    }
    parameters.saturating_add(fan_in.saturating_mul(classes as u128))
}

/// Bytes of memory available to a new allocation, as the operating system reports it.
fn available_bytes() -> Option<u128> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u128 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Refuses `config` on the task's shapes when even the lower bound exceeds the available
/// memory (module docs).
pub fn check_fits(config: &TrainConfig, channels: usize, classes: usize, steps: usize) -> Result<(), TrainError> {
    let Some(available) = available_bytes() else { return Ok(()) };
    let needed = training_bytes_lower_bound(config, channels, classes, steps);
    if needed > available {
        let gib = |b: u128| b as f64 / (1u128 << 30) as f64;
        return Err(TrainError::Config(ConfigError::new(
            "model.hidden_sizes",
            format!(
                "a network this machine can hold: training {:?} on {channels} inputs needs at least {:.1} GiB (weights, gradients, optimiser moments and one batch of {} × {steps} steps), and {:.1} GiB are available",
                config.model.hidden_sizes,
                gib(needed),
                config.run.batch_size,
                gib(available)
            ),
        )));
    }
    Ok(())
}
