//! Initialisation of a drawn network, behind one interface: [`Initialiser`] takes the freshly
//! drawn model and what it may read besides ([`InitContext`]: the configuration it was drawn
//! from, the training data, the device, batch settings and a log) and returns the model
//! initialised. It is implemented by
//!
//! | initialiser | model | what it sets |
//! |---|---|---|
//! | [`stability::StabilityScheme`] | [`Network`] | W_rec from Conditions I–II, each layer's surrogate from III–IV (Herranz-Celotti & Rouat) |
//! | [`fluctuation::FluctuationScheme`] | [`Network`] | W_in and W_rec from the membrane-potential moments (Rossbroich et al.) |
//! | [`rate::RateTargeting`] | [`Network`] | the biases, trained to a target initial rate (stable_spike.md §5.3) |
//! | [`lsuv::Lsuv`] | [`DecolleNet`] | weight scale and bias for U of mean 0 and variance 1 per layer |
//!
//! All draws come from the seeded streams of [`crate::rng`] and the distributions of
//! [`crate::weights`]; weights are replaced keeping whether they are trained
//! ([`crate::neuron::Layer::replace_input_weights`] and siblings, written once).

pub mod fluctuation;
pub mod lsuv;
pub mod rate;
pub mod stability;

use burn::tensor::Device;

use crate::data::{DataError, SpikeDataset};
use crate::network::{Network, NetworkConfig, NetworkError};
use crate::neuron::decolle::{DecolleConfig, DecolleNet};
use crate::validate::ConfigError;

/// A model that initialisers work on, and the configuration it was drawn from.
pub trait Initialisable {
    /// The configuration the model was drawn from.
    type Config;
}

impl Initialisable for Network {
    type Config = NetworkConfig;
}

impl Initialisable for DecolleNet {
    type Config = DecolleConfig;
}

/// What an initialiser may read besides the model.
pub struct InitContext<'a, C> {
    /// The configuration the model was drawn from (its seed names the initialisers' streams).
    pub config: &'a C,
    /// The seed of the run (batch order of measuring or training passes).
    pub seed: u64,
    /// The training data: input statistics, measuring batches, bias training.
    pub train: &'a SpikeDataset,
    /// The device the model lives on (an autodiff device where an initialiser trains).
    pub device: &'a Device,
    /// Batch size of the passes over `train`.
    pub batch_size: usize,
    /// At most this many batches per pass over `train` (`None`: all).
    pub max_batches: Option<usize>,
    /// Where progress notes go.
    pub log: &'a dyn Fn(&str),
}

/// Errors of an initialiser.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// An invalid setting.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The data could not be read or batched.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The network could not be built or run.
    #[error(transparent)]
    Network(#[from] NetworkError),
    /// The stability prediction failed.
    #[error(transparent)]
    Predict(#[from] stability::PredictError),
    /// A training pass of the initialiser diverged.
    #[error("{0}")]
    Diverged(String),
}

/// Initialises a freshly drawn model of type `M`.
pub trait Initialiser<M: Initialisable> {
    /// `model` (drawn from `context.config`) initialised.
    fn initialise(&self, model: M, context: &InitContext<'_, M::Config>) -> Result<M, InitError>;
}
