//! Event-driven products with spike matrices.
//!
//! A spike matrix X `[M, K]` (M = T·B rows, one per sample and step) is mostly zeros: the
//! latency-coded input has ≈ 1.5 % of its entries set, hidden layers 5–20 %. With the rows
//! stored as their nonzero entries (compressed sparse rows),
//!
//! ```text
//! forward   Y = X·W        Y[r, :] = Σ_{c ∈ nz(r)} X[r, c] · W[c, :]      nnz·N multiply-adds
//! backward  ∂W = Xᵀ·G      ∂W[c, :] += X[r, c] · G[r, :]  for c ∈ nz(r)   nnz·N multiply-adds
//! ```
//!
//! instead of M·K·N for the dense products. The gradient with respect to X itself, G·Wᵀ, is
//! dense and is left to the backend's matrix product. [`SpikeBits`] is the compact form of a
//! binary spike train the recurrence keeps for its backward pass: one bit per neuron.

use rayon::prelude::*;

use super::host::simd;

/// Rows per parallel block of the sparse products.
const BLOCK_ROWS: usize = 256;

/// Above this fraction of nonzero entries a spike matrix is multiplied densely: measured on the
/// reference configurations (BENCHMARKS.md), the event-driven product costs about as much as the
/// dense one at 25–30 % density on 2 AVX2 cores.
pub const DENSE_ABOVE: f64 = 0.2;

/// A matrix `[rows, cols]` stored as its nonzero entries, in blocks of [`BLOCK_ROWS`] rows.
#[derive(Debug, Clone)]
pub struct SparseRows {
    rows: usize,
    cols: usize,
    blocks: Vec<Block>,
}

#[derive(Debug, Clone, Default)]
struct Block {
    /// `offsets[i]..offsets[i + 1]` indexes the entries of the block's row i.
    offsets: Vec<u32>,
    columns: Vec<u32>,
    /// The entries' values; empty when every nonzero entry is 1 (a binary spike matrix).
    values: Vec<f32>,
}

impl SparseRows {
    /// The nonzero entries of the row-major `[rows, cols]` matrix `dense`.
    pub fn from_dense(dense: &[f32], rows: usize, cols: usize) -> Self {
        assert_eq!(dense.len(), rows * cols, "dense matrix size");
        let blocks = dense
            .par_chunks(BLOCK_ROWS * cols.max(1))
            .map(|block| simd(|| {
                let mut b = Block { offsets: vec![0], ..Block::default() };
                let mut binary = true;
                let mut values = Vec::new();
                for row in block.chunks(cols.max(1)) {
                    for (c, &x) in row.iter().enumerate() {
                        if x != 0.0 {
                            b.columns.push(c as u32);
                            values.push(x);
                            binary &= x == 1.0;
                        }
                    }
                    b.offsets.push(b.columns.len() as u32);
                }
                if !binary {
                    b.values = values;
                }
                b
            }))
            .collect();
        SparseRows { rows, cols, blocks }
    }

    /// Number of rows M.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns K.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Number of nonzero entries.
    pub fn nonzeros(&self) -> usize {
        self.blocks.iter().map(|b| b.columns.len()).sum()
    }

    /// Fraction of entries that are nonzero.
    pub fn density(&self) -> f64 {
        self.nonzeros() as f64 / (self.rows * self.cols).max(1) as f64
    }

    /// Y = X·W for W `[cols, n]` row-major; Y is `[rows, n]`.
    pub fn matmul(&self, w: &[f32], n: usize) -> Vec<f32> {
        assert_eq!(w.len(), self.cols * n, "W must be [{}, {n}]", self.cols);
        let mut y = vec![0.0f32; self.rows * n];
        y.par_chunks_mut(BLOCK_ROWS * n.max(1)).zip(&self.blocks).for_each(|(out, block)| simd(|| {
            for (i, out_row) in out.chunks_mut(n.max(1)).enumerate() {
                let (lo, hi) = (block.offsets[i] as usize, block.offsets[i + 1] as usize);
                for e in lo..hi {
                    let w_row = &w[block.columns[e] as usize * n..][..n];
                    if block.values.is_empty() {
                        add(out_row, w_row);
                    } else {
                        add_scaled(out_row, block.values[e], w_row);
                    }
                }
            }
        }));
        y
    }

    /// ∂W = Xᵀ·G for G `[rows, n]` row-major; ∂W is `[cols, n]`.
    ///
    /// The columns of G are split between the threads, so that each owns its part of ∂W and
    /// the sums run in the same order whatever the number of threads.
    pub fn transpose_matmul(&self, g: &[f32], n: usize) -> Vec<f32> {
        assert_eq!(g.len(), self.rows * n, "G must be [{}, {n}]", self.rows);
        const SPLIT: usize = 32;
        let parts: Vec<(usize, Vec<f32>)> = (0..n)
            .step_by(SPLIT)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|j0| simd(|| {
                let j1 = (j0 + SPLIT).min(n);
                let width = j1 - j0;
                let mut part = vec![0.0f32; self.cols * width];
                for (b, block) in self.blocks.iter().enumerate() {
                    for i in 0..block.offsets.len() - 1 {
                        let r = b * BLOCK_ROWS + i;
                        let g_row = &g[r * n + j0..r * n + j1];
                        for e in block.offsets[i] as usize..block.offsets[i + 1] as usize {
                            let dst = &mut part[block.columns[e] as usize * width..][..width];
                            if block.values.is_empty() {
                                add(dst, g_row);
                            } else {
                                add_scaled(dst, block.values[e], g_row);
                            }
                        }
                    }
                }
                (j0, part)
            }))
            .collect();
        let mut dw = vec![0.0f32; self.cols * n];
        for (j0, part) in parts {
            let width = part.len() / self.cols.max(1);
            for c in 0..self.cols {
                dw[c * n + j0..c * n + j0 + width].copy_from_slice(&part[c * width..(c + 1) * width]);
            }
        }
        dw
    }
}

/// `dst += src`.
#[inline]
pub(crate) fn add(dst: &mut [f32], src: &[f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d += s;
    }
}

/// `dst += a·src`.
#[inline]
pub(crate) fn add_scaled(dst: &mut [f32], a: f32, src: &[f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d += a * s;
    }
}

/// A binary spike train `[rows, n]` with one bit per entry.
#[derive(Debug, Clone)]
pub struct SpikeBits {
    n: usize,
    words: usize,
    pub(crate) bits: Vec<u64>,
}

impl SpikeBits {
    /// All-zero spikes for `rows` rows of `n` neurons.
    pub fn zeros(rows: usize, n: usize) -> Self {
        let words = n.div_ceil(64);
        SpikeBits { n, words, bits: vec![0; rows * words] }
    }

    /// Neurons per row.
    pub fn width(&self) -> usize {
        self.n
    }

    /// The words of row `r`.
    pub fn row(&self, r: usize) -> &[u64] {
        &self.bits[r * self.words..(r + 1) * self.words]
    }

    /// Words per row.
    pub fn words(&self) -> usize {
        self.words
    }
}

/// Calls `f(j)` for every set bit j of a row's words, in increasing order.
#[inline]
pub(crate) fn for_each_active(words: &[u64], mut f: impl FnMut(usize)) {
    for (w, &word) in words.iter().enumerate() {
        let mut bits = word;
        while bits != 0 {
            let j = bits.trailing_zeros() as usize;
            f(w * 64 + j);
            bits &= bits - 1;
        }
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    fn dense_matmul(x: &[f32], w: &[f32], [m, k, n]: [usize; 3]) -> Vec<f32> {
        let mut y = vec![0.0; m * n];
        for r in 0..m {
            for c in 0..k {
                for j in 0..n {
                    y[r * n + j] += x[r * k + c] * w[c * n + j];
                }
            }
        }
        y
    }

    fn sample(m: usize, k: usize, binary: bool) -> Vec<f32> {
        (0..m * k)
            .map(|i| {
                let h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
                if h % 7 == 0 { if binary { 1.0 } else { (h % 5) as f32 - 1.5 } } else { 0.0 }
            })
            .collect()
    }

    #[test]
    fn products_equal_the_dense_ones() {
        // 600 rows span three blocks, the last one partial.
        let (m, k, n) = (600, 37, 45);
        let w: Vec<f32> = (0..k * n).map(|i| ((i * 31 % 17) as f32 - 8.0) / 8.0).collect();
        let g: Vec<f32> = (0..m * n).map(|i| ((i * 13 % 11) as f32 - 5.0) / 4.0).collect();
        for binary in [true, false] {
            let x = sample(m, k, binary);
            let sparse = SparseRows::from_dense(&x, m, k);
            assert_eq!(sparse.nonzeros(), x.iter().filter(|&&v| v != 0.0).count());
            let y = sparse.matmul(&w, n);
            for (a, b) in y.iter().zip(dense_matmul(&x, &w, [m, k, n])) {
                assert!((a - b).abs() < 1e-4, "{a} vs {b}");
            }
            // Xᵀ·G computed densely from the transposed matrix.
            let mut xt = vec![0.0; k * m];
            for r in 0..m {
                for c in 0..k {
                    xt[c * m + r] = x[r * k + c];
                }
            }
            let dw = sparse.transpose_matmul(&g, n);
            for (a, b) in dw.iter().zip(dense_matmul(&xt, &g, [k, m, n])) {
                assert!((a - b).abs() < 1e-3, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn bits_list_the_active_neurons() {
        let mut bits = SpikeBits::zeros(2, 130);
        let words = bits.words();
        assert_eq!(words, 3);
        let row = &mut bits.bits[words..2 * words];
        for j in [0usize, 63, 64, 129] {
            row[j / 64] |= 1 << (j % 64);
        }
        let mut seen = Vec::new();
        for_each_active(bits.row(1), |j| seen.push(j));
        assert_eq!(seen, vec![0, 63, 64, 129]);
        let mut first = Vec::new();
        for_each_active(bits.row(0), |j| first.push(j));
        assert!(first.is_empty());
    }
}
