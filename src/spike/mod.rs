//! The spike op: z = H(x) forward, surrogate σ′(x) backward, with x = v − ϑ.
//!
//! ```text
//! forward:   z = H(x) = 1[x > 0]        (exactly 0 or 1; strict inequality)
//! backward:  ∂z/∂x = σ′(x)               (exactly the configured surrogate)
//! ```
//!
//! Two implementations compute the same thing:
//!
//! * [`Implementation::CustomBackward`] (the default for built-in surrogates): a burn backend
//!   extension whose autodiff node stores `x` and multiplies the incoming gradient by σ′(x). It is
//!   registered for every enabled backend (flex, ndarray, and wgpu through CubeCL + fusion).
//! * [`Implementation::Injection`]: the gradient-injection expression
//!   `H(x).detach() + (x − x.detach())·σ′(x.detach())`, built from ordinary tensor operations. Its
//!   value is exactly H(x) (the second term is exactly zero) and its derivative is exactly σ′(x).
//!   It serves as the reference the custom op is tested against, and it is how user-defined
//!   surrogates ([`SpikeFn::custom`]) run.
//!
//! [`Forward::Smooth`] replaces H by the surrogate's antiderivative S (a sigmoid-like curve from 0
//! to γ/β) while keeping σ′ = S′ as the backward: the "smooth surrogate network", whose exact
//! gradient the spiking network's surrogate gradient imitates. It exists for gradient checks and
//! for studies of what the surrogate is a gradient of.

pub mod escape;
pub mod van_rossum;
mod extension;

use std::fmt;
use std::sync::Arc;

use burn::Tensor;
use burn::backend::Backend;
use burn::backend::tensor::FloatTensor;

use serde::{Deserialize, Serialize};

use crate::surrogate::custom_closure;
use crate::surrogate::{CustomSurrogate, Surrogate};

/// Which function the forward pass applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Forward {
    /// z = H(x): binary spikes (the spiking network).
    #[default]
    Heaviside,
    /// z = S(x), the surrogate's antiderivative (the smooth surrogate network).
    Smooth,
}

/// How the surrogate gradient of a built-in surrogate is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Implementation {
    /// A backend extension with a hand-written backward (faster, less memory).
    #[default]
    CustomBackward,
    /// The gradient-injection expression built from differentiable tensor operations.
    Injection,
}

/// A spike nonlinearity: the forward function and the surrogate gradient used in its place.
#[derive(Clone)]
pub enum SpikeFn {
    /// A built-in [`Surrogate`].
    Builtin {
        /// The surrogate derivative.
        surrogate: Surrogate,
        /// How the gradient is attached.
        implementation: Implementation,
        /// What the forward pass computes.
        forward: Forward,
    },
    /// A user-defined surrogate, run through the injection form with a Heaviside forward.
    Custom(Arc<dyn CustomSurrogate>),
    /// A stochastic spike with escape noise ([`escape`]): 1[ξ < f(x)] forward, f′ or a chosen
    /// surrogate backward.
    Escape(escape::EscapeSpike),
}

impl fmt::Debug for SpikeFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpikeFn::Builtin {
                surrogate,
                implementation,
                forward,
            } => write!(f, "SpikeFn({surrogate}, {implementation:?}, {forward:?})"),
            SpikeFn::Custom(c) => write!(f, "SpikeFn(custom {})", c.name()),
            SpikeFn::Escape(e) => write!(f, "SpikeFn({e:?})"),
        }
    }
}

impl From<Surrogate> for SpikeFn {
    fn from(surrogate: Surrogate) -> Self {
        SpikeFn::new(surrogate)
    }
}

impl SpikeFn {
    /// Heaviside forward with `surrogate` as the backward, through the custom-backward op.
    pub fn new(surrogate: Surrogate) -> Self {
        SpikeFn::Builtin {
            surrogate,
            implementation: Implementation::CustomBackward,
            forward: Forward::Heaviside,
        }
    }

    /// A user-defined surrogate (any [`CustomSurrogate`]).
    pub fn custom(surrogate: Arc<dyn CustomSurrogate>) -> Self {
        SpikeFn::Custom(surrogate)
    }

    /// A user-defined surrogate given as a closure computing σ′(x) on a flat tensor.
    pub fn custom_fn(
        name: impl Into<String>,
        derivative: impl Fn(Tensor<1>) -> Tensor<1> + Send + Sync + 'static,
    ) -> Self {
        SpikeFn::Custom(custom_closure(name.into(), derivative))
    }

    /// The same surrogate attached with another implementation (built-ins only; a custom
    /// surrogate or a stochastic spike always uses the injection form and is returned unchanged).
    pub fn with_implementation(self, implementation: Implementation) -> Self {
        match self {
            SpikeFn::Builtin {
                surrogate, forward, ..
            } => SpikeFn::Builtin {
                surrogate,
                implementation,
                forward,
            },
            custom => custom,
        }
    }

    /// The same surrogate with another forward function.
    ///
    /// Fails for a custom surrogate asked for [`Forward::Smooth`]: it has no antiderivative.
    pub fn with_forward(self, forward: Forward) -> Result<Self, SpikeError> {
        match (self, forward) {
            (
                SpikeFn::Builtin {
                    surrogate,
                    implementation,
                    ..
                },
                forward,
            ) => Ok(SpikeFn::Builtin {
                surrogate,
                implementation,
                forward,
            }),
            (other @ (SpikeFn::Custom(_) | SpikeFn::Escape(_)), Forward::Heaviside) => Ok(other),
            (SpikeFn::Custom(c), Forward::Smooth) => {
                Err(SpikeError::SmoothCustom(c.name().to_string()))
            }
            (SpikeFn::Escape(e), Forward::Smooth) => Err(SpikeError::SmoothCustom(format!("{e:?}"))),
        }
    }

    /// The built-in surrogate, if this is one.
    pub fn surrogate(&self) -> Option<&Surrogate> {
        match self {
            SpikeFn::Builtin { surrogate, .. } => Some(surrogate),
            SpikeFn::Custom(_) | SpikeFn::Escape(_) => None,
        }
    }

    /// Applies the spike nonlinearity to `x = v − ϑ` of any shape.
    pub fn apply<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        match self {
            SpikeFn::Builtin {
                surrogate,
                implementation: Implementation::CustomBackward,
                forward,
            } => Tensor::from_dispatch(extension::surrogate_spike(
                x.into_dispatch(),
                *surrogate,
                *forward == Forward::Smooth,
            )),
            SpikeFn::Builtin {
                surrogate,
                implementation: Implementation::Injection,
                forward,
            } => {
                let value = match forward {
                    Forward::Heaviside => heaviside(x.clone().detach()),
                    Forward::Smooth => surrogate.antiderivative_tensor(x.clone().detach()),
                };
                inject(value, x, |xd| surrogate.derivative_tensor(xd))
            }
            SpikeFn::Custom(c) => inject(heaviside(x.clone().detach()), x, |xd| {
                let dims = xd.dims();
                let n = xd.shape().num_elements();
                let derivative = c.derivative(xd.reshape([n]));
                assert_eq!(
                    derivative.dims(),
                    [n],
                    "custom surrogate `{}` must return one value per input element",
                    c.name()
                );
                derivative.reshape(dims)
            }),
            SpikeFn::Escape(e) => e.apply(x),
        }
    }
}

/// Errors of the spike op's configuration.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpikeError {
    /// A smooth forward needs the antiderivative, which a custom surrogate or a stochastic spike
    /// does not provide.
    #[error(
        "`{0}` has no antiderivative, so it supports only the Heaviside forward"
    )]
    SmoothCustom(String),
}

/// z = H(x) with the surrogate gradient of `spike_fn`; shorthand for [`SpikeFn::apply`].
pub fn spike<const D: usize>(x: Tensor<D>, spike_fn: &SpikeFn) -> Tensor<D> {
    spike_fn.apply(x)
}

/// H(x) = 1[x > 0] elementwise, with the dtype of `x` (no gradient).
pub fn heaviside<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    Tensor::from_dispatch(heaviside_primitive::<burn::backend::Dispatch>(
        x.into_dispatch(),
    ))
}

/// `value.detach() + (x − x.detach())·σ′(x.detach())`: forward value `value`, derivative σ′.
fn inject<const D: usize>(
    value: Tensor<D>,
    x: Tensor<D>,
    derivative: impl FnOnce(Tensor<D>) -> Tensor<D>,
) -> Tensor<D> {
    let detached = x.clone().detach();
    let slope = derivative(detached.clone()).detach();
    value.detach() + (x - detached) * slope
}

/// 1[x > 0] on a backend primitive, keeping the float dtype of `x`.
///
/// Computed as max(0, sign(x)) — exact, since sign is −1, 0 or 1 — rather than through a boolean
/// mask, whose storage type differs between backends (wgpu cannot store native booleans).
pub(crate) fn heaviside_primitive<B: Backend>(x: FloatTensor<B>) -> FloatTensor<B> {
    B::relu(B::float_sign(x))
}

/// The spike of every layer of a network: the Heaviside with a surrogate gradient, or escape
/// noise. One value, so that a network cannot be configured with both.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum SpikeConfig {
    /// The Heaviside with a surrogate gradient ([`crate::spike`]).
    Surrogate {
        /// The surrogate gradient.
        surrogate: Surrogate,
        /// How it is attached.
        implementation: Implementation,
    },
    /// Spikes drawn with escape noise, backward f′ or a chosen surrogate ([`escape`]).
    Escape(escape::StochasticSpec),
}

impl Default for SpikeConfig {
    fn default() -> Self {
        SpikeConfig::Surrogate { surrogate: Surrogate::default(), implementation: Implementation::default() }
    }
}

impl SpikeConfig {
    /// The spike with the surrogate `surrogate`, attached by the custom backward op.
    pub fn surrogate(surrogate: Surrogate) -> Self {
        SpikeConfig::Surrogate { surrogate, implementation: Implementation::default() }
    }

    /// The surrogate of a deterministic spike; `None` for escape noise.
    pub fn surrogate_of(&self) -> Option<Surrogate> {
        match self {
            SpikeConfig::Surrogate { surrogate, .. } => Some(*surrogate),
            SpikeConfig::Escape(_) => None,
        }
    }

    /// The spike op; an escape-noise op draws its noise from the stream seeded by `seed`.
    pub fn spike_fn(&self, seed: u64) -> Result<SpikeFn, crate::validate::ConfigError> {
        match self {
            SpikeConfig::Surrogate { surrogate, implementation } => Ok(SpikeFn::new(*surrogate).with_implementation(*implementation)),
            SpikeConfig::Escape(spec) => spec.spike_fn(seed),
        }
    }
}
