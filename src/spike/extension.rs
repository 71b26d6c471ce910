//! The spike op as a burn backend extension with a hand-written backward.
//!
//! The forward (H or S) is composed of backend primitives in the trait's default body, so every
//! execution backend (flex, ndarray, CubeCL under fusion) uses it unchanged. The `Autodiff`
//! implementation registers one node whose state is the input x and the surrogate; its backward is
//! `grad_x = grad_z · σ′(x)`.

#![allow(deprecated)] // `NdArray` is deprecated upstream in favour of flex; it is a supported feature here.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind, unary};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Dispatch, backend_extension};

use super::heaviside_primitive;
use crate::surrogate::Surrogate;

/// Heaviside (or smooth) forward with the surrogate's derivative as the backward.
#[backend_extension(
    Flex: cfg(feature = "flex"),
    NdArray: cfg(feature = "ndarray"),
    Cube: cfg(feature = "wgpu"),
    Fusion: cfg(feature = "wgpu"),
    Autodiff
)]
pub trait SurrogateSpikeBackend: Backend {
    /// z = H(x), or z = S(x) when `smooth`; the Autodiff implementation attaches σ′(x).
    #[fusion(default)]
    fn surrogate_spike(
        x: FloatTensor<Self>,
        surrogate: Surrogate,
        smooth: bool,
    ) -> FloatTensor<Self> {
        if smooth {
            surrogate.antiderivative_primitive::<Self>(x)
        } else {
            heaviside_primitive::<Self>(x)
        }
    }
}

#[cfg(feature = "flex")]
impl SurrogateSpikeBackend for burn::backend::Flex {}

#[cfg(feature = "ndarray")]
impl SurrogateSpikeBackend for burn::backend::NdArray {}

#[cfg(feature = "wgpu")]
impl SurrogateSpikeBackend for burn_cubecl::CubeBackend {}

impl<B: Backend + SurrogateSpikeBackend, C: CheckpointStrategy> SurrogateSpikeBackend
    for Autodiff<B, C>
{
    fn surrogate_spike(
        x: FloatTensor<Self>,
        surrogate: Surrogate,
        smooth: bool,
    ) -> FloatTensor<Self> {
        /// grad_x = grad_z · σ′(x).
        #[derive(Debug)]
        struct SpikeBackward;

        impl<B: Backend> Backward<B, 1> for SpikeBackward {
            type State = (FloatTensor<B>, Surrogate);

            fn backward(
                self,
                ops: Ops<Self::State, 1>,
                grads: &mut Gradients,
                _checkpointer: &mut Checkpointer,
            ) {
                let (x, surrogate) = ops.state;
                unary::<B, _>(ops.parents, ops.node, grads, |grad| {
                    B::float_mul(grad, surrogate.derivative_primitive::<B>(x))
                });
            }
        }

        match SpikeBackward
            .prepare::<C>([x.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let inner = x.primitive().clone();
                let z = B::surrogate_spike(inner.clone(), surrogate, smooth);
                prep.finish((inner, surrogate), z)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(B::surrogate_spike(x.into_primitive(), surrogate, smooth))
            }
        }
    }
}

/// Runs the extension on a dispatch tensor.
pub(super) fn surrogate_spike(
    x: FloatTensor<Dispatch>,
    surrogate: Surrogate,
    smooth: bool,
) -> FloatTensor<Dispatch> {
    <Dispatch as SurrogateSpikeBackend>::surrogate_spike(x, surrogate, smooth)
}
