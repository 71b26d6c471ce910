//! The fused kernels as burn operations: a backend extension whose forward runs the host
//! kernels on any backend's values, and whose `Autodiff` implementation registers one node per
//! call with the backward written out (`sparse.rs`, `recurrence.rs`).

#![allow(deprecated)] // `NdArray` is deprecated upstream in favour of flex; it is a supported feature here.

use std::sync::Arc;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, NodeGuard, Ops, OpsKind};
use burn::backend::TensorMetadata;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Dispatch, backend_extension};

use super::host::{from_host, to_host, with_host};
use super::recurrence::{self, Adaptation, Dims, LifParams, Trace};
use crate::dynamics::LifSpec;
use super::sparse::{DENSE_ABOVE, SparseRows};

/// Spike-matrix products and the LIF and ALIF recurrences with hand-written backward passes.
///
/// The host backends (flex, ndarray) run the kernels of `sparse.rs` and `recurrence.rs` and keep
/// what the backward pass needs on the host; the CubeCL backend runs those of `cube.rs` for LIF
/// and keeps it on the device as tensors (`lif_recurrence_traced`, `lif_recurrence_backward`).
/// ALIF runs the host kernels on every backend (a device backend's values are copied to the
/// host and back); [`crate::network::Network`] sends ALIF layers to them only on the host
/// backends.
#[backend_extension(
    Flex: cfg(feature = "flex"),
    NdArray: cfg(feature = "ndarray"),
    Cube: cfg(feature = "wgpu"),
    Fusion: cfg(feature = "wgpu"),
    Autodiff
)]
pub trait FusedBackend: Backend {
    /// Whether the kernels run on the host and keep their trace there.
    const HOST_KERNELS: bool = false;

    /// Y = X·W for a spike matrix X `[M, K]`, event-driven when X is sparse.
    #[fusion(dtype = x, shape = burn::backend::Shape::from(vec![x[0], w[1]]))]
    fn spike_project(x: FloatTensor<Self>, w: FloatTensor<Self>) -> FloatTensor<Self> {
        project_forward::<Self>(x, w).0
    }

    /// The spikes `[T, B, n]` of a LIF layer driven by `current` `[T, B, n]`.
    #[fusion(dtype = current, shape = current)]
    fn lif_recurrence(
        current: FloatTensor<Self>,
        w_rec: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        alpha: FloatTensor<Self>,
        threshold: FloatTensor<Self>,
        spec: LifSpec,
    ) -> FloatTensor<Self> {
        recurrence_forward::<Self>(current, [w_rec, bias, alpha, threshold], None, &spec, false).0
    }

    /// The spikes `[T, B, n]` of an ALIF layer driven by `current` `[T, B, n]`: the LIF
    /// recurrence with the threshold ϑ + β a_t, a_t = ρ a_{t−1} + (1 − ρ) z_{t−1}.
    #[allow(clippy::too_many_arguments)]
    #[fusion(dtype = current, shape = current)]
    fn alif_recurrence(
        current: FloatTensor<Self>,
        w_rec: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        alpha: FloatTensor<Self>,
        threshold: FloatTensor<Self>,
        rho: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        spec: LifSpec,
    ) -> FloatTensor<Self> {
        recurrence_forward::<Self>(current, [w_rec, bias, alpha, threshold], Some([rho, beta]), &spec, false).0
    }

    /// The spikes and the membrane trace `[T, B, n]` the device backward pass reads.
    #[fusion(meta = |current, _w, _b, _a, _t, _spec| (current.clone(), current.clone()))]
    fn lif_recurrence_traced(
        current: FloatTensor<Self>,
        w_rec: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        alpha: FloatTensor<Self>,
        threshold: FloatTensor<Self>,
        spec: LifSpec,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        let _ = (current, w_rec, bias, alpha, threshold, spec);
        unreachable!("the host backends keep the recurrence's trace on the host (HOST_KERNELS)")
    }

    /// ∂L/∂(current, W, b, α, ϑ) from ∂L/∂z and the trace of `lif_recurrence_traced`.
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    #[fusion(meta = |grad, _z, _m, w, b, a, t, _spec| (grad.clone(), w.clone(), b.clone(), a.clone(), t.clone()))]
    fn lif_recurrence_backward(
        grad: FloatTensor<Self>,
        spikes: FloatTensor<Self>,
        membrane: FloatTensor<Self>,
        w_rec: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        alpha: FloatTensor<Self>,
        threshold: FloatTensor<Self>,
        spec: LifSpec,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        let _ = (grad, spikes, membrane, w_rec, bias, alpha, threshold, spec);
        unreachable!("the host backends keep the recurrence's trace on the host (HOST_KERNELS)")
    }
}

#[cfg(feature = "flex")]
impl FusedBackend for burn::backend::Flex {
    const HOST_KERNELS: bool = true;
}

#[cfg(feature = "ndarray")]
impl FusedBackend for burn::backend::NdArray {
    const HOST_KERNELS: bool = true;
}

#[cfg(feature = "wgpu")]
impl FusedBackend for burn_cubecl::CubeBackend {
    fn spike_project(x: FloatTensor<Self>, w: FloatTensor<Self>) -> FloatTensor<Self> {
        use burn::backend::ops::FloatTensorOps;
        Self::float_matmul(x, w)
    }

    fn lif_recurrence(
        current: FloatTensor<Self>,
        w_rec: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        alpha: FloatTensor<Self>,
        threshold: FloatTensor<Self>,
        spec: LifSpec,
    ) -> FloatTensor<Self> {
        super::cube::forward(current, &super::cube::CubeParams::new([w_rec, bias, alpha, threshold]), &spec, false).0
    }

    fn lif_recurrence_traced(
        current: FloatTensor<Self>,
        w_rec: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        alpha: FloatTensor<Self>,
        threshold: FloatTensor<Self>,
        spec: LifSpec,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        let (spikes, membrane) = super::cube::forward(current, &super::cube::CubeParams::new([w_rec, bias, alpha, threshold]), &spec, true);
        (spikes, membrane.expect("the trace was asked for"))
    }

    fn lif_recurrence_backward(
        grad: FloatTensor<Self>,
        spikes: FloatTensor<Self>,
        membrane: FloatTensor<Self>,
        w_rec: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        alpha: FloatTensor<Self>,
        threshold: FloatTensor<Self>,
        spec: LifSpec,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        let params = super::cube::CubeParams::new([w_rec, bias, alpha, threshold]);
        let [current, w, bias, alpha, threshold] = super::cube::backward(grad, spikes, membrane, &params, &spec);
        (current, w, bias, alpha, threshold)
    }
}

/// Y = X·W; also returns X's nonzero entries when the product was event-driven.
fn project_forward<B: Backend>(x: FloatTensor<B>, w: FloatTensor<B>) -> (FloatTensor<B>, Option<Arc<SparseRows>>) {
    let device = x.device();
    let sparse = with_host::<B, _>(&x, |values, dims| SparseRows::from_dense(values, dims[0], dims[1]));
    let m = sparse.rows();
    if sparse.density() > DENSE_ABOVE {
        return (B::float_matmul(x, w), None);
    }
    let (w_values, w_dims) = to_host::<B>(w);
    let n = w_dims[1];
    let y = sparse.matmul(&w_values, n);
    (from_host::<B>(y, &[m, n], &device), Some(Arc::new(sparse)))
}

/// The layer's spikes, and the trace and host parameters when `keep_trace`; `adaptation` (ρ, β)
/// makes it ALIF.
fn recurrence_forward<B: Backend>(
    current: FloatTensor<B>,
    params: [FloatTensor<B>; 4],
    adaptation: Option<[FloatTensor<B>; 2]>,
    spec: &LifSpec,
    keep_trace: bool,
) -> (FloatTensor<B>, Option<(Arc<Trace>, Arc<LifParams>, Dims)>) {
    let device = current.device();
    let [w, bias, alpha, threshold] = params.map(|p| to_host::<B>(p).0);
    let w = spec.recurrent.then_some(w);
    let adaptation = adaptation.map(|a| {
        let [rho, beta] = a.map(|p| to_host::<B>(p).0);
        Adaptation { rho, beta }
    });
    let params = LifParams { w, bias, alpha, threshold, adaptation };
    let (z, trace, dims) = with_host::<B, _>(&current, |current, dims| {
        let dims = Dims { steps: dims[0], batch: dims[1], n: dims[2] };
        let (z, trace) = recurrence::forward(spec, dims, current, &params, keep_trace);
        (z, trace, dims)
    });
    let z = from_host::<B>(z, &[dims.steps, dims.batch, dims.n], &device);
    (z, trace.map(|t| (Arc::new(t), Arc::new(params), dims)))
}

impl<B: Backend + FusedBackend, C: CheckpointStrategy> FusedBackend for Autodiff<B, C> {
    const HOST_KERNELS: bool = B::HOST_KERNELS;

    fn spike_project(x: FloatTensor<Self>, w: FloatTensor<Self>) -> FloatTensor<Self> {
        /// ∂W = Xᵀ·G (event-driven when X was stored sparse), ∂X = G·Wᵀ.
        #[derive(Debug)]
        struct ProjectBackward;

        /// X's nonzero entries (or X itself when dense) and W.
        type ProjectState<B> = (Option<Arc<SparseRows>>, Option<FloatTensor<B>>, FloatTensor<B>);

        impl<B: Backend> Backward<B, 2> for ProjectBackward {
            type State = ProjectState<B>;

            fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
                let (sparse, x_dense, w) = ops.state;
                let grad = grads.consume::<B>(&ops.node);
                let [x_node, w_node] = ops.parents;
                if let Some(node) = x_node {
                    let grad_x = B::float_matmul(grad.clone(), B::float_transpose(w));
                    grads.register::<B>(node.id, grad_x);
                }
                if let Some(node) = w_node {
                    let grad_w = match (sparse, x_dense) {
                        (Some(sparse), _) => {
                            let device = grad.device();
                            let n = grad.shape()[1];
                            let grad_w = with_host::<B, _>(&grad, |g, _| sparse.transpose_matmul(g, n));
                            from_host::<B>(grad_w, &[sparse.cols(), n], &device)
                        }
                        (None, Some(x)) => B::float_matmul(B::float_transpose(x), grad),
                        (None, None) => unreachable!("a dense product keeps X"),
                    };
                    grads.register::<B>(node.id, grad_w);
                }
            }
        }

        match ProjectBackward.prepare::<C>([x.node(), w.node()]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let w_inner = w.primitive().clone();
                let x_inner = x.primitive().clone();
                if !B::HOST_KERNELS {
                    let y = B::spike_project(x_inner.clone(), w_inner.clone());
                    return prep.finish((None, Some(x_inner), w_inner), y);
                }
                let (y, sparse) = project_forward::<B>(x_inner.clone(), w_inner.clone());
                let x_kept = sparse.is_none().then_some(x_inner);
                prep.finish((sparse, x_kept, w_inner), y)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::spike_project(x.into_primitive(), w.into_primitive())),
        }
    }

    fn lif_recurrence(
        current: FloatTensor<Self>,
        w_rec: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        alpha: FloatTensor<Self>,
        threshold: FloatTensor<Self>,
        spec: LifSpec,
    ) -> FloatTensor<Self> {
        /// Backpropagation through time on the device (`cube.rs`), from the spikes and membrane
        /// trace kept as tensors.
        #[derive(Debug)]
        struct DeviceRecurrenceBackward;

        /// The settings, the spikes and membrane `[T, B, n]`, and W, b, α, ϑ.
        type DeviceState<B> = (LifSpec, FloatTensor<B>, FloatTensor<B>, [FloatTensor<B>; 4]);

        impl<B: Backend + FusedBackend> Backward<B, 5> for DeviceRecurrenceBackward {
            type State = DeviceState<B>;

            fn backward(self, ops: Ops<Self::State, 5>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
                let (spec, spikes, membrane, [w, bias, alpha, threshold]) = ops.state;
                let grad = grads.consume::<B>(&ops.node);
                let (current, w, bias, alpha, threshold) = B::lif_recurrence_backward(grad, spikes, membrane, w, bias, alpha, threshold, spec);
                for (parent, value) in ops.parents.into_iter().zip([current, w, bias, alpha, threshold]) {
                    if let Some(node) = parent {
                        grads.register::<B>(node.id, value);
                    }
                }
            }
        }

        let nodes = [current.node(), w_rec.node(), bias.node(), alpha.node(), threshold.node()];
        if !B::HOST_KERNELS {
            return match DeviceRecurrenceBackward.prepare::<C>(nodes).compute_bound().stateful() {
                OpsKind::Tracked(prep) => {
                    let params = [w_rec, bias, alpha, threshold].map(|p| p.primitive().clone());
                    let [w, b, a, t] = params.clone();
                    let (z, membrane) = B::lif_recurrence_traced(current.primitive().clone(), w, b, a, t, spec);
                    prep.finish((spec, z.clone(), membrane, params), z)
                }
                OpsKind::UnTracked(prep) => {
                    let [w, b, a, t] = [w_rec, bias, alpha, threshold].map(|p| p.into_primitive());
                    prep.finish(B::lif_recurrence(current.into_primitive(), w, b, a, t, spec))
                }
            };
        }
        host_recurrence::<B, C, 5>(nodes, current, [w_rec, bias, alpha, threshold], None, spec)
    }

    fn alif_recurrence(
        current: FloatTensor<Self>,
        w_rec: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        alpha: FloatTensor<Self>,
        threshold: FloatTensor<Self>,
        rho: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        spec: LifSpec,
    ) -> FloatTensor<Self> {
        let nodes = [current.node(), w_rec.node(), bias.node(), alpha.node(), threshold.node(), rho.node(), beta.node()];
        host_recurrence::<B, C, 7>(nodes, current, [w_rec, bias, alpha, threshold], Some([rho, beta]), spec)
    }
}

/// The host recurrence as one autodiff node over its N inputs (`nodes`: current, W, b, α, ϑ, and
/// ρ, β with `adaptation`): the forward keeps its trace for [`RecurrenceBackward`] where the
/// graph is tracked, and is the backend's own op (LIF or ALIF) where it is not.
fn host_recurrence<B: Backend + FusedBackend, C: CheckpointStrategy, const N: usize>(
    nodes: [NodeGuard; N],
    current: FloatTensor<Autodiff<B, C>>,
    params: [FloatTensor<Autodiff<B, C>>; 4],
    adaptation: Option<[FloatTensor<Autodiff<B, C>>; 2]>,
    spec: LifSpec,
) -> FloatTensor<Autodiff<B, C>> {
    match RecurrenceBackward.prepare::<C>(nodes).compute_bound().stateful() {
        OpsKind::Tracked(prep) => {
            let params = params.map(|p| p.primitive().clone());
            let adaptation = adaptation.map(|a| a.map(|p| p.primitive().clone()));
            let (z, kept) = recurrence_forward::<B>(current.primitive().clone(), params, adaptation, &spec, true);
            let (trace, params, dims) = kept.expect("the trace was asked for");
            prep.finish((spec, trace, params, dims), z)
        }
        OpsKind::UnTracked(prep) => {
            let [w, b, a, t] = params.map(|p| p.into_primitive());
            let z = match adaptation.map(|a| a.map(|p| p.into_primitive())) {
                None => B::lif_recurrence(current.into_primitive(), w, b, a, t, spec),
                Some([rho, beta]) => B::alif_recurrence(current.into_primitive(), w, b, a, t, rho, beta, spec),
            };
            prep.finish(z)
        }
    }
}

/// Backpropagation through time on the host, written out (`recurrence::backward`), for the
/// N = 5 inputs of the LIF recurrence (current, W, b, α, ϑ) or the N = 7 of ALIF's (… ρ, β).
#[derive(Debug)]
struct RecurrenceBackward;

impl<B: Backend, const N: usize> Backward<B, N> for RecurrenceBackward {
    type State = (LifSpec, Arc<Trace>, Arc<LifParams>, Dims);

    fn backward(self, ops: Ops<Self::State, N>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let (spec, trace, params, dims) = ops.state;
        let grad = grads.consume::<B>(&ops.node);
        let device = grad.device();
        let g = with_host::<B, _>(&grad, |grad_z, _| recurrence::backward(&spec, dims, &trace, grad_z, &params));
        let n = dims.n;
        let outputs = [
            (g.current, vec![dims.steps, dims.batch, n]),
            (g.w, vec![n, n]),
            (g.bias, vec![n]),
            (g.alpha, vec![n]),
            (g.threshold, vec![n]),
            (g.rho, vec![n]),
            (g.beta, vec![n]),
        ];
        for (parent, (values, shape)) in ops.parents.into_iter().zip(outputs) {
            if let Some(node) = parent {
                assert_eq!(values.len(), shape.iter().product::<usize>(), "a gradient for every tracked input (a feed-forward layer's W is untracked)");
                grads.register::<B>(node.id, from_host::<B>(values, &shape, &device));
            }
        }
    }
}

/// Runs [`FusedBackend::spike_project`] on dispatch tensors.
pub(super) fn spike_project(x: FloatTensor<Dispatch>, w: FloatTensor<Dispatch>) -> FloatTensor<Dispatch> {
    <Dispatch as FusedBackend>::spike_project(x, w)
}

/// Runs [`FusedBackend::lif_recurrence`] on dispatch tensors.
pub(super) fn lif_recurrence(current: FloatTensor<Dispatch>, params: [FloatTensor<Dispatch>; 4], spec: LifSpec) -> FloatTensor<Dispatch> {
    let [w_rec, bias, alpha, threshold] = params;
    <Dispatch as FusedBackend>::lif_recurrence(current, w_rec, bias, alpha, threshold, spec)
}

/// Runs [`FusedBackend::alif_recurrence`] on dispatch tensors.
pub(super) fn alif_recurrence(current: FloatTensor<Dispatch>, params: [FloatTensor<Dispatch>; 6], spec: LifSpec) -> FloatTensor<Dispatch> {
    let [w_rec, bias, alpha, threshold, rho, beta] = params;
    <Dispatch as FusedBackend>::alif_recurrence(current, w_rec, bias, alpha, threshold, rho, beta, spec)
}
