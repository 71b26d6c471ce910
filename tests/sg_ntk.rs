//! The SG-NTK recursion against the empirical kernel of wide random networks, its sign limit,
//! and the kernel regression it predicts.

use sglab::theory::sg_ntk::{KernelError, SgNtk, SurrogateDerivative, empirical_kernel, predict};

fn circle(angles: &[f64]) -> Vec<Vec<f64>> {
    angles.iter().map(|a| vec![a.sin(), a.cos()]).collect()
}

/// For erf(2x) networks, with the erf′ (m₂ = 1) surrogate and with the true derivative, the
/// analytic kernel equals the empirical J(x)·J̃(x′)ᵀ of width-2000 networks averaged over 4
/// draws to within 5 % (the finite-width fluctuation is O(1/√n)).
#[test]
fn the_analytic_sg_ntk_matches_the_empirical_kernel_of_wide_networks() {
    let points = circle(&[-2.0, -0.5, 0.3, 1.7]);
    for surrogate in [SurrogateDerivative::Erf { m: 1.0 }, SurrogateDerivative::True, SurrogateDerivative::Identity] {
        let kernel = SgNtk { m_forward: Some(2.0), surrogate, ..SgNtk::default() };
        let (_, analytic) = kernel.kernel_matrices(&points, &points);
        let draws = 4;
        let mut empirical = vec![0.0; analytic.len()];
        for seed in 0..draws {
            for (e, v) in empirical.iter_mut().zip(empirical_kernel(&kernel, 2000, &points, seed)) {
                *e += v / draws as f64;
            }
        }
        let scale = analytic.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (k, (e, a)) in empirical.iter().zip(&analytic).enumerate() {
            println!("{surrogate:?} [{}, {}]: empirical {e:.4}, analytic {a:.4}", k / 4, k % 4);
            assert!((e - a).abs() < 0.05 * scale, "{surrogate:?} entry {k}: empirical {e} vs analytic {a}");
        }
    }
}

/// As m₁ grows, erf(m₁x) tends to the sign and so do the kernels; the SG-NTK of the sign stays
/// finite on the diagonal while the true NTK grows without bound there.
#[test]
fn the_sign_limit_is_finite_for_the_surrogate_and_diverges_for_the_true_derivative() {
    let x = vec![0.6, 0.8];
    let y = vec![0.8, -0.6];
    let sign = SgNtk::default();
    let steep = SgNtk { m_forward: Some(1e6), ..SgNtk::default() };
    for (a, b) in [(&x, &y), (&x, &x)] {
        let (s0, i0) = sign.kernels(a, b);
        let (s1, i1) = steep.kernels(a, b);
        assert!((s0 - s1).abs() < 1e-4 && (i0 - i1).abs() < 1e-4 * i0.abs().max(1.0), "{s0} {s1} {i0} {i1}");
        assert!(i0.is_finite());
    }
    let true_ntk = |m: f64| SgNtk { m_forward: Some(m), surrogate: SurrogateDerivative::True, ..SgNtk::default() }.kernels(&x, &x).1;
    assert!(true_ntk(100.0) > 5.0 * true_ntk(5.0), "{} vs {}", true_ntk(100.0), true_ntk(5.0));
}

/// The converged network interpolates its 15 training points exactly with no spread there,
/// and the regression refuses mismatched data.
#[test]
fn the_kernel_prediction_interpolates_the_training_points() {
    let target = |p: &[f64]| 4.0 * p[0] * p[1] * p[1] - 0.8 * p[0].powi(3) + 1.2 * p[1] * p[1] - 0.8 * p[0] * p[0] * p[1];
    let train = circle(&(0..15).map(|i| -3.0 + 0.41 * i as f64).collect::<Vec<_>>());
    let y: Vec<f64> = train.iter().map(|p| target(p)).collect();
    let prediction = predict(&SgNtk::default(), &train, &y, &train).unwrap();
    for k in 0..train.len() {
        assert!((prediction.mean[k] - y[k]).abs() < 1e-6, "mean at training point {k}: {} vs {}", prediction.mean[k], y[k]);
        assert!((prediction.nngp_mean[k] - y[k]).abs() < 1e-6);
        assert!(prediction.std[k] < 1e-3, "std at training point {k}: {}", prediction.std[k]);
    }
    let test = circle(&[0.05, 1.0]);
    let off = predict(&SgNtk::default(), &train, &y, &test).unwrap();
    assert!(off.std.iter().all(|s| *s > 1e-4), "{:?}", off.std);
    assert_eq!(predict(&SgNtk::default(), &train, &y[..3], &test).unwrap_err(), KernelError::Lengths { inputs: 15, targets: 3 });
}
