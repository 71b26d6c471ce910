//! Seeded random streams: every random draw of sglab (weights, data, batch order, escape noise,
//! bootstrap resamples) comes from a stream named by a configuration seed and a stream index.
//!
//! ```text
//! z = seed ⊕ (stream · 0x9E3779B97F4A7C15)
//! z = SplitMix64 finaliser(z)          the state of a ChaCha-based StdRng
//! ```
//!
//! so layers, tensors and seeds never share a stream, and the same seed gives the same draws
//! on every backend.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// An independent random stream for `(seed, stream)`: the 64-bit seed is mixed with the stream
/// index by SplitMix64, so layers, tensors and seeds never share a stream.
pub fn rng(seed: u64, stream: u64) -> StdRng {
    let mut z = seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    StdRng::seed_from_u64(z)
}

/// A seed derived from `seed` for a sub-component `stream` (a layer, a noise source): the first
/// draw of [`rng`]`(seed, stream)`, so derived seeds never coincide with the parent's streams.
pub fn derived_seed(seed: u64, stream: u64) -> u64 {
    rng(seed, stream).next_u64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let draw = |seed, stream| rng(seed, stream).next_u64();
        assert_eq!(draw(7, 0), draw(7, 0));
        assert_ne!(draw(7, 0), draw(7, 1));
        assert_ne!(draw(7, 0), draw(8, 0));
    }

    #[test]
    fn the_stream_state_is_the_splitmix_finaliser_of_the_mixed_seed() {
        // z = 1 ⊕ (2 · 0x9E3779B97F4A7C15 mod 2⁶⁴), then SplitMix64's finaliser, computed by hand
        // (Python integers): 0xbeeb8da1658eec67.
        let expected = StdRng::seed_from_u64(0xbeeb_8da1_658e_ec67).next_u64();
        assert_eq!(rng(1, 2).next_u64(), expected);
    }

    #[test]
    fn derived_seeds_are_the_streams_first_draw() {
        assert_eq!(derived_seed(3, 2), rng(3, 2).next_u64());
        assert_ne!(derived_seed(3, 2), derived_seed(3, 1));
    }
}
