//! Ranks with ties averaged, and the tie counts the rank tests correct for.

/// Ranks 1..n of `x`, ties given the mean of the ranks they span (scipy's `rankdata`, method
/// "average").
pub fn average_ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut ranks = vec![0.0; x.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && x[order[end]] == x[order[start]] {
            end += 1;
        }
        // Positions start..end hold ranks start+1..=end; their mean is (start + 1 + end)/2.
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    ranks
}

/// The sizes t of the groups of tied values (only groups with t > 1).
pub fn tie_sizes(x: &[f64]) -> Vec<usize> {
    let mut sorted = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut sizes = Vec::new();
    let mut start = 0;
    while start < sorted.len() {
        let mut end = start + 1;
        while end < sorted.len() && sorted[end] == sorted[start] {
            end += 1;
        }
        if end - start > 1 {
            sizes.push(end - start);
        }
        start = end;
    }
    sizes
}

/// Σ (t³ − t) over the tie groups of `x`.
pub fn tie_term(x: &[f64]) -> f64 {
    tie_sizes(x).into_iter().map(|t| (t * t * t - t) as f64).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_their_mean_rank() {
        assert_eq!(average_ranks(&[3.0, 1.0, 3.0, 2.0, 3.0]), vec![4.0, 1.0, 4.0, 2.0, 4.0]);
        assert_eq!(tie_sizes(&[3.0, 1.0, 3.0, 2.0, 3.0, 1.0]), vec![2, 3]);
        assert_eq!(tie_term(&[1.0, 1.0, 2.0]), 6.0);
    }
}
