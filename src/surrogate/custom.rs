//! User-defined surrogates.

use std::fmt;
use std::sync::Arc;

use burn::Tensor;

/// A surrogate derivative supplied by the user.
///
/// It runs through the gradient-injection form of the spike op
/// (`H(x).detach() + (x − x.detach())·σ′(x.detach())`), so any composition of tensor operations
/// works on every backend. The input is flattened to one dimension; the output must have the
/// same length. `x = v − ϑ`.
pub trait CustomSurrogate: Send + Sync {
    /// A short name for tables and figure legends.
    fn name(&self) -> &str;

    /// σ′(x) elementwise.
    fn derivative(&self, x: Tensor<1>) -> Tensor<1>;
}

impl fmt::Debug for dyn CustomSurrogate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CustomSurrogate({})", self.name())
    }
}

/// A closure as a [`CustomSurrogate`].
struct ClosureSurrogate {
    name: String,
    derivative: Box<dyn Fn(Tensor<1>) -> Tensor<1> + Send + Sync>,
}

/// Wraps a closure computing σ′ into a shareable [`CustomSurrogate`].
pub(crate) fn custom_closure(
    name: String,
    derivative: impl Fn(Tensor<1>) -> Tensor<1> + Send + Sync + 'static,
) -> Arc<dyn CustomSurrogate> {
    Arc::new(ClosureSurrogate {
        name,
        derivative: Box::new(derivative),
    })
}

impl CustomSurrogate for ClosureSurrogate {
    fn name(&self) -> &str {
        &self.name
    }

    fn derivative(&self, x: Tensor<1>) -> Tensor<1> {
        (self.derivative)(x)
    }
}
