//! The LIF recurrence over a whole sequence in one kernel, and its backward pass through time
//! written out by hand.
//!
//! Forward, for the input current I_t `[B, n]` (already x_t·W_in), per step t = 0 … T−1 from
//! v₋₁ = z₋₁ = 0, with r_t = 1 − z_{t−1}:
//!
//! ```text
//! c_t = I_t + z_{t−1}·W + b                        W = M ⊙ W_rec (masked by the caller)
//! subtract:    v_t = α v_{t−1} + c_t − ϑ z_{t−1}     m_t = v_t
//! multreset1:  u_t = α v_{t−1} + c_t,  v_t = u_t r_t m_t = u_t
//! multreset2:  v_t = α v_{t−1} r_t + c_t            m_t = v_t
//! z_t = H(v_t − ϑ)
//! ```
//!
//! The backward keeps m_t (`f32`) and z_t (one bit) per neuron and step. With G_t = ∂L/∂z_t
//! from the layers above, s_t = σ′(v_t − ϑ), and the carries R_t (what step t+1 sends back to
//! z_t) and Λ_t (what it sends back to v_t), for t = T−1 … 0:
//!
//! ```text
//! g_t = G_t + R_t                          total ∂L/∂z_t
//! e_t = g_t s_t + Λ_t                      ∂L/∂v_t
//! d_t = e_t r_t (multreset1), e_t (else)   ∂L/∂c_t = ∂L/∂I_t
//! Λ_{t−1} = α e_t (subtract),  α r_t e_t (multreset1, multreset2)
//! R_{t−1} = d_t·Wᵀ + ρ_t                   ρ_t = −ϑ e_t | −u_t e_t | −α v_{t−1} e_t, 0 with detach_reset
//! ∂W = Σ_t z_{t−1}ᵀ d_t      ∂b = Σ_{t,b} d_t
//! ∂α = Σ_{t,b} e_t v_{t−1} (subtract) | d_t v_{t−1} (multreset1) | e_t r_t v_{t−1} (multreset2)
//! ∂ϑ = −Σ_{t,b} g_t s_t − [subtract, reset kept] Σ_{t,b} e_t z_{t−1}
//! ```
//!
//! Truncated BPTT with window K sets R_{t−1} = Λ_{t−1} = 0 at every t > 0 divisible by K: the
//! gradient reaches step t−1 only through the layer's input, as if the state were detached
//! before step t (which is what the reference path does).
//!
//! Rows of the batch are independent, so each parallel task runs every step of a chunk of
//! [`CHUNK_ROWS`](super::host::CHUNK_ROWS) rows; the recurrent product z_{t−1}·W is
//! event-driven (a sum of the rows of W of the active neurons) unless the chunk's spikes are
//! denser than [`DENSE_ABOVE`], and then a dense matrix product.

use rayon::prelude::*;

use super::host::{Disjoint, chunks, matmul, surrogate_derivative};
use super::sparse::{DENSE_ABOVE, SpikeBits, add, for_each_active, is_set};
use crate::neuron::Reset;
use crate::surrogate::Surrogate;

/// The fixed settings of a fused LIF layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LifSpec {
    /// How a spike resets the voltage.
    pub reset: Reset,
    /// Whether the reset term is excluded from the gradient.
    pub detach_reset: bool,
    /// The surrogate σ′ of the spike's backward.
    pub surrogate: Surrogate,
    /// Truncated BPTT window K (0: full BPTT).
    pub truncation: usize,
}

/// Steps T, batch B and neurons n of one layer's sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dims {
    /// Time steps T.
    pub steps: usize,
    /// Batch size B.
    pub batch: usize,
    /// Neurons n.
    pub n: usize,
}

impl Dims {
    fn len(&self) -> usize {
        self.steps * self.batch * self.n
    }
}

/// The layer's parameters on the host: W `[n, n]` (already masked), b, α, ϑ `[n]`.
#[derive(Debug, Clone)]
pub struct LifParams {
    /// Recurrent weights, row = presynaptic.
    pub w: Vec<f32>,
    /// Bias current.
    pub bias: Vec<f32>,
    /// Decay α = exp(−1/τ).
    pub alpha: Vec<f32>,
    /// Threshold ϑ.
    pub threshold: Vec<f32>,
}

/// What the backward pass needs from the forward pass: m_t and z_t for every step.
#[derive(Debug, Clone)]
pub struct Trace {
    membrane: Vec<f32>,
    spikes: SpikeBits,
}

impl Trace {
    /// Bytes held for the backward pass.
    pub fn bytes(&self) -> usize {
        self.membrane.len() * 4 + self.spikes.bytes()
    }
}

/// Gradients of the loss with respect to every input of the recurrence.
#[derive(Debug, Clone)]
pub struct LifGrads {
    /// ∂L/∂I `[T, B, n]`.
    pub current: Vec<f32>,
    /// ∂L/∂W `[n, n]`.
    pub w: Vec<f32>,
    /// ∂L/∂b `[n]`.
    pub bias: Vec<f32>,
    /// ∂L/∂α `[n]`.
    pub alpha: Vec<f32>,
    /// ∂L/∂ϑ `[n]`.
    pub threshold: Vec<f32>,
}

/// Runs the layer over the current `[T, B, n]`; returns the spikes `[T, B, n]` and, when
/// `keep_trace`, what the backward pass needs.
pub fn forward(spec: &LifSpec, dims: Dims, current: &[f32], p: &LifParams, keep_trace: bool) -> (Vec<f32>, Option<Trace>) {
    let Dims { steps, batch, n } = dims;
    assert_eq!(current.len(), dims.len(), "current must be [T, B, n] = {:?}", [steps, batch, n]);
    let mut z = vec![0.0f32; dims.len()];
    let mut membrane = if keep_trace { vec![0.0f32; dims.len()] } else { Vec::new() };
    let mut spikes = SpikeBits::zeros(steps * batch, n);
    let words = spikes.words();
    let (z_out, m_out, bits_out) = (Disjoint::new(&mut z), Disjoint::new(&mut membrane), Disjoint::new(&mut spikes.bits));
    chunks(batch).into_par_iter().for_each(|(b0, b1)| {
        let rows = b1 - b0;
        let mut v = vec![0.0f32; rows * n];
        let mut acc = vec![0.0f32; rows * n];
        for t in 0..steps {
            let base = (t * batch + b0) * n;
            acc.copy_from_slice(&current[base..base + rows * n]);
            // SAFETY (all slices below): the rows b0..b1 of every step belong to this task.
            let prev_bits = if t > 0 { Some(unsafe { bits_out.slice(((t - 1) * batch + b0) * words, rows * words) }) } else { None };
            let z_prev: &[f32] = if t > 0 { unsafe { z_out.slice(base - batch * n, rows * n) } } else { &[] };
            if let Some(prev) = prev_bits.as_deref() {
                let active: u32 = prev.iter().map(|w| w.count_ones()).sum();
                if active as f64 > DENSE_ABOVE * (rows * n) as f64 {
                    matmul(&mut acc, z_prev, false, &p.w, false, [rows, n, n], true, false);
                } else {
                    for (r, acc_row) in acc.chunks_mut(n).enumerate() {
                        for_each_active(&prev[r * words..(r + 1) * words], |j| add(acc_row, &p.w[j * n..(j + 1) * n]));
                    }
                }
            }
            let z_now = unsafe { z_out.slice(base, rows * n) };
            let mut m_now = if keep_trace { Some(unsafe { m_out.slice(base, rows * n) }) } else { None };
            let bits_now = unsafe { bits_out.slice((t * batch + b0) * words, rows * words) };
            for r in 0..rows {
                for i in 0..n {
                    let idx = r * n + i;
                    let zp = if t > 0 { z_prev[idx] } else { 0.0 };
                    let c = acc[idx] + p.bias[i];
                    let (vn, m) = match spec.reset {
                        crate::neuron::Reset::Subtract => {
                            let vn = p.alpha[i] * v[idx] + c - p.threshold[i] * zp;
                            (vn, vn)
                        }
                        crate::neuron::Reset::MultReset1 => {
                            let u = p.alpha[i] * v[idx] + c;
                            (u * (1.0 - zp), u)
                        }
                        crate::neuron::Reset::MultReset2 => {
                            let vn = p.alpha[i] * v[idx] * (1.0 - zp) + c;
                            (vn, vn)
                        }
                    };
                    v[idx] = vn;
                    if let Some(m_now) = m_now.as_deref_mut() {
                        m_now[idx] = m;
                    }
                    let spike = vn - p.threshold[i] > 0.0;
                    z_now[idx] = if spike { 1.0 } else { 0.0 };
                    if spike {
                        bits_now[r * words + i / 64] |= 1 << (i % 64);
                    }
                }
            }
        }
    });
    let trace = keep_trace.then_some(Trace { membrane, spikes });
    (z, trace)
}

/// The voltage v_t at flat index `idx` of step t from the trace (m_t with the multiplicative
/// reset of multreset1 applied).
#[inline]
fn voltage(reset: Reset, m: f32, z_prev: bool) -> f32 {
    if reset == Reset::MultReset1 && z_prev { 0.0 } else { m }
}

/// The backward pass through time: gradients of every input of [`forward`] from ∂L/∂z `[T, B, n]`.
pub fn backward(spec: &LifSpec, dims: Dims, trace: &Trace, grad_z: &[f32], p: &LifParams) -> LifGrads {
    let Dims { steps, batch, n } = dims;
    assert_eq!(grad_z.len(), dims.len(), "∂L/∂z must be [T, B, n] = {:?}", [steps, batch, n]);
    let mut current = vec![0.0f32; dims.len()];
    let d_out = Disjoint::new(&mut current);
    let keep_reset = !spec.detach_reset;
    let parts: Vec<[Vec<f32>; 4]> = chunks(batch)
        .into_par_iter()
        .map(|(b0, b1)| {
            let rows = b1 - b0;
            let (mut dw, mut db, mut dalpha, mut dtheta) = (vec![0.0f32; n * n], vec![0.0f32; n], vec![0.0f32; n], vec![0.0f32; n]);
            let mut carry_z = vec![0.0f32; rows * n];
            let mut carry_v = vec![0.0f32; rows * n];
            let mut reset_term = vec![0.0f32; rows * n];
            let bits = |t: usize, r: usize| trace.spikes.row(t * batch + b0 + r);
            for t in (0..steps).rev() {
                let base = (t * batch + b0) * n;
                let m_t = &trace.membrane[base..base + rows * n];
                let m_prev = if t > 0 { &trace.membrane[base - batch * n..base - batch * n + rows * n] } else { &[][..] };
                let mut x = Vec::with_capacity(rows * n);
                for r in 0..rows {
                    for i in 0..n {
                        let zp = t > 0 && is_set(bits(t - 1, r), i);
                        x.push(voltage(spec.reset, m_t[r * n + i], zp) - p.threshold[i]);
                    }
                }
                let s = surrogate_derivative(&spec.surrogate, x);
                // SAFETY: the rows b0..b1 of step t belong to this task.
                let d_t = unsafe { d_out.slice(base, rows * n) };
                for r in 0..rows {
                    for i in 0..n {
                        let idx = r * n + i;
                        let zp = t > 0 && is_set(bits(t - 1, r), i);
                        let rp = if zp { 0.0 } else { 1.0 };
                        let v_prev = if t > 0 {
                            let zpp = t > 1 && is_set(bits(t - 2, r), i);
                            voltage(spec.reset, m_prev[idx], zpp)
                        } else {
                            0.0
                        };
                        let gs = (grad_z[base + idx] + carry_z[idx]) * s[idx];
                        let e = gs + carry_v[idx];
                        let alpha = p.alpha[i];
                        let d = if spec.reset == Reset::MultReset1 { e * rp } else { e };
                        d_t[idx] = d;
                        db[i] += d;
                        dtheta[i] -= gs;
                        let (dalpha_term, leak, reset) = match spec.reset {
                            Reset::Subtract => {
                                if keep_reset && zp {
                                    dtheta[i] -= e;
                                }
                                (e * v_prev, alpha * e, -p.threshold[i] * e)
                            }
                            Reset::MultReset1 => (d * v_prev, alpha * rp * e, -m_t[idx] * e),
                            Reset::MultReset2 => (e * rp * v_prev, alpha * rp * e, -alpha * v_prev * e),
                        };
                        dalpha[i] += dalpha_term;
                        carry_v[idx] = leak;
                        reset_term[idx] = if keep_reset { reset } else { 0.0 };
                    }
                }
                if t == 0 {
                    break;
                }
                for r in 0..rows {
                    let d_row = &d_t[r * n..(r + 1) * n];
                    for_each_active(bits(t - 1, r), |j| add(&mut dw[j * n..(j + 1) * n], d_row));
                }
                if spec.truncation > 0 && t % spec.truncation == 0 {
                    carry_z.fill(0.0);
                    carry_v.fill(0.0);
                } else {
                    carry_z.copy_from_slice(&reset_term);
                    matmul(&mut carry_z, d_t, false, &p.w, true, [rows, n, n], true, false);
                }
            }
            [dw, db, dalpha, dtheta]
        })
        .collect();
    let mut total = [vec![0.0f32; n * n], vec![0.0f32; n], vec![0.0f32; n], vec![0.0f32; n]];
    for part in parts {
        for (sum, p) in total.iter_mut().zip(part) {
            add(sum, &p);
        }
    }
    let [w, bias, alpha, threshold] = total;
    LifGrads { current, w, bias, alpha, threshold }
}
