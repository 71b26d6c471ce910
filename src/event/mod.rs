//! Event-driven simulation of spiking networks with exact spike-time gradients.
//!
//! Between events the neurons' dynamics have closed forms, so a network can be simulated from
//! event to event without a time grid, and the spike times are differentiable functions of the
//! weights and initial states as long as the order of events does not change (Klos &
//! Memmesheimer, "Smooth exact gradient descent learning in spiking neural networks", arXiv
//! 2309.14523; their JAX code spikegd). Two neuron models:
//!
//! * [`theta::Theta`], the oscillatory quadratic integrate-and-fire neuron in its phase form:
//!   a spike can only enter or leave at the trial end, so the loss is continuous;
//! * [`lif::CurrentLif`], the current-based LIF neuron with τ_m = 2τ_s: a spike vanishes at a
//!   tangency of V to the threshold, and the loss jumps.
//!
//! [`network::EventNetwork`] runs feed-forward networks of either, with pseudospikes for silent
//! outputs; [`neuron`] holds one neuron's trajectory and its hand-written adjoint (no autodiff
//! graph per event); [`loss::FirstSpikeLoss`] is spikegd's first-spike-time loss;
//! [`train`] trains with AdaBelief on rayon's pool; [`landscape`] slices the loss around trained
//! weights. [`EventSample`] is a sample as time-sorted input spikes, made from any
//! [`crate::data::SpikeDataset`] (randman, latency sl-MNIST, SHD).

pub mod landscape;
pub mod lif;
pub mod loss;
pub mod network;
pub mod neuron;
pub mod theta;
pub mod train;

pub use lif::CurrentLif;
pub use loss::FirstSpikeLoss;
pub use network::{BatchResult, EventNetwork, Pass};
pub use neuron::EventModel;
pub use theta::Theta;
pub use train::{EventTrainConfig, EventTraining, train};

use crate::data::SpikeDataset;

/// Errors of the event-driven simulator.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// A parameter out of its range.
    #[error("event network: {name}: expected {expected}")]
    Parameter {
        /// The parameter.
        name: &'static str,
        /// What was expected and what was given.
        expected: String,
    },
    /// A sample or parameter vector that does not fit the network.
    #[error("event network: {0}")]
    Shape(String),
    /// Training produced a non-finite loss.
    #[error("event training diverged at epoch {epoch}: the mean training loss is {loss}")]
    Diverged {
        /// The epoch (1-based).
        epoch: usize,
        /// The loss.
        loss: f64,
    },
}

impl EventError {
    pub(crate) fn parameter(name: &'static str, expected: impl Into<String>) -> EventError {
        EventError::Parameter { name, expected: expected.into() }
    }
}

/// One sample as input spikes in continuous time, sorted by time.
#[derive(Debug, Clone, PartialEq)]
pub struct EventSample {
    /// Spike times.
    pub times: Vec<f64>,
    /// The input channel of each spike.
    pub channels: Vec<u32>,
    /// The class.
    pub label: usize,
}

impl EventSample {
    /// Every sample of `data` with the spike of step k at time (k + 1/2) · `span` / steps: the
    /// steps of the dataset spread over [0, span).
    pub fn all_of(data: &SpikeDataset, span: f64) -> Vec<EventSample> {
        let dt = span / data.steps() as f64;
        (0..data.len())
            .map(|i| {
                let events = data.events(i);
                EventSample {
                    times: events.iter().map(|e| (e.step as f64 + 0.5) * dt).collect(),
                    channels: events.iter().map(|e| e.channel).collect(),
                    label: data.label(i),
                }
            })
            .collect()
    }
}
