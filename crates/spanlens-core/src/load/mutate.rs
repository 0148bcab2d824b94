//! Seeded mutations of JSON texts for the differential tests of the fast readers (fast
//! reader against serde reader on damaged and oddly spelled input).

/// A seeded generator (the tests must not depend on a random crate).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn below(&mut self, n: usize) -> usize {
        self.0 = (self.0)
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

/// Byte positions of ASCII letters inside strings of the JSON text `t`.
fn letters_in_strings(t: &str) -> Vec<usize> {
    let (mut inside, mut escaped, mut out) = (false, false, Vec::new());
    for (i, b) in t.bytes().enumerate() {
        match b {
            _ if escaped => escaped = false,
            b'\\' if inside => escaped = true,
            b'"' => inside = !inside,
            b if inside && b.is_ascii_alphabetic() => out.push(i),
            _ => {}
        }
    }
    out
}

/// One random change to the text: a letter in a string (a key, an id, a value) written as
/// a `\u` escape, one of `dups` (`"key":value,` members) written first in some object,
/// or a byte removed, doubled, or the text cut there.
pub(crate) fn mutate_text(t: &str, rng: &mut Rng, dups: &[&str]) -> String {
    match rng.below(4) {
        0 | 1 => {
            let at = letters_in_strings(t);
            if at.is_empty() {
                return t.to_owned();
            }
            let i = at[rng.below(at.len())];
            format!("{}\\u{:04x}{}", &t[..i], t.as_bytes()[i], &t[i + 1..])
        }
        2 => {
            let opens: Vec<usize> = t.match_indices("{\"").map(|(i, _)| i).collect();
            if opens.is_empty() || dups.is_empty() {
                return t.to_owned();
            }
            let i = opens[rng.below(opens.len())];
            format!("{}{}{}", &t[..=i], dups[rng.below(dups.len())], &t[i + 1..])
        }
        _ => {
            let i = rng.below(t.len());
            let mut b = t.as_bytes().to_vec();
            match rng.below(3) {
                0 => drop(b.remove(i)),
                1 => b.insert(i, b[i]),
                _ => b.truncate(i),
            }
            String::from_utf8(b).unwrap_or_else(|_| t.to_owned())
        }
    }
}
