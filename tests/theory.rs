//! Surrogate gradients are not a conservative field: the loop integral of the toy network's
//! surrogate gradient is not zero, while the smooth network's exact gradient integrates to zero.

use sglab::theory::surrogate_field::{Field, PARAMETERS, loop_integral, output_and_field, random_plane};

/// The smooth network's field is its gradient: central differences of y agree with it.
#[test]
fn the_smooth_field_is_the_gradient_of_the_smooth_output() {
    let device = sglab::device("flex").unwrap().autodiff();
    let theta = [0.7, -1.1, 0.4, 1.3, -0.6];
    let (_, grad) = output_and_field(&theta, 5.0, Field::Smooth, &device);
    let eps = 1e-3;
    for i in 0..PARAMETERS {
        let (mut up, mut down) = (theta, theta);
        up[i] += eps;
        down[i] -= eps;
        let fd = (output_and_field(&up, 5.0, Field::Smooth, &device).0 - output_and_field(&down, 5.0, Field::Smooth, &device).0) / (2.0 * eps);
        assert!((fd - grad[i]).abs() < 1e-3, "θ_{i}: finite difference {fd} vs autodiff {}", grad[i]);
    }
}

/// Around the paper's circle (centre 0, radius 1.8) in a random plane, with 400 segments: the
/// smooth network's exact gradient integrates to 0 (midpoint-rule error only), the surrogate
/// gradient of the spiking network with the same σ′_β does not.
#[test]
fn the_surrogate_gradient_has_a_non_zero_loop_integral() {
    let device = sglab::device("flex").unwrap().autodiff();
    let plane = random_plane(124);
    let centre = [0.0; PARAMETERS];
    for beta in [1.0, 5.0, 20.0] {
        let smooth = loop_integral(&centre, &plane, 1.8, 400, beta, Field::Smooth, &device);
        let surrogate = loop_integral(&centre, &plane, 1.8, 400, beta, Field::Surrogate, &device);
        println!("β = {beta}: smooth ∮ = {:.2e}, surrogate ∮ = {:.4}", smooth.total, surrogate.total);
        assert!(smooth.total.abs() < 1e-3 * (1.0 + beta / 5.0), "β = {beta}: smooth loop integral {}", smooth.total);
        assert!(surrogate.total.abs() > 0.05, "β = {beta}: surrogate loop integral {}", surrogate.total);
        assert_eq!(surrogate.running.len(), 401);
        // The path closes: the output returns to its starting value.
        assert_eq!(surrogate.outputs.first(), surrogate.outputs.last());
    }
}
