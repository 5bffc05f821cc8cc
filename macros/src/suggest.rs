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

/// Edit distance counting characters, where swapping two neighbours is one
/// edit (`SIGTREM` is one edit from `SIGTERM`): optimal string alignment.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // d[i][j]: distance between the first i chars of a and the first j of b.
    let mut d = vec![vec![0; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
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
        assert_eq!(closest("SIGTREM", ["SIGTRAP", "SIGTERM"]), Some("SIGTERM"));
    }

    #[test]
    fn lists_names_when_none_is_close() {
        assert_eq!(hint("zzz", ["a", "b"]), "; expected one of `a`, `b`");
        assert_eq!(hint("nett", ["net", "pid"]), "; did you mean `net`?");
    }
}
