//! Surrogate gradients: the pseudo-derivative σ′ that replaces the Heaviside's derivative in the
//! backward pass.
//!
//! Every built-in [`Shape`] is parameterised as in Herranz-Celotti & Rouat (arXiv 2202.00282) by
//! the **dampening** γ (the peak height σ′(0) = γ) and the **sharpness** β (the inverse width), so
//! that
//!
//! ```text
//! peak = σ′(0) = γ,        area = ∫ σ′(x) dx = γ / β.
//! ```
//!
//! With γ = β = 1 every shape has height 1 and area 1, which makes shapes comparable. The
//! q-PseudoSpike adds a **tail fatness** q > 1: its tail decays like |x|^(−q), q = 2 is the
//! fast-sigmoid derivative and q → ∞ tends to the exponential shape.
//!
//! Each shape offers the derivative σ′ and its antiderivative S(x) = ∫_{−∞}^{x} σ′, which rises
//! from 0 to γ/β, both on `f64` ([`Surrogate::derivative`], [`Surrogate::antiderivative`]) and on
//! tensors ([`Surrogate::derivative_tensor`], [`Surrogate::antiderivative_tensor`]). User-defined
//! surrogates implement [`CustomSurrogate`] and go through the same spike op
//! ([`crate::spike::SpikeFn::custom`]).

mod custom;
pub(crate) mod formula;

pub use custom::CustomSurrogate;
pub(crate) use custom::custom_closure;

use burn::Tensor;
use serde::{Deserialize, Serialize};

use formula::Prim;

/// Errors raised when a surrogate is constructed from invalid parameters.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SurrogateError {
    /// γ must be a finite number > 0.
    #[error("surrogate dampening γ must be finite and > 0, got {0}")]
    Dampening(f64),
    /// β must be a finite number > 0.
    #[error("surrogate sharpness β must be finite and > 0, got {0}")]
    Sharpness(f64),
    /// q must be a finite number > 1 (the area diverges for q ≤ 1).
    #[error("q-PseudoSpike tail fatness q must be finite and > 1, got {0}")]
    Tail(f64),
}

/// The shape of a surrogate derivative, written for x = v − ϑ with dampening γ and sharpness β.
///
/// | shape | σ′(x) | S(x) = ∫_{−∞}^x σ′ |
/// |---|---|---|
/// | `Rectangular` | γ·1[\|2βx\| < 1] | γ·(clamp(x, −h, h) + h), h = 1/(2β) |
/// | `Triangular` | γ·max(0, 1 − β\|x\|) | (γ/β)(½ + u − u\|u\|/2), u = clamp(βx, −1, 1) |
/// | `Exponential` | γ·e^(−2β\|x\|) | (γ/β)(½ + sgn(x)(1 − e^(−2β\|x\|))/2) |
/// | `Gaussian` | γ·e^(−πβ²x²) | (γ/β)·½(1 + erf(√π βx)) |
/// | `Sigmoid` (∂ sigmoid) | 4γ·s(4βx)(1 − s(4βx)) = γ(1 − tanh²(2βx)) | (γ/β)·s(4βx) |
/// | `FastSigmoid` (∂ fast sigmoid) | γ/(1 + 2β\|x\|)² | (γ/β)(½ + βx/(1 + 2β\|x\|)) |
/// | `PseudoSpike { tail: q }` | γ(1 + 2β\|x\|/(q − 1))^(−q) | (γ/β)(½ + sgn(x)(1 − (1 + 2β\|x\|/(q−1))^(1−q))/2) |
/// | `Cauchy` | γ/(1 + π²β²x²) | (γ/β)(½ + arctan(πβx)/π) |
/// | `Arctan` | same curve as `Cauchy` | same |
///
/// `s` is the logistic function. The first seven are the shapes of the paper (its Fig. 1); the
/// formulas follow its official code. `Arctan` is the derivative of the arctan used as a
/// surrogate by snnTorch (`ATan`) and SpikingJelly: a Lorentzian, so under the peak-γ/area-γ/β
/// normalisation it is the same curve as `Cauchy`. It is kept as its own name so that
/// configurations written in those libraries' terms read naturally; see
/// [`Surrogate::from_arctan_alpha`] for their α convention.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "shape")]
pub enum Shape {
    /// γ·1[|2βx| < 1]: a box of width 1/β.
    Rectangular,
    /// γ·max(0, 1 − β|x|).
    Triangular,
    /// γ·exp(−2β|x|): the Laplace density.
    Exponential,
    /// γ·exp(−πβ²x²).
    Gaussian,
    /// The derivative of the logistic sigmoid, 4γ·s(4βx)(1 − s(4βx)).
    Sigmoid,
    /// The derivative of the fast sigmoid (SuperSpike), γ/(1 + 2β|x|)².
    FastSigmoid,
    /// The q-PseudoSpike γ(1 + 2β|x|/(q − 1))^(−q), with tail fatness q > 1.
    PseudoSpike {
        /// Tail fatness q > 1: the tail decays like |x|^(−q).
        tail: f64,
    },
    /// The Cauchy (Lorentzian) density γ/(1 + π²β²x²).
    Cauchy,
    /// The derivative of arctan; the same curve as [`Shape::Cauchy`].
    Arctan,
}

impl Shape {
    /// The six shapes compared in the paper's Fig. 2, in its order.
    pub const PAPER_SIX: [Shape; 6] = [
        Shape::Rectangular,
        Shape::Triangular,
        Shape::Exponential,
        Shape::Gaussian,
        Shape::Sigmoid,
        Shape::FastSigmoid,
    ];

    /// The tail fatness q of the q-PseudoSpike; `None` for every other shape.
    pub fn tail(&self) -> Option<f64> {
        match self {
            Shape::PseudoSpike { tail } => Some(*tail),
            _ => None,
        }
    }

    /// A short, stable name for tables and figure legends.
    pub fn name(&self) -> &'static str {
        match self {
            Shape::Rectangular => "rectangular",
            Shape::Triangular => "triangular",
            Shape::Exponential => "exponential",
            Shape::Gaussian => "gaussian",
            Shape::Sigmoid => "sigmoid",
            Shape::FastSigmoid => "fast-sigmoid",
            Shape::PseudoSpike { .. } => "pseudo-spike",
            Shape::Cauchy => "cauchy",
            Shape::Arctan => "arctan",
        }
    }
}

/// A validated built-in surrogate: a [`Shape`] with dampening γ (peak) and sharpness β (so that
/// the area is γ/β).
///
/// Construct it with [`Surrogate::new`]; deserialisation validates the same way, and refuses a
/// field its shape does not have (`tail` on a fast sigmoid).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "serde_json::Map<String, serde_json::Value>", into = "SurrogateFields")]
pub struct Surrogate {
    shape: Shape,
    dampening: f64,
    sharpness: f64,
}

/// The serialised form of a [`Surrogate`], validated on the way in.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct SurrogateFields {
    #[serde(flatten)]
    shape: Shape,
    dampening: f64,
    sharpness: f64,
}

impl TryFrom<SurrogateFields> for Surrogate {
    type Error = SurrogateError;
    fn try_from(f: SurrogateFields) -> Result<Self, Self::Error> {
        Surrogate::new(f.shape, f.dampening, f.sharpness)
    }
}

/// A surrogate from its fields as written: the shape's own fields (which `#[serde(flatten)]`
/// cannot check) are those that the surrogate read writes back, so any other is an error
/// naming it.
impl TryFrom<serde_json::Map<String, serde_json::Value>> for Surrogate {
    type Error = String;
    fn try_from(written: serde_json::Map<String, serde_json::Value>) -> Result<Self, String> {
        let fields: SurrogateFields = serde_json::from_value(serde_json::Value::Object(written.clone())).map_err(|e| e.to_string())?;
        let known = serde_json::to_value(fields).map_err(|e| e.to_string())?;
        let known = known.as_object().ok_or("a surrogate serialises to a table")?;
        if let Some(unknown) = written.keys().find(|k| !known.contains_key(*k)) {
            let expected: Vec<&str> = known.keys().map(String::as_str).collect();
            return Err(format!("unknown field `{unknown}` of a {} surrogate, expected one of {}", fields.shape.name(), expected.join(", ")));
        }
        Surrogate::try_from(fields).map_err(|e| e.to_string())
    }
}

impl From<Surrogate> for SurrogateFields {
    fn from(s: Surrogate) -> Self {
        SurrogateFields {
            shape: s.shape,
            dampening: s.dampening,
            sharpness: s.sharpness,
        }
    }
}

impl Default for Surrogate {
    /// ∂ fast sigmoid with γ = β = 1, the paper's default and best overall shape.
    fn default() -> Self {
        Surrogate {
            shape: Shape::FastSigmoid,
            dampening: 1.0,
            sharpness: 1.0,
        }
    }
}

impl Surrogate {
    /// A surrogate of `shape` with dampening γ = `dampening` and sharpness β = `sharpness`.
    ///
    /// Fails when γ or β is not a finite number > 0, or when a q-PseudoSpike's tail is not a
    /// finite number > 1.
    pub fn new(shape: Shape, dampening: f64, sharpness: f64) -> Result<Self, SurrogateError> {
        if !(dampening.is_finite() && dampening > 0.0) {
            return Err(SurrogateError::Dampening(dampening));
        }
        if !(sharpness.is_finite() && sharpness > 0.0) {
            return Err(SurrogateError::Sharpness(sharpness));
        }
        if let Shape::PseudoSpike { tail } = shape
            && !(tail.is_finite() && tail > 1.0)
        {
            return Err(SurrogateError::Tail(tail));
        }
        Ok(Surrogate {
            shape,
            dampening,
            sharpness,
        })
    }

    /// The derivative of the logistic function of steepness β, σ′_β(x) = β s(βx)(1 − s(βx)) =
    /// (β/4)(1 − tanh²(βx/2)): the ∂sigmoid shape with peak γ = β/4 and sharpness β/4 (area 1),
    /// whose antiderivative is exactly s(βx). It is the matched surrogate of sigmoid escape noise
    /// and the derivative of a sigmoid network of steepness β.
    pub fn logistic(beta: f64) -> Result<Self, SurrogateError> {
        Surrogate::new(Shape::Sigmoid, beta / 4.0, beta / 4.0)
    }

    /// SuperSpike's surrogate in Zenke & Ganguli's form, σ′(x) = 1/(1 + β_s|x|)² (peak 1, area
    /// 2/β_s): sglab's fast sigmoid γ/(1 + 2β|x|)² with γ = 1 and β = β_s/2. Their β_s = 10 is
    /// DECOLLE's and Gygax & Zenke's SuperSpike; stork's default is 20.
    pub fn superspike(steepness: f64) -> Result<Self, SurrogateError> {
        Surrogate::new(Shape::FastSigmoid, 1.0, steepness / 2.0)
    }

    /// `shape` with γ = β = 1 (peak 1, area 1).
    pub fn unit(shape: Shape) -> Result<Self, SurrogateError> {
        Self::new(shape, 1.0, 1.0)
    }

    /// The arctan surrogate in snnTorch's convention σ′(x) = (α/2)/(1 + (παx/2)²), which has
    /// peak α/2 and area 1, i.e. γ = β = α/2.
    pub fn from_arctan_alpha(alpha: f64) -> Result<Self, SurrogateError> {
        Self::new(Shape::Arctan, alpha / 2.0, alpha / 2.0)
    }

    /// The shape.
    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// The dampening γ = σ′(0).
    pub fn dampening(&self) -> f64 {
        self.dampening
    }

    /// The sharpness β (inverse width).
    pub fn sharpness(&self) -> f64 {
        self.sharpness
    }

    /// The peak σ′(0); equal to γ for every shape.
    pub fn peak(&self) -> f64 {
        self.derivative(0.0)
    }

    /// The total area ∫ σ′ = γ/β.
    pub fn area(&self) -> f64 {
        self.dampening / self.sharpness
    }

    /// σ′(x) for x = v − ϑ.
    pub fn derivative(&self, x: f64) -> f64 {
        formula::derivative(self.shape, self.dampening, self.sharpness, x)
    }

    /// S(x) = ∫_{−∞}^{x} σ′(u) du, which rises from 0 to γ/β.
    pub fn antiderivative(&self, x: f64) -> f64 {
        formula::antiderivative(self.shape, self.dampening, self.sharpness, x)
    }

    /// σ′ elementwise, as a tensor of the same shape, device and dtype.
    ///
    /// The result is differentiable where the input is tracked (it is built from ordinary tensor
    /// operations); the spike op evaluates it on detached inputs.
    pub fn derivative_tensor<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        Tensor::from_dispatch(self.derivative_primitive::<burn::backend::Dispatch>(x.into_dispatch()))
    }

    /// S elementwise, as a tensor of the same shape, device and dtype.
    pub fn antiderivative_tensor<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        Tensor::from_dispatch(self.antiderivative_primitive::<burn::backend::Dispatch>(x.into_dispatch()))
    }

    /// σ′ on a backend primitive (used by the spike op's custom backward).
    pub(crate) fn derivative_primitive<B: burn::backend::Backend>(
        &self,
        x: burn::backend::tensor::FloatTensor<B>,
    ) -> burn::backend::tensor::FloatTensor<B> {
        formula::derivative(self.shape, self.dampening, self.sharpness, Prim::<B>(x)).0
    }

    /// S on a backend primitive (used by the spike op's smooth forward).
    pub(crate) fn antiderivative_primitive<B: burn::backend::Backend>(
        &self,
        x: burn::backend::tensor::FloatTensor<B>,
    ) -> burn::backend::tensor::FloatTensor<B> {
        formula::antiderivative(self.shape, self.dampening, self.sharpness, Prim::<B>(x)).0
    }
}

impl std::fmt::Display for Surrogate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.shape {
            Shape::PseudoSpike { tail } => write!(
                f,
                "{}(γ={}, β={}, q={})",
                self.shape.name(),
                self.dampening,
                self.sharpness,
                tail
            ),
            _ => write!(
                f,
                "{}(γ={}, β={})",
                self.shape.name(),
                self.dampening,
                self.sharpness
            ),
        }
    }
}
