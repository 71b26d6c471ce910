//! The surrogate family: normalisation (peak γ, area γ/β), derivative = d/dx antiderivative,
//! symmetry, numerical safety, validation, and the tensor derivative on every backend.

mod common;

use common::{assert_close, backends, tensor1, values};
use sglab::surrogate::{Shape, Surrogate, SurrogateError};

/// Every shape, with the q-PseudoSpike at several tails.
fn shapes() -> Vec<Shape> {
    let mut s = Shape::PAPER_SIX.to_vec();
    s.extend([
        Shape::PseudoSpike { tail: 1.5 },
        Shape::PseudoSpike { tail: 2.0 },
        Shape::PseudoSpike { tail: 4.0 },
        Shape::Cauchy,
        Shape::Arctan,
    ]);
    s
}

/// (γ, β) pairs covering damped/sharp/wide surrogates.
const PARAMS: [(f64, f64); 4] = [(1.0, 1.0), (0.204, 1.02), (0.5, 3.0), (2.0, 0.25)];

fn surrogates() -> Vec<Surrogate> {
    shapes()
        .into_iter()
        .flat_map(|s| PARAMS.map(|(g, b)| Surrogate::new(s, g, b).unwrap()))
        .collect()
}

/// ∫ σ′ over the whole line with x = sinh(u)/β: the integrand σ′(x)·cosh(u)/β decays at least
/// like e^{−(q−1)|u|} even for the heaviest tail, so composite Simpson on a finite u-range
/// converges without knowing the antiderivative.
fn numeric_area(s: &Surrogate) -> f64 {
    let beta = s.sharpness();
    let (u_max, n) = (60.0, 2_000_000usize);
    let h = 2.0 * u_max / n as f64;
    let f = |u: f64| s.derivative(u.sinh() / beta) * u.cosh() / beta;
    let mut sum = f(-u_max) + f(u_max);
    for i in 1..n {
        let u = -u_max + i as f64 * h;
        sum += if i % 2 == 1 { 4.0 } else { 2.0 } * f(u);
    }
    sum * h / 3.0
}

#[test]
fn peak_is_dampening() {
    for s in surrogates() {
        assert!((s.derivative(0.0) - s.dampening()).abs() < 1e-12, "{s}");
        assert_eq!(s.peak(), s.dampening());
        // the peak is the maximum
        for x in [-2.0, -0.3, -1e-3, 1e-3, 0.3, 2.0] {
            assert!(s.derivative(x) <= s.dampening() + 1e-12, "{s} at {x}");
        }
    }
}

#[test]
fn numeric_area_is_dampening_over_sharpness() {
    for s in surrogates() {
        let area = numeric_area(&s);
        let expected = s.dampening() / s.sharpness();
        assert!(
            (area / expected - 1.0).abs() < 1e-3,
            "{s}: numeric area {area}, expected {expected}"
        );
        assert_eq!(s.area(), expected);
    }
}

#[test]
fn antiderivative_runs_from_zero_to_the_area() {
    for s in surrogates() {
        // The q = 1.5 tail decays like |x|^(−0.5): go far enough out for 1e-4 of the area.
        let far = 1e12;
        assert!(s.antiderivative(-far) < 1e-4 * s.area(), "{s}");
        assert!((s.antiderivative(far) / s.area() - 1.0).abs() < 1e-4, "{s}");
        assert!((s.antiderivative(0.0) / s.area() - 0.5).abs() < 1e-12, "{s}");
    }
}

#[test]
fn derivative_is_finite_difference_of_antiderivative() {
    for s in surrogates() {
        let width = 1.0 / s.sharpness();
        let h = 1e-6 * width;
        // Rectangular's antiderivative has kinks at ±1/(2β) and triangular's at ±1/β.
        let kinks = [0.5 * width, width];
        for k in -40..=40 {
            let x = k as f64 * 0.0731 * width;
            if kinks.iter().any(|&kx| (x.abs() - kx).abs() < 10.0 * h) {
                continue;
            }
            let fd = (s.antiderivative(x + h) - s.antiderivative(x - h)) / (2.0 * h);
            let d = s.derivative(x);
            assert!(
                (fd - d).abs() <= 1e-6 * s.dampening() + 1e-5 * d.abs(),
                "{s} at x = {x}: derivative {d}, finite difference {fd}"
            );
        }
    }
}

#[test]
fn derivative_is_symmetric_and_antiderivative_antisymmetric_about_half() {
    for s in surrogates() {
        for k in 0..50 {
            let x = k as f64 * 0.137 / s.sharpness();
            assert_eq!(s.derivative(x), s.derivative(-x), "{s} at {x}");
            let sum = s.antiderivative(x) + s.antiderivative(-x);
            assert!((sum - s.area()).abs() < 1e-12 * s.area().max(1.0), "{s} at {x}");
        }
    }
}

#[test]
fn no_nan_or_inf_far_from_threshold() {
    let far = [-1e6, -1e5, -1e3, -50.0, 50.0, 1e3, 1e5, 1e6];
    for s in surrogates() {
        for x in far {
            let d = s.derivative(x);
            let a = s.antiderivative(x);
            assert!(d.is_finite() && d >= 0.0, "{s}: σ′({x}) = {d}");
            assert!(a.is_finite() && a >= 0.0, "{s}: S({x}) = {a}");
        }
    }
    for (kind, device) in backends() {
        for s in surrogates() {
            let x = tensor1(&far, &device);
            let d = values(s.derivative_tensor(x.clone()));
            let a = values(s.antiderivative_tensor(x));
            assert!(d.iter().all(|v| v.is_finite() && *v >= 0.0), "{kind} {s}: {d:?}");
            assert!(a.iter().all(|v| v.is_finite() && *v >= 0.0), "{kind} {s}: {a:?}");
        }
    }
}

#[test]
fn tensor_derivative_and_antiderivative_match_the_scalar_ones_on_every_backend() {
    let xs: Vec<f64> = (-60..=60).map(|k| k as f64 * 0.05).collect();
    for (kind, device) in backends() {
        for s in surrogates() {
            let x = tensor1(&xs, &device);
            let d = values(s.derivative_tensor(x.clone()));
            let a = values(s.antiderivative_tensor(x));
            // Points on the rectangle's edges are decided by f32 rounding: skip them.
            let keep: Vec<usize> = (0..xs.len())
                .filter(|&i| ((xs[i].abs() - 0.5 / s.sharpness()).abs()) > 1e-5)
                .collect();
            let pick = |v: &[f64]| keep.iter().map(|&i| v[i]).collect::<Vec<_>>();
            let expected_d: Vec<f64> = xs.iter().map(|&x| s.derivative(x)).collect();
            let expected_a: Vec<f64> = xs.iter().map(|&x| s.antiderivative(x)).collect();
            assert_close(&pick(&d), &pick(&expected_d), 1e-6, 1e-5, &format!("{kind} σ′ {s}"));
            assert_close(&pick(&a), &pick(&expected_a), 1e-6, 1e-5, &format!("{kind} S {s}"));
        }
    }
}

#[test]
fn fast_sigmoid_is_pseudo_spike_with_tail_two() {
    let fs = Surrogate::new(Shape::FastSigmoid, 0.7, 1.3).unwrap();
    let q2 = Surrogate::new(Shape::PseudoSpike { tail: 2.0 }, 0.7, 1.3).unwrap();
    for k in -30..30 {
        let x = k as f64 * 0.11;
        assert!((fs.derivative(x) - q2.derivative(x)).abs() < 1e-14);
        assert!((fs.antiderivative(x) - q2.antiderivative(x)).abs() < 1e-14);
    }
}

#[test]
fn pseudo_spike_tends_to_exponential_for_large_tail() {
    let exp = Surrogate::new(Shape::Exponential, 1.0, 1.0).unwrap();
    let q = Surrogate::new(Shape::PseudoSpike { tail: 1e6 }, 1.0, 1.0).unwrap();
    for k in 0..30 {
        let x = k as f64 * 0.1;
        assert!((exp.derivative(x) - q.derivative(x)).abs() < 1e-5, "at {x}");
    }
}

#[test]
fn arctan_in_snntorch_convention() {
    // snnTorch ATan: σ′(x) = (α/2) / (1 + (π/2·α·x)²)
    let alpha = 2.0;
    let s = Surrogate::from_arctan_alpha(alpha).unwrap();
    for k in -20..20 {
        let x = k as f64 * 0.09;
        let snn = (alpha / 2.0) / (1.0 + (std::f64::consts::FRAC_PI_2 * alpha * x).powi(2));
        assert!((s.derivative(x) - snn).abs() < 1e-14, "at {x}");
    }
}

#[test]
fn closed_form_values() {
    let e = std::f64::consts::E;
    let cases: [(Shape, f64, f64); 8] = [
        (Shape::Rectangular, 0.49, 1.0),
        (Shape::Rectangular, 0.51, 0.0),
        (Shape::Triangular, 0.25, 0.75),
        (Shape::Exponential, 0.5, 1.0 / e),
        (Shape::Gaussian, 1.0, (-std::f64::consts::PI).exp()),
        (Shape::Sigmoid, 0.25, 4.0 * e / ((1.0 + e) * (1.0 + e))), // 4 s(1)(1 − s(1))
        (Shape::FastSigmoid, 0.5, 0.25),
        (Shape::PseudoSpike { tail: 3.0 }, 1.0, 0.125), // (1 + 2·1/2)^(−3)
    ];
    for (shape, x, expected) in cases {
        let s = Surrogate::unit(shape).unwrap();
        assert!((s.derivative(x) - expected).abs() < 1e-12, "{s} at {x}");
    }
    let c = Surrogate::unit(Shape::Cauchy).unwrap();
    assert!((c.derivative(1.0 / std::f64::consts::PI) - 0.5).abs() < 1e-12);
}

#[test]
fn invalid_parameters_are_rejected() {
    let fs = Shape::FastSigmoid;
    assert_eq!(Surrogate::new(fs, 0.0, 1.0), Err(SurrogateError::Dampening(0.0)));
    assert_eq!(Surrogate::new(fs, -1.0, 1.0), Err(SurrogateError::Dampening(-1.0)));
    assert!(matches!(Surrogate::new(fs, f64::NAN, 1.0), Err(SurrogateError::Dampening(_))));
    assert!(matches!(Surrogate::new(fs, f64::INFINITY, 1.0), Err(SurrogateError::Dampening(_))));
    assert_eq!(Surrogate::new(fs, 1.0, 0.0), Err(SurrogateError::Sharpness(0.0)));
    assert!(matches!(Surrogate::new(fs, 1.0, f64::NAN), Err(SurrogateError::Sharpness(_))));
    let q = |tail| Surrogate::new(Shape::PseudoSpike { tail }, 1.0, 1.0);
    assert_eq!(q(1.0), Err(SurrogateError::Tail(1.0)));
    assert_eq!(q(0.5), Err(SurrogateError::Tail(0.5)));
    assert!(matches!(q(f64::NAN), Err(SurrogateError::Tail(_))));
    assert!(q(1.01).is_ok());
    let msg = Surrogate::new(fs, 1.0, -2.0).unwrap_err().to_string();
    assert!(msg.contains("sharpness") && msg.contains("-2"), "{msg}");
}

#[test]
fn serde_round_trip_and_validation() {
    let s = Surrogate::new(Shape::PseudoSpike { tail: 1.8984 }, 0.204, 1.02).unwrap();
    let json = serde_json::to_string(&s).unwrap();
    assert_eq!(
        json,
        r#"{"shape":"pseudo-spike","tail":1.8984,"dampening":0.204,"sharpness":1.02}"#
    );
    assert_eq!(serde_json::from_str::<Surrogate>(&json).unwrap(), s);
    let bad = r#"{"shape":"exponential","dampening":-1.0,"sharpness":1.0}"#;
    let err = serde_json::from_str::<Surrogate>(bad).unwrap_err().to_string();
    assert!(err.contains("dampening"), "{err}");
}
