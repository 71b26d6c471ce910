//! Applies a configuration's [`InitScheme`] to a freshly drawn network, with the statistics of
//! the training data the schemes need (input moments, a measuring batch, the input rate ν).

use super::TrainError;
use super::config::{FluctuationScheme, InitScheme, StabilityScheme};
use crate::data::SpikeDataset;
use crate::init::fluctuation::{self, FluctuationInit, PspKernel};
use crate::init::stability;
use crate::network::{Network, NetworkConfig};
use crate::neuron::NeuronConfig;

/// `net` (drawn from `config`) initialised with `scheme` on the statistics of `train`.
pub fn initialise(net: Network, scheme: &InitScheme, config: &NetworkConfig, train: &SpikeDataset) -> Result<Network, TrainError> {
    match scheme {
        InitScheme::Configured => Ok(net),
        InitScheme::Stability(s) => stability_init(net, s, config, train),
        InitScheme::Fluctuation(f) => fluctuation_init(net, f, config, train),
    }
}

fn stability_init(net: Network, scheme: &StabilityScheme, config: &NetworkConfig, train: &SpikeDataset) -> Result<Network, TrainError> {
    let input = train.statistics()?.into();
    let batch = if scheme.measured_voltages {
        let device = crate::device("flex")?;
        let indices: Vec<usize> = (0..train.len().min(scheme.measure_samples)).collect();
        Some(train.batch(&indices, &device)?.inputs)
    } else {
        None
    };
    let prediction = stability::predict_with(config, input, scheme.conditions, batch)?;
    Ok(stability::apply(net, &prediction, config.seed, true))
}

fn fluctuation_init(net: Network, scheme: &FluctuationScheme, config: &NetworkConfig, train: &SpikeDataset) -> Result<Network, TrainError> {
    let lif = match &config.neuron {
        NeuronConfig::Lif(c) => c,
        NeuronConfig::Alif(c) => &c.lif,
        NeuronConfig::Qif(c) => &c.lif,
    };
    let nu = match scheme.nu {
        Some(nu) => nu,
        None => train.statistics()?.mean,
    };
    if !(nu > 0.0) {
        return Err(TrainError::config("init.nu", format!("a presynaptic rate > 0 per step; the training data's mean input is {nu}")));
    }
    let first = FluctuationInit {
        mu_u: scheme.mu_u,
        xi: scheme.xi,
        nu,
        kernel: PspKernel::Lif { tau: lif.tau },
        feedforward_share: scheme.feedforward_share,
        threshold: lif.threshold,
        variant: scheme.variant,
    };
    let deeper = FluctuationInit { nu: scheme.deeper_nu.unwrap_or(nu), ..first };
    Ok(fluctuation::apply(net, &first, &deeper, config.seed))
}
