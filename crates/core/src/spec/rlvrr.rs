//! §13 RLVRR content reward: ordered keyword chains compared by longest common subsequence.

/// Length of the longest common subsequence of two sequences.
pub fn lcs_length<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    // One rolling row: O(|a|·|b|) time, O(|b|) memory.
    let mut row = vec![0usize; b.len() + 1];
    for item_a in a {
        let mut diagonal = 0;
        for (j, item_b) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if item_a == item_b {
                diagonal + 1
            } else {
                above.max(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

/// One key point's keyword sequences: as they occur in the reference and in the response, repeats kept.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyPointMatches<T> {
    /// Keywords in order of occurrence in the reference.
    pub reference: Vec<T>,
    /// Keywords in order of occurrence in the response.
    pub response: Vec<T>,
}

/// `|LCS(ref, resp)| / max(|ref|, |resp|)` for one key point; 0 when both are empty.
pub fn key_point_score<T: PartialEq>(matches: &KeyPointMatches<T>) -> f64 {
    let longest = matches.reference.len().max(matches.response.len());
    if longest == 0 {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss)]
    let score = lcs_length(&matches.reference, &matches.response) as f64 / longest as f64;
    score
}

/// Mean key-point score; 0 for no key points.
pub fn content_reward<T: PartialEq>(key_points: &[KeyPointMatches<T>]) -> f64 {
    if key_points.is_empty() {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss)]
    let mean = key_points.iter().map(key_point_score).sum::<f64>() / key_points.len() as f64;
    mean
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lcs_and_content() {
        assert_eq!(lcs_length(&["a", "b", "c", "d"], &["a", "c", "x", "d"]), 3);
        let kp = |r: &[&'static str], s: &[&'static str]| KeyPointMatches {
            reference: r.to_vec(),
            response: s.to_vec(),
        };
        assert_eq!(content_reward(&[kp(&["a", "b"], &["a", "a", "b", "b"])]), 0.5);
        assert_eq!(content_reward::<&str>(&[]), 0.0);
    }
}
