//! Surrogate-gradient descent of the NTK-parametrised ensemble: with the true derivative the
//! hand-written backward is autodiff's gradient; with a surrogate it differs only through φ̃′.

mod common;

use common::{assert_close, values};
use sglab::theory::sg_descent::{Ensemble, points_tensor};
use sglab::theory::sg_ntk::{SgNtk, SurrogateDerivative};

fn circle(k: usize) -> Vec<Vec<f64>> {
    (0..k).map(|i| { let a = 0.7 * i as f64 - 2.0; vec![a.sin(), a.cos()] }).collect()
}

/// For erf(2x) networks (3 in the ensemble, width 7, two hidden layers) with φ̃′ = φ′, every
/// gradient of the summed loss equals autodiff's to 1e-5.
#[test]
fn the_exact_backward_equals_autodiff() {
    let device = sglab::device("flex").unwrap();
    let ad = device.clone().autodiff();
    let kernel = SgNtk { m_forward: Some(2.0), surrogate: SurrogateDerivative::True, ..SgNtk::default() };
    let ensemble = Ensemble::new(kernel, 7, 3, 5, &device);
    let points = circle(6);
    let y: Vec<f64> = points.iter().map(|p| p[0] * p[1] + 0.3).collect();
    let (x, yt) = (points_tensor(&points, &device), sglab::burn::Tensor::<1>::from_data(sglab::burn::tensor::TensorData::new(y.clone(), [6]), &device));
    let (layers, (gw, gb)) = ensemble.gradients(&x, &yt);

    let (params, (w, b)) = ensemble.parameters();
    let tracked: Vec<_> = params.into_iter().map(|(w, b)| (w.to_device(&ad).autodiff().require_grad(), b.to_device(&ad).autodiff().require_grad())).collect();
    let (w, b) = (w.to_device(&ad).autodiff().require_grad(), b.to_device(&ad).autodiff().require_grad());
    let on_ad = ensemble.with_parameters(tracked.clone(), (w.clone(), b.clone()));
    let grads = on_ad.loss(&x.to_device(&ad), &yt.to_device(&ad)).sum().backward();
    for (l, ((tw, tb), (hw, hb))) in tracked.iter().zip(&layers).enumerate() {
        assert_close(&values(hw.clone()), &values(tw.grad(&grads).unwrap()), 1e-5, 1e-6, &format!("W{l}"));
        assert_close(&values(hb.clone()), &values(tb.grad(&grads).unwrap()), 1e-5, 1e-6, &format!("b{l}"));
    }
    assert_close(&values(gw), &values(w.grad(&grads).unwrap()), 1e-5, 1e-6, "w_out");
    assert_close(&values(gb), &values(b.grad(&grads).unwrap()), 1e-5, 1e-6, "b_out");
}

/// Surrogate-gradient descent of sign networks fits the training points: the mean loss falls
/// by more than a factor of 20 in 400 steps at lr 0.1 (width 64, 4 networks).
#[test]
fn sign_networks_fit_their_training_points() {
    let device = sglab::device("flex").unwrap();
    let mut ensemble = Ensemble::new(SgNtk::default(), 64, 4, 1, &device);
    let points = circle(8);
    let y: Vec<f64> = points.iter().map(|p| 4.0 * p[0] * p[1] * p[1] - 0.8 * p[0].powi(3)).collect();
    let (x, yt) = (points_tensor(&points, &device), sglab::burn::Tensor::<1>::from_data(sglab::burn::tensor::TensorData::new(y, [8]), &device));
    let before = values(ensemble.loss(&x, &yt)).iter().sum::<f64>();
    for _ in 0..400 {
        ensemble.step(&x, &yt, 0.1);
    }
    let after = values(ensemble.loss(&x, &yt)).iter().sum::<f64>();
    assert!(after < before / 20.0, "loss {before} → {after}");
}

/// The empirical SG-NTK of an ensemble member is J(x)·J̃(x′)ᵀ with J the gradient of the output
/// and J̃ its surrogate twin, both read off the hand-written backward independently: at a
/// single point with target f(x) − 1 the loss gradient is ∂f/∂θ (erf(5x) networks, erf′
/// surrogate m₂ = 1, width 9, 3 networks, to 1e-4 relative).
#[test]
fn the_empirical_kernel_of_an_ensemble_member_is_the_product_of_its_jacobians() {
    use sglab::burn::Tensor;
    use sglab::burn::tensor::TensorData;
    use sglab::theory::sg_ntk::empirical_kernel_of;
    let device = sglab::device("flex").unwrap();
    let sg = SgNtk { m_forward: Some(5.0), surrogate: SurrogateDerivative::Erf { m: 1.0 }, ..SgNtk::default() };
    let ensemble = Ensemble::new(sg, 9, 3, 11, &device);
    let (params, output) = ensemble.parameters();
    let exact = Ensemble::new(SgNtk { surrogate: SurrogateDerivative::True, ..sg }, 9, 3, 11, &device).with_parameters(params, output);
    let points = circle(4);
    // Per network, per point: the flattened gradient of f (all networks at once, then split).
    let jacobians = |net: &Ensemble| -> Vec<Vec<Vec<f64>>> {
        points
            .iter()
            .map(|p| {
                let x = points_tensor(std::slice::from_ref(p), &device);
                let f = values(net.forward(&x));
                // The loss of network e at the one point is ½(f_e − y)², so its gradient is
                // (f_e − y)·∂f_e/∂θ: with y = f_0 − 1 the factor r_e = f_e − f_0 + 1 is divided out.
                let y = Tensor::<1>::from_data(TensorData::new(vec![f[0] - 1.0], [1]), &device);
                let residual: Vec<f64> = f.iter().map(|v| v - (f[0] - 1.0)).collect();
                let (layers, (gw, gb)) = net.gradients(&x, &y);
                (0..3)
                    .map(|e| {
                        let mut flat = Vec::new();
                        for (w, b) in &layers {
                            let (w, b) = (values(w.clone()), values(b.clone()));
                            flat.extend_from_slice(&w[e * w.len() / 3..(e + 1) * w.len() / 3]);
                            flat.extend_from_slice(&b[e * b.len() / 3..(e + 1) * b.len() / 3]);
                        }
                        let (gw, gb) = (values(gw.clone()), values(gb.clone()));
                        flat.extend_from_slice(&gw[e * 9..(e + 1) * 9]);
                        flat.push(gb[e]);
                        flat.iter().map(|g| g / residual[e]).collect::<Vec<f64>>()
                    })
                    .collect()
            })
            .collect()
    };
    let (true_j, quasi_j) = (jacobians(&exact), jacobians(&ensemble));
    for e in 0..3 {
        let kernel = empirical_kernel_of(&sg, &ensemble.network(e), &points);
        for (a, ja) in true_j.iter().enumerate() {
            for (b, jb) in quasi_j.iter().enumerate() {
                let expected: f64 = ja[e].iter().zip(&jb[e]).map(|(p, q)| p * q).sum();
                let got = kernel[a * points.len() + b];
                assert!((got - expected).abs() <= 1e-4 * expected.abs().max(1.0), "network {e}, points ({a}, {b}): kernel {got} vs J·J̃ {expected}");
            }
        }
        // One row against all columns is that row of the full matrix.
        let row = sglab::theory::sg_ntk::empirical_kernel_between(&sg, &ensemble.members()[e], &points[2..3], &points);
        assert_eq!(row, kernel[2 * points.len()..3 * points.len()]);
    }
}
