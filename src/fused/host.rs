//! Host-side building blocks of the fused kernels: moving a backend tensor's values to the host
//! and back, a matrix product on host slices, the surrogate formulas on a row of `f32`, and the
//! batch chunks the kernels run in parallel.

use burn::backend::Backend;
use burn::backend::tensor::FloatTensor;
use burn::tensor::{DType, TensorData, read_sync};

use crate::surrogate::Surrogate;
use crate::surrogate::formula::{Field, derivative};

/// Batch rows one parallel task of the recurrence kernels owns for the whole sequence.
///
/// The rows of a batch are independent through time, so a task runs every step of its rows
/// without waiting for the others; the chunking, and so every floating-point sum, does not depend
/// on the number of threads.
pub(crate) const CHUNK_ROWS: usize = 32;

/// The values of a float primitive as `f32`, row-major, with its dimensions.
pub(crate) fn to_host<B: Backend>(tensor: FloatTensor<B>) -> (Vec<f32>, Vec<usize>) {
    let data = read_sync(B::float_into_data(tensor)).expect("reading a CPU tensor cannot fail");
    let dims = data.shape().to_vec();
    let values = match data.dtype() {
        DType::F32 => data.try_into_vec::<f32>().expect("f32 data"),
        _ => data.convert::<f32>().try_into_vec::<f32>().expect("converted to f32"),
    };
    (values, dims)
}

/// Runs `f` on the values of `tensor` as a row-major `f32` slice with its dimensions: borrowed
/// from the backend's buffer where the backend allows it (a contiguous `f32` flex or ndarray
/// tensor), copied otherwise.
pub(crate) fn with_host<B: Backend, R>(tensor: &FloatTensor<B>, f: impl FnOnce(&[f32], &[usize]) -> R) -> R {
    #[cfg(feature = "flex")]
    if let Some(flex) = (tensor as &dyn std::any::Any).downcast_ref::<burn_flex::FlexTensor>()
        && let Some(values) = flex.as_slice::<f32>()
    {
        let dims: Vec<usize> = flex.layout().shape().iter().copied().collect();
        return f(values, &dims);
    }
    #[cfg(feature = "ndarray")]
    #[allow(deprecated)]
    if let Some(burn_ndarray::NdArrayTensor::F32(storage)) = (tensor as &dyn std::any::Any).downcast_ref::<burn_ndarray::NdArrayTensor>() {
        let view = storage.view();
        if let Some(values) = view.as_slice() {
            return f(values, storage.shape());
        }
    }
    let (values, dims) = to_host::<B>(tensor.clone());
    f(&values, &dims)
}

/// A float primitive of `dims` holding `values`, on `device`.
pub(crate) fn from_host<B: Backend>(values: Vec<f32>, dims: &[usize], device: &B::Device) -> FloatTensor<B> {
    B::float_from_data(TensorData::new(values, dims.to_vec()), device)
}

/// `dst (+)= lhs · rhs` for row-major host matrices: `lhs` is `[m, k]` (or `[k, m]` read
/// transposed when `lhs_transposed`), `rhs` is `[k, n]` (or `[n, k]` read transposed), `dst` is
/// `[m, n]`; with `accumulate` the product is added to `dst`, otherwise it replaces it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn matmul(
    dst: &mut [f32],
    lhs: &[f32],
    lhs_transposed: bool,
    rhs: &[f32],
    rhs_transposed: bool,
    [m, k, n]: [usize; 3],
    accumulate: bool,
    parallel: bool,
) {
    assert!(dst.len() >= m * n && lhs.len() >= m * k && rhs.len() >= k * n, "matmul operand sizes");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst[..m * n].fill(0.0);
        }
        return;
    }
    // (column stride, row stride) of each operand in elements.
    let (lhs_cs, lhs_rs) = if lhs_transposed { (m as isize, 1) } else { (1, k as isize) };
    let (rhs_cs, rhs_rs) = if rhs_transposed { (k as isize, 1) } else { (1, n as isize) };
    let parallelism = if parallel { gemm::Parallelism::Rayon(0) } else { gemm::Parallelism::None };
    // SAFETY: the assertion above bounds every index the strides reach; dst does not alias the
    // operands (distinct borrows).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            lhs.as_ptr(),
            lhs_cs,
            lhs_rs,
            rhs.as_ptr(),
            rhs_cs,
            rhs_rs,
            1.0f32,
            1.0f32,
            false,
            false,
            false,
            parallelism,
        );
    }
}

/// Runs `f` compiled for AVX2 and FMA where the processor has them (the elementwise loops then
/// use 8 lanes; no operation is reassociated, so the results are the same as without).
#[inline(always)]
pub(crate) fn simd<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2,fma")]
        unsafe fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the features were detected at run time.
            return unsafe { with_avx2(f) };
        }
    }
    f()
}

/// A row of values on which the surrogate formulas are evaluated in place, one pass per
/// operation (the rows are short enough to stay in cache).
pub(crate) struct Lanes(pub Vec<f32>);

impl Lanes {
    fn map(mut self, f: impl Fn(f32) -> f32) -> Self {
        for x in &mut self.0 {
            *x = f(*x);
        }
        self
    }

    fn zip(mut self, other: Self, f: impl Fn(f32, f32) -> f32) -> Self {
        for (x, y) in self.0.iter_mut().zip(other.0) {
            *x = f(*x, y);
        }
        self
    }
}

impl Field for Lanes {
    fn abs(self) -> Self {
        self.map(f32::abs)
    }
    fn exp(self) -> Self {
        self.map(f32::exp)
    }
    fn tanh(self) -> Self {
        self.map(f32::tanh)
    }
    fn erf(self) -> Self {
        self.map(libm::erff)
    }
    fn atan(self) -> Self {
        self.map(f32::atan)
    }
    fn sign(self) -> Self {
        self.map(|x| if x > 0.0 { 1.0 } else if x < 0.0 { -1.0 } else { 0.0 })
    }
    fn square(self) -> Self {
        self.map(|x| x * x)
    }
    fn recip(self) -> Self {
        self.map(f32::recip)
    }
    fn powf(self, p: f64) -> Self {
        if p == -2.0 {
            self.map(|x| (x * x).recip())
        } else {
            let p = p as f32;
            self.map(|x| x.powf(p))
        }
    }
    fn scale(self, c: f64) -> Self {
        let c = c as f32;
        self.map(|x| x * c)
    }
    fn shift(self, c: f64) -> Self {
        let c = c as f32;
        self.map(|x| x + c)
    }
    fn mul(self, other: Self) -> Self {
        self.zip(other, |x, y| x * y)
    }
    fn add(self, other: Self) -> Self {
        self.zip(other, |x, y| x + y)
    }
    fn clamp(self, lo: f64, hi: f64) -> Self {
        let (lo, hi) = (lo as f32, hi as f32);
        self.map(|x| x.clamp(lo, hi))
    }
    fn relu(self) -> Self {
        self.map(|x| x.max(0.0))
    }
    fn inside(self, c: f64) -> Self {
        let c = c as f32;
        self.map(|x| if x.abs() < c { 1.0 } else { 0.0 })
    }
    fn dup(&self) -> Self {
        Lanes(self.0.clone())
    }
}

/// σ′(x) of `surrogate` for every value of `x`, in place.
pub(crate) fn surrogate_derivative(surrogate: &Surrogate, x: Vec<f32>) -> Vec<f32> {
    derivative(surrogate.shape(), surrogate.dampening(), surrogate.sharpness(), Lanes(x)).0
}

/// A mutable buffer shared by parallel tasks that each write a disjoint set of its elements.
pub(crate) struct Disjoint<T> {
    ptr: *mut T,
    len: usize,
}

impl<T> Clone for Disjoint<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Disjoint<T> {}

// SAFETY: tasks holding a copy touch only elements no other task reads or writes (each owns
// the rows of its batch chunk), which the callers guarantee.
unsafe impl<T: Send> Send for Disjoint<T> {}
unsafe impl<T: Send> Sync for Disjoint<T> {}

impl<T> Disjoint<T> {
    pub(crate) fn new(buffer: &mut [T]) -> Self {
        Disjoint { ptr: buffer.as_mut_ptr(), len: buffer.len() }
    }

    /// The elements `start..start + len`.
    ///
    /// # Safety
    /// No slice obtained from this buffer by another task may overlap the range while this one
    /// lives.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn slice(&self, start: usize, len: usize) -> &mut [T] {
        assert!(start + len <= self.len, "disjoint slice out of bounds");
        // SAFETY: in bounds (asserted); exclusivity is the caller's contract.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(start), len) }
    }
}

/// The batch chunks `[b0, b1)` of a batch of `batch` rows.
pub(crate) fn chunks(batch: usize) -> Vec<(usize, usize)> {
    (0..batch).step_by(CHUNK_ROWS).map(|b0| (b0, (b0 + CHUNK_ROWS).min(batch))).collect()
}
