//! The LIF and ALIF recurrences over a whole sequence in one kernel, and their backward pass
//! through time written out by hand.
//!
//! Forward, for the input current I_t `[B, n]` (already x_t·W_in), per step t = 0 … T−1 from
//! v₋₁ = z₋₁ = a₋₁ = 0, with r_t = 1 − z_{t−1}:
//!
//! ```text
//! ALIF only:   a_t = ρ a_{t−1} + (1 − ρ) z_{t−1}      ϑ_t = ϑ + β a_t     (LIF: ϑ_t = ϑ)
//! c_t = I_t + z_{t−1}·W + b                        W = M ⊙ W_rec (masked by the caller; none, so no
//!                                                  z_{t−1}·W term, in a feed-forward layer)
//! subtract:    v_t = α v_{t−1} + c_t − ϑ_t z_{t−1}   m_t = v_t
//! multreset1:  u_t = α v_{t−1} + c_t,  v_t = u_t r_t m_t = u_t
//! multreset2:  v_t = α v_{t−1} r_t + c_t            m_t = v_t
//! z_t = H(v_t − ϑ_t)
//! ```
//!
//! The backward keeps m_t (`f32`), z_t (one bit) and, for ALIF, a_t (`f32`) per neuron and
//! step. With G_t = ∂L/∂z_t from the layers above, s_t = σ′(v_t − ϑ_t), and the carries R_t
//! (what step t+1 sends back to z_t), Λ_t (what it sends back to v_t) and A_t (what it sends
//! back to a_t), for t = T−1 … 0:
//!
//! ```text
//! g_t = G_t + R_t                          total ∂L/∂z_t
//! e_t = g_t s_t + Λ_t                      ∂L/∂v_t
//! d_t = e_t r_t (multreset1), e_t (else)   ∂L/∂c_t = ∂L/∂I_t
//! h_t = −g_t s_t − [subtract, reset kept] e_t z_{t−1}      ∂L/∂ϑ_t
//! q_t = β h_t + A_t                        ∂L/∂a_t (ALIF)
//! Λ_{t−1} = α e_t (subtract),  α r_t e_t (multreset1, multreset2)
//! A_{t−1} = ρ q_t
//! R_{t−1} = d_t·Wᵀ + ρ_t + (1 − ρ) q_t      ρ_t = −ϑ_t e_t | −u_t e_t | −α v_{t−1} e_t, 0 with detach_reset
//!                                          (no d_t·Wᵀ term and no ∂W in a feed-forward layer)
//! ∂W = Σ_t z_{t−1}ᵀ d_t      ∂b = Σ_{t,b} d_t      ∂ϑ = Σ_{t,b} h_t
//! ∂α = Σ_{t,b} e_t v_{t−1} (subtract) | d_t v_{t−1} (multreset1) | e_t r_t v_{t−1} (multreset2)
//! ∂β = Σ_{t,b} h_t a_t       ∂ρ = Σ_{t,b} q_t (a_{t−1} − z_{t−1})
//! ```
//!
//! Truncated BPTT with window K sets R_{t−1} = Λ_{t−1} = A_{t−1} = 0 at every t > 0 divisible
//! by K: the gradient reaches step t−1 only through the layer's input, as if the state were
//! detached before step t (which is what the reference path does).
//!
//! Rows of the batch are independent, so each parallel task runs every step of a chunk of
//! [`CHUNK_ROWS`](super::host::CHUNK_ROWS) rows; the recurrent product z_{t−1}·W is
//! event-driven (a sum of the rows of W of the active neurons) unless the chunk's spikes are
//! denser than [`DENSE_ABOVE`], and then a dense matrix product.

use rayon::prelude::*;

use super::host::{Disjoint, chunks, matmul, simd, surrogate_derivative};
use super::sparse::{DENSE_ABOVE, SpikeBits, add, for_each_active};
use crate::dynamics::{LifSpec, Reset};

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

/// The layer's parameters on the host: W `[n, n]` (already masked), b, α, ϑ `[n]`, and ALIF's
/// threshold adaptation.
#[derive(Debug, Clone)]
pub struct LifParams {
    /// Recurrent weights, row = presynaptic (`None`: a feed-forward layer).
    pub w: Option<Vec<f32>>,
    /// Bias current.
    pub bias: Vec<f32>,
    /// Decay α = exp(−1/τ).
    pub alpha: Vec<f32>,
    /// Threshold ϑ.
    pub threshold: Vec<f32>,
    /// ALIF's adaptation (None: LIF).
    pub adaptation: Option<Adaptation>,
}

/// ALIF's threshold adaptation: ϑ_t = ϑ + β a_t with a_t = ρ a_{t−1} + (1 − ρ) z_{t−1}.
#[derive(Debug, Clone)]
pub struct Adaptation {
    /// Decay ρ = exp(−1/τ_a) `[n]`.
    pub rho: Vec<f32>,
    /// Strength β `[n]`.
    pub beta: Vec<f32>,
}

/// What the backward pass needs from the forward pass: m_t, z_t and (ALIF) a_t for every step.
#[derive(Debug, Clone)]
pub struct Trace {
    membrane: Vec<f32>,
    spikes: SpikeBits,
    adaptation: Vec<f32>,
}

/// Gradients of the loss with respect to every input of the recurrence.
#[derive(Debug, Clone)]
pub struct LifGrads {
    /// ∂L/∂I `[T, B, n]`.
    pub current: Vec<f32>,
    /// ∂L/∂W `[n, n]` (empty for a feed-forward layer).
    pub w: Vec<f32>,
    /// ∂L/∂b `[n]`.
    pub bias: Vec<f32>,
    /// ∂L/∂α `[n]`.
    pub alpha: Vec<f32>,
    /// ∂L/∂ϑ `[n]`.
    pub threshold: Vec<f32>,
    /// ∂L/∂ρ `[n]` (ALIF; empty for LIF).
    pub rho: Vec<f32>,
    /// ∂L/∂β `[n]` (ALIF; empty for LIF).
    pub beta: Vec<f32>,
}

/// Runs the layer over the current `[T, B, n]`; returns the spikes `[T, B, n]` and, when
/// `keep_trace`, what the backward pass needs.
pub fn forward(spec: &LifSpec, dims: Dims, current: &[f32], p: &LifParams, keep_trace: bool) -> (Vec<f32>, Option<Trace>) {
    let Dims { steps, batch, n } = dims;
    assert_eq!(current.len(), dims.len(), "current must be [T, B, n] = {:?}", [steps, batch, n]);
    let mut z = vec![0.0f32; dims.len()];
    let mut membrane = if keep_trace { vec![0.0f32; dims.len()] } else { Vec::new() };
    let adapts = p.adaptation.is_some();
    let mut adaptation = if keep_trace && adapts { vec![0.0f32; dims.len()] } else { Vec::new() };
    let mut spikes = SpikeBits::zeros(steps * batch, n);
    let out = ForwardOut {
        z: Disjoint::new(&mut z),
        membrane: Disjoint::new(&mut membrane),
        adaptation: Disjoint::new(&mut adaptation),
        bits: Disjoint::new(&mut spikes.bits),
        words: spikes.words(),
        keep_trace,
    };
    chunks(batch).into_par_iter().for_each(|(b0, b1)| {
        let chunk = Chunk { dims, b0, b1 };
        match (spec.reset, adapts) {
            (Reset::Subtract, false) => simd(|| forward_chunk::<SUBTRACT, false>(chunk, current, p, &out)),
            (Reset::MultReset1, false) => simd(|| forward_chunk::<MULTRESET1, false>(chunk, current, p, &out)),
            (Reset::MultReset2, false) => simd(|| forward_chunk::<MULTRESET2, false>(chunk, current, p, &out)),
            (Reset::Subtract, true) => simd(|| forward_chunk::<SUBTRACT, true>(chunk, current, p, &out)),
            (Reset::MultReset1, true) => simd(|| forward_chunk::<MULTRESET1, true>(chunk, current, p, &out)),
            (Reset::MultReset2, true) => simd(|| forward_chunk::<MULTRESET2, true>(chunk, current, p, &out)),
        }
    });
    let trace = keep_trace.then_some(Trace { membrane, spikes, adaptation });
    (z, trace)
}

const SUBTRACT: u8 = 0;
const MULTRESET1: u8 = 1;
const MULTRESET2: u8 = 2;

/// The rows `b0..b1` of a `[T, B, n]` sequence.
#[derive(Clone, Copy)]
struct Chunk {
    dims: Dims,
    b0: usize,
    b1: usize,
}

impl Chunk {
    fn rows(&self) -> usize {
        self.b1 - self.b0
    }

    /// Offset of the chunk's first element at step t.
    fn base(&self, t: usize) -> usize {
        (t * self.dims.batch + self.b0) * self.dims.n
    }
}

struct ForwardOut {
    z: Disjoint<f32>,
    membrane: Disjoint<f32>,
    adaptation: Disjoint<f32>,
    bits: Disjoint<u64>,
    words: usize,
    keep_trace: bool,
}

#[inline(always)]
fn forward_chunk<const RESET: u8, const ADAPT: bool>(chunk: Chunk, current: &[f32], p: &LifParams, out: &ForwardOut) {
    let Dims { steps, batch, n } = chunk.dims;
    let rows = chunk.rows();
    let words = out.words;
    let mut v = vec![0.0f32; rows * n];
    let mut a = vec![0.0f32; if ADAPT { rows * n } else { 0 }];
    let mut theta_t = vec![0.0f32; n];
    let (rho, beta) = match &p.adaptation {
        Some(adaptation) => (&adaptation.rho[..n], &adaptation.beta[..n]),
        None => (&[][..], &[][..]),
    };
    let mut acc = vec![0.0f32; rows * n];
    let zero_row = vec![0.0f32; rows * n];
    let mut u_row = vec![0.0f32; n];
    for t in 0..steps {
        let base = chunk.base(t);
        acc.copy_from_slice(&current[base..base + rows * n]);
        // SAFETY (every slice below): the rows b0..b1 of every step belong to this task.
        let z_prev: &[f32] = if t > 0 { unsafe { out.z.slice(base - batch * n, rows * n) } } else { &zero_row };
        if let Some(w) = p.w.as_deref().filter(|_| t > 0) {
            let prev_bits = unsafe { out.bits.slice(((t - 1) * batch + chunk.b0) * words, rows * words) };
            let active: u32 = prev_bits.iter().map(|w| w.count_ones()).sum();
            if active as f64 > DENSE_ABOVE * (rows * n) as f64 {
                matmul(&mut acc, z_prev, false, w, false, [rows, n, n], true, false);
            } else {
                for (r, acc_row) in acc.chunks_exact_mut(n).enumerate() {
                    for_each_active(&prev_bits[r * words..(r + 1) * words], |j| add(acc_row, &w[j * n..(j + 1) * n]));
                }
            }
        }
        let z_now = unsafe { out.z.slice(base, rows * n) };
        let mut m_now = if out.keep_trace { Some(unsafe { out.membrane.slice(base, rows * n) }) } else { None };
        let mut a_now = if out.keep_trace && ADAPT { Some(unsafe { out.adaptation.slice(base, rows * n) }) } else { None };
        for r in 0..rows {
            let span = r * n..(r + 1) * n;
            let (v, acc, zp, z) = (&mut v[span.clone()], &acc[span.clone()], &z_prev[span.clone()], &mut z_now[span.clone()]);
            let (bias, alpha) = (&p.bias[..n], &p.alpha[..n]);
            let theta: &[f32] = if ADAPT {
                let a = &mut a[span.clone()];
                for i in 0..n {
                    a[i] = rho[i] * a[i] + (1.0 - rho[i]) * zp[i];
                    theta_t[i] = p.threshold[i] + beta[i] * a[i];
                }
                if let Some(kept) = a_now.as_deref_mut() {
                    kept[span.clone()].copy_from_slice(a);
                }
                &theta_t[..n]
            } else {
                &p.threshold[..n]
            };
            let u_row = &mut u_row[..n];
            for i in 0..n {
                let c = acc[i] + bias[i];
                let vn = match RESET {
                    SUBTRACT => alpha[i] * v[i] + c - theta[i] * zp[i],
                    MULTRESET1 => {
                        let u = alpha[i] * v[i] + c;
                        u_row[i] = u;
                        u * (1.0 - zp[i])
                    }
                    _ => alpha[i] * v[i] * (1.0 - zp[i]) + c,
                };
                v[i] = vn;
                z[i] = if vn - theta[i] > 0.0 { 1.0 } else { 0.0 };
            }
            if let Some(m) = m_now.as_deref_mut() {
                m[span].copy_from_slice(if RESET == MULTRESET1 { &u_row } else { v });
            }
        }
        let bits_now = unsafe { out.bits.slice((t * batch + chunk.b0) * words, rows * words) };
        for (r, row) in z_now.chunks_exact(n).enumerate() {
            for (i, &zi) in row.iter().enumerate() {
                if zi != 0.0 {
                    bits_now[r * words + i / 64] |= 1 << (i % 64);
                }
            }
        }
    }
}

/// Spikes of `rows` rows from their bits into 0/1 values.
fn expand(spikes: &SpikeBits, first_row: usize, rows: usize, out: &mut [f32]) {
    let n = spikes.width();
    out.fill(0.0);
    for r in 0..rows {
        let row = &mut out[r * n..(r + 1) * n];
        for_each_active(spikes.row(first_row + r), |j| row[j] = 1.0);
    }
}

/// The backward pass through time: gradients of every input of [`forward`] from ∂L/∂z `[T, B, n]`.
pub fn backward(spec: &LifSpec, dims: Dims, trace: &Trace, grad_z: &[f32], p: &LifParams) -> LifGrads {
    let Dims { steps, batch, n } = dims;
    assert_eq!(grad_z.len(), dims.len(), "∂L/∂z must be [T, B, n] = {:?}", [steps, batch, n]);
    let mut current = vec![0.0f32; dims.len()];
    let d_out = Disjoint::new(&mut current);
    let adapts = p.adaptation.is_some();
    let parts: Vec<[Vec<f32>; 6]> = chunks(batch)
        .into_par_iter()
        .map(|(b0, b1)| {
            let chunk = Chunk { dims, b0, b1 };
            macro_rules! run {
                ($reset:expr, $keep:expr) => {
                    if adapts {
                        simd(|| backward_chunk::<{ $reset }, { $keep }, true>(chunk, spec, trace, grad_z, p, d_out))
                    } else {
                        simd(|| backward_chunk::<{ $reset }, { $keep }, false>(chunk, spec, trace, grad_z, p, d_out))
                    }
                };
            }
            match (spec.reset, spec.detach_reset) {
                (Reset::Subtract, false) => run!(SUBTRACT, true),
                (Reset::Subtract, true) => run!(SUBTRACT, false),
                (Reset::MultReset1, false) => run!(MULTRESET1, true),
                (Reset::MultReset1, true) => run!(MULTRESET1, false),
                (Reset::MultReset2, false) => run!(MULTRESET2, true),
                (Reset::MultReset2, true) => run!(MULTRESET2, false),
            }
        })
        .collect();
    let w_len = if p.w.is_some() { n * n } else { 0 };
    let mut total = [vec![0.0f32; w_len], vec![0.0f32; n], vec![0.0f32; n], vec![0.0f32; n], vec![0.0f32; n], vec![0.0f32; n]];
    for part in parts {
        for (sum, p) in total.iter_mut().zip(part) {
            add(sum, &p);
        }
    }
    let [w, bias, alpha, threshold, mut rho, mut beta] = total;
    if !adapts {
        rho.clear();
        beta.clear();
    }
    LifGrads { current, w, bias, alpha, threshold, rho, beta }
}

#[inline(always)]
fn backward_chunk<const RESET: u8, const KEEP_RESET: bool, const ADAPT: bool>(
    chunk: Chunk,
    spec: &LifSpec,
    trace: &Trace,
    grad_z: &[f32],
    p: &LifParams,
    d_out: Disjoint<f32>,
) -> [Vec<f32>; 6] {
    let Dims { steps, batch, n } = chunk.dims;
    let rows = chunk.rows();
    let len = rows * n;
    let w = p.w.as_deref();
    let (mut dw, mut db, mut dalpha, mut dtheta) = (vec![0.0f32; if w.is_some() { n * n } else { 0 }], vec![0.0f32; n], vec![0.0f32; n], vec![0.0f32; n]);
    let (mut drho, mut dbeta) = (vec![0.0f32; n], vec![0.0f32; n]);
    let (rho, beta) = match &p.adaptation {
        Some(adaptation) => (&adaptation.rho[..n], &adaptation.beta[..n]),
        None => (&[][..], &[][..]),
    };
    let mut carry_z = vec![0.0f32; len];
    let mut carry_v = vec![0.0f32; len];
    let mut carry_a = vec![0.0f32; if ADAPT { len } else { 0 }];
    let mut reset_term = vec![0.0f32; len];
    let mut to_z = vec![0.0f32; if ADAPT { len } else { 0 }];
    let zeros = vec![0.0f32; if ADAPT { n } else { 0 }];
    // h_t of one row (∂L/∂ϑ_t), which ALIF's adaptation carries back.
    let mut h_row = vec![0.0f32; n];
    // z_{t−1} and z_{t−2} of the chunk's rows as 0/1 values, rolled back one step per step.
    let mut z_prev = vec![0.0f32; len];
    let mut z_prev2 = vec![0.0f32; len];
    if steps >= 2 {
        expand(&trace.spikes, (steps - 2) * batch + chunk.b0, rows, &mut z_prev);
    }
    let mut x = vec![0.0f32; len];
    let mut v_prev = vec![0.0f32; len];
    // ϑ_t of the chunk's rows (ALIF), and ϑ repeated for LIF.
    let mut theta_t: Vec<f32> = (0..rows).flat_map(|_| p.threshold[..n].iter().copied()).collect();
    for t in (0..steps).rev() {
        let base = chunk.base(t);
        if t >= 2 {
            expand(&trace.spikes, (t - 2) * batch + chunk.b0, rows, &mut z_prev2);
        } else {
            z_prev2.fill(0.0);
        }
        let m_t = &trace.membrane[base..base + len];
        let a_t: &[f32] = if ADAPT { &trace.adaptation[base..base + len] } else { &[] };
        // ϑ_t, v_t − ϑ_t and v_{t−1}
        for r in 0..rows {
            let span = r * n..(r + 1) * n;
            if ADAPT {
                let (a, th) = (&a_t[span.clone()], &mut theta_t[span.clone()]);
                for i in 0..n {
                    th[i] = p.threshold[i] + beta[i] * a[i];
                }
            }
            let (m, zp, x, theta) = (&m_t[span.clone()], &z_prev[span.clone()], &mut x[span.clone()], &theta_t[span.clone()]);
            for i in 0..n {
                let v = if RESET == MULTRESET1 { m[i] * (1.0 - zp[i]) } else { m[i] };
                x[i] = v - theta[i];
            }
            let vp = &mut v_prev[span.clone()];
            if t > 0 {
                let m_prev = &trace.membrane[base - batch * n + r * n..][..n];
                let zpp = &z_prev2[span];
                for i in 0..n {
                    vp[i] = if RESET == MULTRESET1 { m_prev[i] * (1.0 - zpp[i]) } else { m_prev[i] };
                }
            } else {
                vp.fill(0.0);
            }
        }
        let s = surrogate_derivative(&spec.surrogate, std::mem::take(&mut x));
        // SAFETY: the rows b0..b1 of step t belong to this task.
        let d_t = unsafe { d_out.slice(base, len) };
        for r in 0..rows {
            let span = r * n..(r + 1) * n;
            let (g, cz, cv, rt) = (&grad_z[base + r * n..][..n], &carry_z[span.clone()], &mut carry_v[span.clone()], &mut reset_term[span.clone()]);
            let (s, zp, vp, m, d) = (&s[span.clone()], &z_prev[span.clone()], &v_prev[span.clone()], &m_t[span.clone()], &mut d_t[span.clone()]);
            let (alpha, theta) = (&p.alpha[..n], &theta_t[span.clone()]);
            let (db, dalpha, dtheta) = (&mut db[..n], &mut dalpha[..n], &mut dtheta[..n]);
            for i in 0..n {
                let rp = 1.0 - zp[i];
                let gs = (g[i] + cz[i]) * s[i];
                let e = gs + cv[i];
                let di = if RESET == MULTRESET1 { e * rp } else { e };
                d[i] = di;
                db[i] += di;
                let mut h = -gs;
                match RESET {
                    SUBTRACT => {
                        dalpha[i] += e * vp[i];
                        cv[i] = alpha[i] * e;
                        if KEEP_RESET {
                            h -= e * zp[i];
                            rt[i] = -theta[i] * e;
                        }
                    }
                    MULTRESET1 => {
                        dalpha[i] += di * vp[i];
                        cv[i] = alpha[i] * rp * e;
                        if KEEP_RESET {
                            rt[i] = -m[i] * e;
                        }
                    }
                    _ => {
                        dalpha[i] += e * rp * vp[i];
                        cv[i] = alpha[i] * rp * e;
                        if KEEP_RESET {
                            rt[i] = -alpha[i] * vp[i] * e;
                        }
                    }
                }
                dtheta[i] += h;
                h_row[i] = h;
            }
            if ADAPT {
                let a_prev = if t > 0 { &trace.adaptation[base - batch * n + r * n..][..n] } else { &zeros[..] };
                let (a, ca, tz) = (&a_t[span.clone()], &mut carry_a[span.clone()], &mut to_z[span]);
                for i in 0..n {
                    let q = beta[i] * h_row[i] + ca[i];
                    dbeta[i] += h_row[i] * a[i];
                    drho[i] += q * (a_prev[i] - zp[i]);
                    ca[i] = rho[i] * q;
                    tz[i] = (1.0 - rho[i]) * q;
                }
            }
        }
        x = s;
        if t == 0 {
            break;
        }
        if w.is_some() {
            for r in 0..rows {
                let d_row = &d_t[r * n..(r + 1) * n];
                for_each_active(trace.spikes.row((t - 1) * batch + chunk.b0 + r), |j| add(&mut dw[j * n..(j + 1) * n], d_row));
            }
        }
        if spec.truncation > 0 && t % spec.truncation == 0 {
            carry_z.fill(0.0);
            carry_v.fill(0.0);
            carry_a.fill(0.0);
        } else {
            if KEEP_RESET {
                carry_z.copy_from_slice(&reset_term);
            } else {
                carry_z.fill(0.0);
            }
            if ADAPT {
                add(&mut carry_z, &to_z);
            }
            if let Some(w) = w {
                matmul(&mut carry_z, d_t, false, w, true, [rows, n, n], true, false);
            }
        }
        std::mem::swap(&mut z_prev, &mut z_prev2);
    }
    [dw, db, dalpha, dtheta, drho, dbeta]
}
