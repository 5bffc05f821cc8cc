//! "Did you mean": the closest known name to a misspelt one.

/// The candidate closest to `unknown`, if it is close enough to be a likely
/// typo (at most a third of its letters differ, and at least one matches).
pub fn closest<'a>(
    unknown: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (unknown.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(unknown, c), c))
        .filter(|&(d, c)| d <= limit && d < c.chars().count())
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// `; did you mean `x`?`, or the list of valid names when none is close.
pub fn hint<'a>(unknown: &str, candidates: impl IntoIterator<Item = &'a str> + Clone) -> String {
    match closest(unknown, candidates.clone()) {
        Some(best) => format!("; did you mean `{best}`?"),
        None => {
            let all: Vec<String> = candidates.into_iter().map(|c| format!("`{c}`")).collect();
            if all.is_empty() {
                String::new()
            } else {
                format!("; expected one of {}", all.join(", "))
            }
        }
    }
}

/// Levenshtein distance, counting characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_a_close_name_only() {
        assert_eq!(closest("fliter", ["filter", "source"]), Some("filter"));
        assert_eq!(
            closest("stdot", ["stdin", "stdout", "stderr"]),
            Some("stdout")
        );
        assert_eq!(closest("zzz", ["filter", "source"]), None);
        assert_eq!(closest("a", ["b"]), None);
    }

    #[test]
    fn lists_names_when_none_is_close() {
        assert_eq!(hint("zzz", ["a", "b"]), "; expected one of `a`, `b`");
        assert_eq!(hint("nett", ["net", "pid"]), "; did you mean `net`?");
    }
}
