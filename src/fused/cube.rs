//! The LIF recurrence and its backward pass through time on the CubeCL backends (wgpu, and
//! CUDA where that runtime is built): the same equations as `recurrence.rs`, with the state of
//! every neuron in one GPU thread and the recurrent products as matrix products on the device.
//!
//! ```text
//! forward,  t = 0 … T−1:    R_t = z_{t−1}·W                      one product  [B, n]·[n, n]
//!                           v_t, z_t, m_t = step(I_t + R_t + b, v_{t−1}, z_{t−1})   one kernel
//! backward, t = T−1 … 0:    P_t = d_{t+1}·Wᵀ                     one product
//!                           d_t, Λ_{t−1}, ρ_t = step⁻¹(G_t, P_t + ρ_{t+1}, Λ_t, m_t, z_{t−1}, …)   one kernel
//! after the loop:           ∂W = Σ_t z_{t−1}ᵀ d_t                 one product  [n, (T−1)B]·[(T−1)B, n]
//!                           ∂b, ∂α, ∂ϑ = Σ over the batch of per-thread sums over t
//! ```
//!
//! A feed-forward layer has no product in either direction, so each direction is one launch
//! over the whole sequence (`forward_sequence`, `backward_sequence`: the same cell, the time
//! loop inside the thread).
//!
//! (`recurrence.rs` defines d_t, e_t, Λ and ρ.) Each thread owns one (batch row, neuron) for
//! the whole sequence, so the carries Λ and ρ and the sums behind ∂b, ∂α and ∂ϑ are updated in
//! place without atomics; the batch sums are reductions after the loop. No value is read back
//! to the host. Two launches per step in each direction, against a dozen kernels and an
//! autodiff node per step on the reference path.
//!
//! The trace the backward pass reads is the spikes z `[T, B, n]` (the op's output) and the
//! membrane m `[T, B, n]`: m_t = v_t, or u_t = α v_{t−1} + c_t for `multreset1`.

use burn::backend::ops::FloatTensorOps;
use burn::backend::{Shape, Slice};
use burn::tensor::FloatDType;
use burn_cubecl::CubeBackend;
use burn_cubecl::cubecl;
use burn_cubecl::cubecl::prelude::*;
use burn_cubecl::cubecl::calculate_cube_count_elemwise;
use burn_cubecl::kernel::into_contiguous;
use burn_cubecl::tensor::CubeTensor;

use crate::dynamics::{LifSpec, Reset};
use crate::surrogate::Shape as SurrogateShape;

type Cb = CubeBackend;

const SUBTRACT: u32 = 0;
const MULTRESET1: u32 = 1;
const MULTRESET2: u32 = 2;

fn reset_code(reset: Reset) -> u32 {
    match reset {
        Reset::Subtract => SUBTRACT,
        Reset::MultReset1 => MULTRESET1,
        Reset::MultReset2 => MULTRESET2,
    }
}

const RECTANGULAR: u32 = 0;
const TRIANGULAR: u32 = 1;
const EXPONENTIAL: u32 = 2;
const GAUSSIAN: u32 = 3;
const SIGMOID: u32 = 4;
const FAST_SIGMOID: u32 = 5;
const PSEUDO_SPIKE: u32 = 6;
const CAUCHY: u32 = 7;

/// The kernel's code of a surrogate shape and its tail q (1 where the shape has none).
fn shape_code(shape: SurrogateShape) -> (u32, f32) {
    match shape {
        SurrogateShape::Rectangular => (RECTANGULAR, 1.0),
        SurrogateShape::Triangular => (TRIANGULAR, 1.0),
        SurrogateShape::Exponential => (EXPONENTIAL, 1.0),
        SurrogateShape::Gaussian => (GAUSSIAN, 1.0),
        SurrogateShape::Sigmoid => (SIGMOID, 1.0),
        SurrogateShape::FastSigmoid => (FAST_SIGMOID, 1.0),
        SurrogateShape::PseudoSpike { tail } => (PSEUDO_SPIKE, tail as f32),
        SurrogateShape::Cauchy | SurrogateShape::Arctan => (CAUCHY, 1.0),
    }
}

/// σ′(x) with peak γ and area γ/β: the table of [`crate::surrogate::Shape`], one branch
/// compiled per shape.
#[cube]
fn surrogate(x: f32, gamma: f32, beta: f32, tail: f32, #[comptime] shape: u32) -> f32 {
    let ax = f32::abs(x);
    let mut s = 0.0f32;
    if comptime![shape == RECTANGULAR] {
        // γ·1[|2βx| < 1]
        if ax < 0.5f32 / beta {
            s = gamma;
        }
    } else if comptime![shape == TRIANGULAR] {
        // γ·max(0, 1 − β|x|)
        s = gamma * f32::max(1.0f32 - beta * ax, 0.0f32);
    } else if comptime![shape == EXPONENTIAL] {
        // γ·exp(−2β|x|)
        s = gamma * f32::exp(-2.0f32 * beta * ax);
    } else if comptime![shape == GAUSSIAN] {
        // γ·exp(−πβ²x²)
        s = gamma * f32::exp(-core::f32::consts::PI * beta * beta * x * x);
    } else if comptime![shape == SIGMOID] {
        // γ·(1 − tanh²(2βx))
        let t = f32::tanh(2.0f32 * beta * x);
        s = gamma - gamma * t * t;
    } else if comptime![shape == FAST_SIGMOID] {
        // γ/(1 + 2β|x|)²
        let d = 1.0f32 + 2.0f32 * beta * ax;
        s = gamma / (d * d);
    } else if comptime![shape == PSEUDO_SPIKE] {
        // γ·(1 + 2β|x|/(q − 1))^(−q)
        s = gamma * f32::powf(1.0f32 + 2.0f32 * beta * ax / (tail - 1.0f32), -tail);
    } else {
        // γ/(1 + π²β²x²)
        let y = core::f32::consts::PI * beta * x;
        s = gamma / (1.0f32 + y * y);
    }
    s
}

/// Step t of the forward pass for the (row, neuron) i: reads I_t, v_{t−1} (`state`) and
/// z_{t−1}, with the recurrent input `rec` (z_{t−1}·W, 0 at t = 0 and without recurrence);
/// writes v_t to `state`, z_t, and m_t when `keep_trace`.
#[cube]
#[allow(clippy::too_many_arguments)]
fn forward_cell(
    current: &Tensor<f32>,
    state: &mut Tensor<f32>,
    spikes: &mut Tensor<f32>,
    membrane: &mut Tensor<f32>,
    bias: &Tensor<f32>,
    alpha: &Tensor<f32>,
    threshold: &Tensor<f32>,
    i: usize,
    step: u32,
    rec: f32,
    #[comptime] reset: u32,
    #[comptime] keep_trace: bool,
) {
    let len = state.len();
    let j = i % bias.len();
    let at = step as usize * len + i;
    let c = current[at] + bias[j] + rec;
    let mut zp = 0.0f32;
    if step > 0 {
        zp = spikes[at - len];
    }
    let a = alpha[j];
    let th = threshold[j];
    let v = state[i];
    // v_t, and m_t: what the backward pass reads.
    let u = a * v + c;
    let mut vn = u - th * zp;
    let mut m = vn;
    if comptime![reset == MULTRESET1] {
        vn = u * (1.0f32 - zp);
        m = u;
    } else if comptime![reset == MULTRESET2] {
        vn = a * v * (1.0f32 - zp) + c;
        m = vn;
    }
    state[i] = vn;
    let mut z = 0.0f32;
    if vn - th > 0.0f32 {
        z = 1.0f32;
    }
    spikes[at] = z;
    if comptime![keep_trace] {
        membrane[at] = m;
    }
}

/// One step t of the forward pass of a recurrent layer for every (row, neuron) i of the batch,
/// with R_t = z_{t−1}·W in `recurrent` (read when t > 0).
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
fn forward_step(
    current: &Tensor<f32>,
    recurrent: &Tensor<f32>,
    state: &mut Tensor<f32>,
    spikes: &mut Tensor<f32>,
    membrane: &mut Tensor<f32>,
    bias: &Tensor<f32>,
    alpha: &Tensor<f32>,
    threshold: &Tensor<f32>,
    step: u32,
    #[comptime] reset: u32,
    #[comptime] keep_trace: bool,
) {
    let i = ABSOLUTE_POS;
    if i >= state.len() {
        terminate!();
    }
    let mut rec = 0.0f32;
    if step > 0 {
        rec = recurrent[i];
    }
    forward_cell(current, state, spikes, membrane, bias, alpha, threshold, i, step, rec, reset, keep_trace);
}

/// Every step of the forward pass of a feed-forward layer, each (row, neuron) i in its own
/// thread: one launch for the whole sequence.
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
fn forward_sequence(
    current: &Tensor<f32>,
    state: &mut Tensor<f32>,
    spikes: &mut Tensor<f32>,
    membrane: &mut Tensor<f32>,
    bias: &Tensor<f32>,
    alpha: &Tensor<f32>,
    threshold: &Tensor<f32>,
    steps: u32,
    #[comptime] reset: u32,
    #[comptime] keep_trace: bool,
) {
    let i = ABSOLUTE_POS;
    if i >= state.len() {
        terminate!();
    }
    for t in 0..steps {
        forward_cell(current, state, spikes, membrane, bias, alpha, threshold, i, t, 0.0f32, reset, keep_trace);
    }
}

/// Step t of the backward pass for the (row, neuron) i: with G_t and, when `carry` is 1, the
/// carries from step t + 1 (`rec` = P_t = d_{t+1}·Wᵀ, 0 without recurrence; ρ_{t+1} in
/// `reset_term`, Λ_t in `carry_v`), writes d_t, Λ_{t−1} and ρ_t, and adds this step's terms of
/// ∂b, ∂α and ∂ϑ to the thread's sums.
#[cube]
#[allow(clippy::too_many_arguments)]
fn backward_cell(
    grad: &Tensor<f32>,
    spikes: &Tensor<f32>,
    membrane: &Tensor<f32>,
    carry_v: &mut Tensor<f32>,
    reset_term: &mut Tensor<f32>,
    d: &mut Tensor<f32>,
    sum_bias: &mut Tensor<f32>,
    sum_alpha: &mut Tensor<f32>,
    sum_threshold: &mut Tensor<f32>,
    alpha: &Tensor<f32>,
    threshold: &Tensor<f32>,
    i: usize,
    step: u32,
    carry: u32,
    rec: f32,
    gamma: f32,
    beta: f32,
    tail: f32,
    #[comptime] reset: u32,
    #[comptime] keep_reset: bool,
    #[comptime] shape: u32,
) {
    let len = carry_v.len();
    let j = i % alpha.len();
    let at = step as usize * len + i;
    let a = alpha[j];
    let th = threshold[j];
    let mut zp = 0.0f32;
    let mut vp = 0.0f32;
    if step > 0 {
        zp = spikes[at - len];
        vp = membrane[at - len];
        if comptime![reset == MULTRESET1] {
            let mut zpp = 0.0f32;
            if step > 1 {
                zpp = spikes[at - 2 * len];
            }
            vp *= 1.0f32 - zpp;
        }
    }
    let m = membrane[at];
    let rp = 1.0f32 - zp;
    let mut v = m;
    if comptime![reset == MULTRESET1] {
        v = m * rp;
    }
    let s = surrogate(v - th, gamma, beta, tail, shape);
    let mut cz = 0.0f32;
    let mut cv = 0.0f32;
    if carry == 1 {
        cz = rec;
        if comptime![keep_reset] {
            cz += reset_term[i];
        }
        cv = carry_v[i];
    }
    let gs = (grad[at] + cz) * s;
    let e = gs + cv;
    let mut di = e;
    if comptime![reset == MULTRESET1] {
        di = e * rp;
    }
    d[at] = di;
    sum_bias[i] += di;
    let mut dth = -gs;
    if comptime![reset == SUBTRACT] {
        sum_alpha[i] += e * vp;
        carry_v[i] = a * e;
        if comptime![keep_reset] {
            dth -= e * zp;
            reset_term[i] = -th * e;
        }
    } else if comptime![reset == MULTRESET1] {
        sum_alpha[i] += di * vp;
        carry_v[i] = a * rp * e;
        if comptime![keep_reset] {
            reset_term[i] = -m * e;
        }
    } else {
        sum_alpha[i] += e * rp * vp;
        carry_v[i] = a * rp * e;
        if comptime![keep_reset] {
            reset_term[i] = -a * vp * e;
        }
    }
    sum_threshold[i] += dth;
}

/// One step t of the backward pass of a recurrent layer for every (row, neuron) i, with
/// P_t = d_{t+1}·Wᵀ in `recurrent` (read when `carry` is 1).
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
fn backward_step(
    grad: &Tensor<f32>,
    spikes: &Tensor<f32>,
    membrane: &Tensor<f32>,
    recurrent: &Tensor<f32>,
    carry_v: &mut Tensor<f32>,
    reset_term: &mut Tensor<f32>,
    d: &mut Tensor<f32>,
    sum_bias: &mut Tensor<f32>,
    sum_alpha: &mut Tensor<f32>,
    sum_threshold: &mut Tensor<f32>,
    alpha: &Tensor<f32>,
    threshold: &Tensor<f32>,
    step: u32,
    carry: u32,
    gamma: f32,
    beta: f32,
    tail: f32,
    #[comptime] reset: u32,
    #[comptime] keep_reset: bool,
    #[comptime] shape: u32,
) {
    let i = ABSOLUTE_POS;
    if i >= carry_v.len() {
        terminate!();
    }
    let mut rec = 0.0f32;
    if carry == 1 {
        rec = recurrent[i];
    }
    backward_cell(
        grad, spikes, membrane, carry_v, reset_term, d, sum_bias, sum_alpha, sum_threshold, alpha, threshold, i, step, carry, rec, gamma, beta, tail, reset, keep_reset,
        shape,
    );
}

/// Every step of the backward pass of a feed-forward layer, t = T−1 … 0 in each (row, neuron)'s
/// thread: one launch for the whole sequence. The carries from step t + 1 are cut where t + 1
/// starts a truncation window (`truncation` > 0).
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
fn backward_sequence(
    grad: &Tensor<f32>,
    spikes: &Tensor<f32>,
    membrane: &Tensor<f32>,
    carry_v: &mut Tensor<f32>,
    reset_term: &mut Tensor<f32>,
    d: &mut Tensor<f32>,
    sum_bias: &mut Tensor<f32>,
    sum_alpha: &mut Tensor<f32>,
    sum_threshold: &mut Tensor<f32>,
    alpha: &Tensor<f32>,
    threshold: &Tensor<f32>,
    steps: u32,
    truncation: u32,
    gamma: f32,
    beta: f32,
    tail: f32,
    #[comptime] reset: u32,
    #[comptime] keep_reset: bool,
    #[comptime] shape: u32,
) {
    let i = ABSOLUTE_POS;
    if i >= carry_v.len() {
        terminate!();
    }
    for k in 0..steps {
        let t = steps - 1 - k;
        let mut carry = 0u32;
        if t + 1 < steps {
            carry = 1u32;
            if truncation > 0 && (t + 1) % truncation == 0 {
                carry = 0u32;
            }
        }
        backward_cell(
            grad, spikes, membrane, carry_v, reset_term, d, sum_bias, sum_alpha, sum_threshold, alpha, threshold, i, t, carry, 0.0f32, gamma, beta, tail, reset, keep_reset,
            shape,
        );
    }
}

/// The layer's parameters on the device, contiguous.
pub(super) struct CubeParams {
    w: CubeTensor,
    bias: CubeTensor,
    alpha: CubeTensor,
    threshold: CubeTensor,
}

impl CubeParams {
    pub(super) fn new([w, bias, alpha, threshold]: [CubeTensor; 4]) -> Self {
        CubeParams { w: into_contiguous(w), bias: into_contiguous(bias), alpha: into_contiguous(alpha), threshold: into_contiguous(threshold) }
    }
}

fn zeros(dims: &[usize], like: &CubeTensor) -> CubeTensor {
    Cb::float_zeros(Shape::from(dims.to_vec()), &like.device, FloatDType::F32)
}

/// `tensor[t]` of a `[T, B, n]` tensor as a `[B, n]` matrix.
fn step_of(tensor: &CubeTensor, t: usize, batch: usize, n: usize) -> CubeTensor {
    let slice = Cb::float_slice(tensor.clone(), &[Slice::from(t..t + 1), Slice::from(0..batch), Slice::from(0..n)]);
    Cb::float_reshape(slice, Shape::from(vec![batch, n]))
}

/// Steps `from..to` of a `[T, B, n]` tensor as a `[(to − from)·B, n]` matrix.
fn steps_of(tensor: &CubeTensor, from: usize, to: usize, batch: usize, n: usize) -> CubeTensor {
    let slice = Cb::float_slice(tensor.clone(), &[Slice::from(from..to), Slice::from(0..batch), Slice::from(0..n)]);
    Cb::float_reshape(into_contiguous(slice), Shape::from(vec![(to - from) * batch, n]))
}

fn dims3(tensor: &CubeTensor) -> [usize; 3] {
    let shape = tensor.meta.shape();
    assert_eq!(shape.num_dims(), 3, "the current must be [T, B, n]");
    [shape[0], shape[1], shape[2]]
}

/// The spikes z `[T, B, n]` of the layer driven by `current`, and with `keep_trace` the
/// membrane trace m `[T, B, n]` the backward pass reads.
pub(super) fn forward(current: CubeTensor, p: &CubeParams, spec: &LifSpec, keep_trace: bool) -> (CubeTensor, Option<CubeTensor>) {
    let current = into_contiguous(current);
    let [steps, batch, n] = dims3(&current);
    let client = current.client.clone();
    let spikes = zeros(&[steps, batch, n], &current);
    let state = zeros(&[batch, n], &current);
    // Without the trace the kernel writes no membrane; `state` stands in for the argument.
    let membrane = if keep_trace { zeros(&[steps, batch, n], &current) } else { state.clone() };
    let len = batch * n;
    let cube_dim = CubeDim::new(&client, len);
    let cube_count = calculate_cube_count_elemwise(&client, len, cube_dim);
    if !spec.recurrent {
        forward_sequence::launch(
            &client,
            cube_count,
            cube_dim,
            current.into_tensor_arg(),
            state.into_tensor_arg(),
            spikes.clone().into_tensor_arg(),
            membrane.clone().into_tensor_arg(),
            p.bias.clone().into_tensor_arg(),
            p.alpha.clone().into_tensor_arg(),
            p.threshold.clone().into_tensor_arg(),
            steps as u32,
            reset_code(spec.reset),
            keep_trace,
        );
        return (spikes, keep_trace.then_some(membrane));
    }
    for t in 0..steps {
        let recurrent = if t > 0 { into_contiguous(Cb::float_matmul(step_of(&spikes, t - 1, batch, n), p.w.clone())) } else { state.clone() };
        forward_step::launch(
            &client,
            cube_count.clone(),
            cube_dim,
            current.clone().into_tensor_arg(),
            recurrent.into_tensor_arg(),
            state.clone().into_tensor_arg(),
            spikes.clone().into_tensor_arg(),
            membrane.clone().into_tensor_arg(),
            p.bias.clone().into_tensor_arg(),
            p.alpha.clone().into_tensor_arg(),
            p.threshold.clone().into_tensor_arg(),
            t as u32,
            reset_code(spec.reset),
            keep_trace,
        );
    }
    (spikes, keep_trace.then_some(membrane))
}

/// ∂L/∂(current, W, b, α, ϑ) from ∂L/∂z `grad` and the trace of [`forward`].
pub(super) fn backward(grad: CubeTensor, spikes: CubeTensor, membrane: CubeTensor, p: &CubeParams, spec: &LifSpec) -> [CubeTensor; 5] {
    let grad = into_contiguous(grad);
    let spikes = into_contiguous(spikes);
    let membrane = into_contiguous(membrane);
    let [steps, batch, n] = dims3(&grad);
    let client = grad.client.clone();
    let len = batch * n;
    let d = zeros(&[steps, batch, n], &grad);
    let carry_v = zeros(&[batch, n], &grad);
    let reset_term = zeros(&[batch, n], &grad);
    let sums = [(); 3].map(|_| zeros(&[batch, n], &grad));
    let (shape, tail) = shape_code(spec.surrogate.shape());
    let (gamma, beta) = (spec.surrogate.dampening() as f32, spec.surrogate.sharpness() as f32);
    let cube_dim = CubeDim::new(&client, len);
    let cube_count = calculate_cube_count_elemwise(&client, len, cube_dim);
    if !spec.recurrent {
        backward_sequence::launch(
            &client,
            cube_count,
            cube_dim,
            grad.clone().into_tensor_arg(),
            spikes.into_tensor_arg(),
            membrane.into_tensor_arg(),
            carry_v.into_tensor_arg(),
            reset_term.into_tensor_arg(),
            d.clone().into_tensor_arg(),
            sums[0].clone().into_tensor_arg(),
            sums[1].clone().into_tensor_arg(),
            sums[2].clone().into_tensor_arg(),
            p.alpha.clone().into_tensor_arg(),
            p.threshold.clone().into_tensor_arg(),
            steps as u32,
            spec.truncation as u32,
            gamma,
            beta,
            tail,
            reset_code(spec.reset),
            !spec.detach_reset,
            shape,
        );
        // W is the untracked 1 × 1 stand-in of a feed-forward layer: its gradient is not read.
        let grad_w = zeros(&[1, 1], &grad);
        let [bias, alpha, threshold] = sums.map(|s| Cb::float_reshape(Cb::float_sum_dim(s, 0), Shape::from(vec![n])));
        return [d, grad_w, bias, alpha, threshold];
    }
    let w_t = into_contiguous(Cb::float_transpose(p.w.clone()));
    for t in (0..steps).rev() {
        // The carries from step t + 1, unless t + 1 starts a truncation window.
        let carry = t + 1 < steps && !(spec.truncation > 0 && (t + 1) % spec.truncation == 0);
        let recurrent = if carry { into_contiguous(Cb::float_matmul(step_of(&d, t + 1, batch, n), w_t.clone())) } else { carry_v.clone() };
        backward_step::launch(
            &client,
            cube_count.clone(),
            cube_dim,
            grad.clone().into_tensor_arg(),
            spikes.clone().into_tensor_arg(),
            membrane.clone().into_tensor_arg(),
            recurrent.into_tensor_arg(),
            carry_v.clone().into_tensor_arg(),
            reset_term.clone().into_tensor_arg(),
            d.clone().into_tensor_arg(),
            sums[0].clone().into_tensor_arg(),
            sums[1].clone().into_tensor_arg(),
            sums[2].clone().into_tensor_arg(),
            p.alpha.clone().into_tensor_arg(),
            p.threshold.clone().into_tensor_arg(),
            t as u32,
            carry as u32,
            gamma,
            beta,
            tail,
            reset_code(spec.reset),
            !spec.detach_reset,
            shape,
        );
    }
    let grad_w = if steps > 1 {
        let z_prev = steps_of(&spikes, 0, steps - 1, batch, n);
        let d_next = steps_of(&d, 1, steps, batch, n);
        Cb::float_matmul(Cb::float_transpose(z_prev), d_next)
    } else {
        zeros(&[n, n], &grad)
    };
    let [bias, alpha, threshold] = sums.map(|s| Cb::float_reshape(Cb::float_sum_dim(s, 0), Shape::from(vec![n])));
    [d, grad_w, bias, alpha, threshold]
}
