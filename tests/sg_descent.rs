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
