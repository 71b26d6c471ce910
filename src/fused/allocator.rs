//! Keeping freed buffers in the process for reuse.
//!
//! The fused kernels hand several `[T, B, n]` buffers (megabytes each) to the backend every
//! training step and free as many. glibc's allocator serves blocks above its mmap threshold
//! (dynamic, at most 32 MiB) with fresh `mmap`s and returns them to the system on `free`, so
//! every such buffer costs one page fault per 4 KiB on first touch: on the `slmnist` reference
//! configuration that was ≈ 30,000 faults and ≈ 40 % of a fused training step (BENCHMARKS.md).
//! [`retain_freed_memory`] raises the mmap threshold to its maximum, serves larger blocks from
//! the heap too (no `mmap` at all: the threshold cannot exceed 32 MiB, and study 07's
//! `[100, 300, 300]` weight gradients are 36 MB, whose page faults were half of a step) and stops
//! the heap from being trimmed, once per process, so that freed buffers are reused. The process
//! then keeps its peak heap instead of returning it; the peak resident memory is unchanged.

/// The largest mmap threshold glibc accepts on 64-bit targets (`DEFAULT_MMAP_THRESHOLD_MAX`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 32 << 20;

/// Sets glibc's allocator to keep freed blocks of every size for reuse, for the whole process:
/// an opt-in for programs that train (the `sglab` binary and the bench call it first thing); the
/// first call does it, later calls do nothing. A no-op on other platforms.
pub fn retain_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // SAFETY: mallopt only changes allocator parameters; it returns 0 on a rejected value,
            // which leaves the defaults in place.
            unsafe {
                libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
                libc::mallopt(libc::M_MMAP_MAX, 0);
                libc::mallopt(libc::M_TRIM_THRESHOLD, libc::c_int::MAX);
            }
        });
    }
}
