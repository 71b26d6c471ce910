//! Fused training kernels: a LIF layer over a whole sequence as two operations instead of
//! several per time step.
//!
//! ```text
//! reference:  for t in 0..T:  I_t = x_t·W_in;  v_t, z_t = step(I_t, v_{t−1}, z_{t−1})   (≈ 10 recorded ops per step)
//! fused:      I = X·W_in                  one product for all T·B rows, event-driven in X's spikes
//!             Z = lif_recurrence(I, W, b, α, ϑ [, ρ, β])   one kernel over T, hand-written BPTT
//! ```
//!
//! The projection takes the input `[T, B, n_in]` as one `[T·B, n_in]` matrix, so its backward is
//! one product too (no per-step slices, whose backward is quadratic in T). When the input is
//! sparser than 20 % (spikes: the latency-coded input is ≈ 1.5 % dense)
//! both X·W and Xᵀ·G are sums over X's nonzero entries. The recurrence (`recurrence.rs`) runs
//! every step of a chunk of batch rows in one task, with the recurrent product event-driven in
//! the previous step's spikes, and keeps only the voltages (`f32`) and spikes (one bit each)
//! for its backward pass. No value is read back to the caller inside the time loop.
//!
//! The kernels of `sparse.rs` and `recurrence.rs` run on the host and serve the CPU backends
//! (flex, ndarray; [`runs_on_host`]). On the CubeCL backend (wgpu) the recurrence runs as
//! CubeCL kernels on the device (`cube.rs`: one kernel and one recurrent matrix product per
//! step in each direction) and the projection is the backend's matrix product;
//! [`runs_fused`] tells whether a device has either. They apply to LIF layers whose spike is the
//! Heaviside with a built-in surrogate, in `f32`, and to ALIF layers of that kind on the host
//! backends (the adaptive threshold a_t is a third state in the same host kernel; there is no
//! CubeCL kernel for it, so on wgpu an ALIF network runs the reference path). A [`crate::network::Network`] uses them where
//! they apply unless set to [`Execution::Reference`], the per-step path every other neuron
//! model uses and against which the fused gradients are tested (tests/fused.rs).
//!
//! The kernels allocate and free several multi-megabyte buffers per step. A program that trains
//! (the `sglab` binary, the bench) should call [`retain_freed_memory`] once at start: it sets
//! glibc's allocator to keep freed buffers for reuse, which removed ≈ 40 % of a step's time on
//! the reference configuration. The library never changes the allocator by itself.

mod allocator;
#[cfg(feature = "wgpu")]
mod cube;
mod extension;
mod host;
mod recurrence;
mod sparse;

pub use allocator::retain_freed_memory;

pub use crate::dynamics::LifSpec;

use burn::Tensor;
use burn::tensor::Device;

/// How a network runs its recurrent layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Execution {
    /// The fused kernels where they apply (LIF layers with a built-in surrogate and a
    /// Heaviside forward, `f32`, on a CPU backend or wgpu, ALIF layers of that kind on a CPU
    /// backend, voltages not requested), the reference path elsewhere.
    #[default]
    Fused,
    /// One step at a time with burn's autodiff recording every tensor operation.
    Reference,
}

/// Whether the fused kernels run on `device` without leaving it: flex and ndarray, with or
/// without autodiff.
pub fn runs_on_host(device: &Device) -> bool {
    use burn::backend::DispatchDevice as D;
    match concrete(device) {
        #[cfg(feature = "flex")]
        D::Flex(_) => true,
        #[cfg(feature = "ndarray")]
        D::NdArray(_) => true,
        #[allow(unreachable_patterns)]
        _ => false,
    }
}

/// Whether the fused kernels run on `device`: on the host (flex, ndarray) or as CubeCL kernels
/// on the device (wgpu), with or without autodiff.
pub fn runs_fused(device: &Device) -> bool {
    #[cfg(feature = "wgpu")]
    if matches!(concrete(device), burn::backend::DispatchDevice::Cube(_)) {
        return true;
    }
    runs_on_host(device)
}

/// The backend device under any autodiff wrapping.
fn concrete(device: &Device) -> burn::backend::DispatchDevice {
    let mut device = device.as_dispatch().clone();
    while let burn::backend::DispatchDevice::Autodiff(inner) = device {
        device = inner.inner();
    }
    device
}

/// Y = X·W for X `[M, K]` and W `[K, N]`, event-driven in X's nonzero entries when X is
/// sparser than `sparse::DENSE_ABOVE`; differentiable in both.
pub(crate) fn project(x: Tensor<2>, w: Tensor<2>) -> Tensor<2> {
    Tensor::from_dispatch(extension::spike_project(x.into_dispatch(), w.into_dispatch()))
}

/// The spikes `[T, B, n]` of a LIF layer driven by the input current `[T, B, n]` (without
/// bias), with recurrent weights W `[n, n]` (masked as the layer uses them; `None` for a
/// feed-forward layer, whose `spec.recurrent` is false), bias b, decay α and threshold ϑ `[n]`;
/// differentiable in all of them (`recurrence.rs` has the equations). An ALIF layer passes its
/// adaptation's decay ρ and strength β `[n]` as `adaptation` (differentiable too); it runs on
/// the host kernels whatever the backend.
pub(crate) fn lif_recurrence(
    current: Tensor<3>,
    w_rec: Option<Tensor<2>>,
    bias: Tensor<1>,
    alpha: Tensor<1>,
    threshold: Tensor<1>,
    adaptation: Option<[Tensor<1>; 2]>,
    spec: LifSpec,
) -> Tensor<3> {
    assert_eq!(w_rec.is_some(), spec.recurrent, "W_rec is given exactly when the spec says the layer is recurrent");
    // The ops take W as an argument: a feed-forward layer passes an untracked 1 × 1 zero, which
    // no kernel reads (`spec.recurrent` is false) and which receives no gradient.
    let w_rec = w_rec.unwrap_or_else(|| Tensor::zeros([1, 1], &bias.device()));
    let (w, b, a, t) = (w_rec.into_dispatch(), bias.into_dispatch(), alpha.into_dispatch(), threshold.into_dispatch());
    let z = match adaptation {
        None => extension::lif_recurrence(current.into_dispatch(), [w, b, a, t], spec),
        Some([rho, beta]) => extension::alif_recurrence(current.into_dispatch(), [w, b, a, t, rho.into_dispatch(), beta.into_dispatch()], spec),
    };
    Tensor::from_dispatch(z)
}
