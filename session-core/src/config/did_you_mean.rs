//! "Did you mean ...?" for misspelt keys.

/// Levenshtein distance between two strings, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    // One row of the dynamic-programming table is enough.
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// The candidate closest to `given`, if it is close enough to be a likely
/// typo: at most a fifth of the candidate's length away, and at least 2 edits
/// allowed so short words still get suggestions.
pub(crate) fn did_you_mean<'a, I>(given: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    candidates
        .into_iter()
        .map(|candidate| (edit_distance(given, candidate), candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.chars().count() / 5).max(2))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("internval", "interval"), 1);
    }

    #[test]
    fn suggests_the_closest_plausible_candidate_only() {
        let candidates = ["servers", "read-timeout", "retry-attempts"];
        assert_eq!(did_you_mean("server", candidates), Some("servers"));
        assert_eq!(did_you_mean("retry-atempts", candidates), Some("retry-attempts"));
        assert_eq!(did_you_mean("colour", candidates), None);
    }
}
