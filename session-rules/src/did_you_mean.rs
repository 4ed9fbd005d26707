//! "Did you mean" suggestions for misspelled attribute names, property keys
//! and values: one rule for the macros' compile-time errors and the
//! configuration's startup errors.

/// The candidate closest to `given` when it is a likely typo: compared without
/// regard to case, at most a fifth of the candidate's length away (at least 2
/// edits), and never a candidate that would have to be typed from scratch.
pub fn did_you_mean<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let given = given.to_lowercase();
    candidates
        .into_iter()
        .map(|candidate| (edit_distance(&given, &candidate.to_lowercase()), candidate))
        .filter(|(distance, candidate)| {
            let length = candidate.chars().count();
            *distance <= (length / 5).max(2) && *distance < length
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance (insertions, deletions, substitutions), by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
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

#[cfg(test)]
mod tests {
    use super::{did_you_mean, edit_distance};

    const KEYS: &[&str] = &["rename", "default", "principal", "indexed"];

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("indexd", "indexed"), 1);
        assert_eq!(edit_distance("principle", "principal"), 2);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn suggestions() {
        let keys = || KEYS.iter().copied();
        assert_eq!(did_you_mean("indexd", keys()), Some("indexed"));
        assert_eq!(did_you_mean("index", keys()), Some("indexed"));
        assert_eq!(did_you_mean("principle", keys()), Some("principal"));
        assert_eq!(did_you_mean("Rename", keys()), Some("rename"));
        assert_eq!(did_you_mean("defualt", keys()), Some("default"));
        assert_eq!(did_you_mean("skip", keys()), None);
        assert_eq!(did_you_mean("serialize_with", keys()), None);
        assert_eq!(
            did_you_mean("regin_name", ["region_name", "pool_name"]),
            Some("region_name")
        );
        assert_eq!(did_you_mean("colour", ["region_name"]), None);
        let pool_settings = ["servers", "read-timeout", "retry-attempts"];
        assert_eq!(did_you_mean("server", pool_settings), Some("servers"));
        assert_eq!(did_you_mean("retry-atempts", pool_settings), Some("retry-attempts"));
        assert_eq!(did_you_mean("colour", pool_settings), None);
        assert_eq!(
            did_you_mean("PARTITIONED", ["PARTITION", "REPLICATE", "LOCAL"]),
            Some("PARTITION")
        );
    }
}
