//! The surrogate formulas, written once and evaluated on two kinds of numbers.
//!
//! Every shape's derivative σ′ and antiderivative S are expressed through the small arithmetic
//! vocabulary of [`Field`]. The same expression then runs on `f64` (for the stability theory and
//! the scalar API) and on a backend's float primitive (for the tensor derivative, the custom
//! backward of the spike op and the smooth forward). There is no second copy of any formula.

use burn::backend::Backend;
use burn::backend::tensor::FloatTensor;

use super::Shape;

/// The arithmetic the surrogate formulas need, on a scalar or elementwise on a tensor.
pub(crate) trait Field: Sized {
    fn abs(self) -> Self;
    fn exp(self) -> Self;
    fn tanh(self) -> Self;
    fn erf(self) -> Self;
    fn atan(self) -> Self;
    fn sign(self) -> Self;
    fn square(self) -> Self;
    fn recip(self) -> Self;
    /// `self^p` for a real exponent; only called on strictly positive values.
    fn powf(self, p: f64) -> Self;
    fn scale(self, c: f64) -> Self;
    fn shift(self, c: f64) -> Self;
    fn mul(self, other: Self) -> Self;
    fn add(self, other: Self) -> Self;
    fn clamp(self, lo: f64, hi: f64) -> Self;
    /// max(0, self)
    fn relu(self) -> Self;
    /// 1 where |self| < c, else 0.
    fn inside(self, c: f64) -> Self;
    /// A second handle on the same value (cheap for tensors: reference counted).
    fn dup(&self) -> Self;
}

impl Field for f64 {
    fn abs(self) -> Self {
        f64::abs(self)
    }
    fn exp(self) -> Self {
        f64::exp(self)
    }
    fn tanh(self) -> Self {
        f64::tanh(self)
    }
    fn erf(self) -> Self {
        libm::erf(self)
    }
    fn atan(self) -> Self {
        f64::atan(self)
    }
    fn sign(self) -> Self {
        if self > 0.0 {
            1.0
        } else if self < 0.0 {
            -1.0
        } else {
            0.0
        }
    }
    fn square(self) -> Self {
        self * self
    }
    fn recip(self) -> Self {
        1.0 / self
    }
    fn powf(self, p: f64) -> Self {
        f64::powf(self, p)
    }
    fn scale(self, c: f64) -> Self {
        self * c
    }
    fn shift(self, c: f64) -> Self {
        self + c
    }
    fn mul(self, other: Self) -> Self {
        self * other
    }
    fn add(self, other: Self) -> Self {
        self + other
    }
    fn clamp(self, lo: f64, hi: f64) -> Self {
        f64::clamp(self, lo, hi)
    }
    fn relu(self) -> Self {
        f64::max(self, 0.0)
    }
    fn inside(self, c: f64) -> Self {
        if f64::abs(self) < c { 1.0 } else { 0.0 }
    }
    fn dup(&self) -> Self {
        *self
    }
}

/// A backend float primitive viewed as a [`Field`]; the dtype of the input is preserved.
pub(crate) struct Prim<B: Backend>(pub FloatTensor<B>);

impl<B: Backend> Field for Prim<B> {
    fn abs(self) -> Self {
        Prim(B::float_abs(self.0))
    }
    fn exp(self) -> Self {
        Prim(B::float_exp(self.0))
    }
    fn tanh(self) -> Self {
        Prim(B::float_tanh(self.0))
    }
    fn erf(self) -> Self {
        Prim(B::float_erf(self.0))
    }
    fn atan(self) -> Self {
        Prim(B::float_atan(self.0))
    }
    fn sign(self) -> Self {
        Prim(B::float_sign(self.0))
    }
    fn square(self) -> Self {
        Prim(B::float_mul(self.0.clone(), self.0))
    }
    fn recip(self) -> Self {
        Prim(B::float_recip(self.0))
    }
    fn powf(self, p: f64) -> Self {
        Prim(B::float_powf_scalar(self.0, p.into()))
    }
    fn scale(self, c: f64) -> Self {
        Prim(B::float_mul_scalar(self.0, c.into()))
    }
    fn shift(self, c: f64) -> Self {
        Prim(B::float_add_scalar(self.0, c.into()))
    }
    fn mul(self, other: Self) -> Self {
        Prim(B::float_mul(self.0, other.0))
    }
    fn add(self, other: Self) -> Self {
        Prim(B::float_add(self.0, other.0))
    }
    fn clamp(self, lo: f64, hi: f64) -> Self {
        Prim(B::float_clamp(self.0, lo.into(), hi.into()))
    }
    fn relu(self) -> Self {
        Prim(B::relu(self.0))
    }
    fn inside(self, c: f64) -> Self {
        // max(0, sign(c − |x|)): exact, since c − |x| > 0 exactly when |x| < c.
        let margin = B::float_add_scalar(B::float_neg(B::float_abs(self.0)), c.into());
        Prim(B::relu(B::float_sign(margin)))
    }
    fn dup(&self) -> Self {
        Prim(self.0.clone())
    }
}

/// σ′(x) for `shape` with peak `gamma` and area `gamma / beta`.
///
/// Each branch is the table of [`Shape`]'s documentation; `x = v − ϑ`.
pub(crate) fn derivative<F: Field>(shape: Shape, gamma: f64, beta: f64, x: F) -> F {
    match shape {
        // γ·1[|2βx| < 1]
        Shape::Rectangular => x.inside(0.5 / beta).scale(gamma),
        // γ·max(0, 1 − β|x|)
        Shape::Triangular => x.abs().scale(-beta).shift(1.0).relu().scale(gamma),
        // γ·exp(−2β|x|)
        Shape::Exponential => x.abs().scale(-2.0 * beta).exp().scale(gamma),
        // γ·exp(−πβ²x²)
        Shape::Gaussian => x
            .square()
            .scale(-std::f64::consts::PI * beta * beta)
            .exp()
            .scale(gamma),
        // 4γ·s(4βx)(1 − s(4βx)) = γ·(1 − tanh²(2βx)); the tanh form cannot overflow.
        Shape::Sigmoid => x.scale(2.0 * beta).tanh().square().scale(-gamma).shift(gamma),
        // γ / (1 + 2β|x|)²
        Shape::FastSigmoid => x.abs().scale(2.0 * beta).shift(1.0).powf(-2.0).scale(gamma),
        // γ·(1 + 2β|x|/(q − 1))^(−q)
        Shape::PseudoSpike { tail } => x
            .abs()
            .scale(2.0 * beta / (tail - 1.0))
            .shift(1.0)
            .powf(-tail)
            .scale(gamma),
        // γ / (1 + π²β²x²)
        Shape::Cauchy | Shape::Arctan => x
            .scale(std::f64::consts::PI * beta)
            .square()
            .shift(1.0)
            .recip()
            .scale(gamma),
    }
}

/// S(x) = ∫_{−∞}^{x} σ′(u) du, rising from 0 to the area γ/β.
pub(crate) fn antiderivative<F: Field>(shape: Shape, gamma: f64, beta: f64, x: F) -> F {
    let area = gamma / beta;
    match shape {
        // γ·(clamp(x, −h, h) + h), h = 1/(2β)
        Shape::Rectangular => {
            let h = 0.5 / beta;
            x.clamp(-h, h).shift(h).scale(gamma)
        }
        // (γ/β)·(½ + u − u|u|/2), u = clamp(βx, −1, 1)
        Shape::Triangular => {
            let u = x.scale(beta).clamp(-1.0, 1.0);
            let half_u_abs_u = u.dup().mul(u.dup().abs()).scale(-0.5);
            u.add(half_u_abs_u).shift(0.5).scale(area)
        }
        // (γ/β)·(½ + sign(x)(1 − e^{−2β|x|})/2)
        Shape::Exponential => {
            let tail = x.dup().abs().scale(-2.0 * beta).exp().scale(-0.5).shift(0.5);
            x.sign().mul(tail).shift(0.5).scale(area)
        }
        // (γ/β)·½(1 + erf(√π·βx))
        Shape::Gaussian => x
            .scale(std::f64::consts::PI.sqrt() * beta)
            .erf()
            .shift(1.0)
            .scale(0.5 * area),
        // (γ/β)·s(4βx) = (γ/β)·½(1 + tanh(2βx))
        Shape::Sigmoid => x.scale(2.0 * beta).tanh().shift(1.0).scale(0.5 * area),
        // (γ/β)·(½ + βx/(1 + 2β|x|))
        Shape::FastSigmoid => {
            let denominator = x.dup().abs().scale(2.0 * beta).shift(1.0).recip();
            x.scale(beta).mul(denominator).shift(0.5).scale(area)
        }
        // (γ/β)·(½ + sign(x)·½(1 − (1 + 2β|x|/(q−1))^{1−q}))
        Shape::PseudoSpike { tail } => {
            let decay = x
                .dup()
                .abs()
                .scale(2.0 * beta / (tail - 1.0))
                .shift(1.0)
                .powf(1.0 - tail)
                .scale(-0.5)
                .shift(0.5);
            x.sign().mul(decay).shift(0.5).scale(area)
        }
        // (γ/β)·(½ + arctan(πβx)/π)
        Shape::Cauchy | Shape::Arctan => x
            .scale(std::f64::consts::PI * beta)
            .atan()
            .scale(std::f64::consts::FRAC_1_PI)
            .shift(0.5)
            .scale(area),
    }
}
