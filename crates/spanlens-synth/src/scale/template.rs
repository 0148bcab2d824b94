//! A text with its ids and timestamps found once (`Template::scan`) and written again for
//! any copy (`Template::render`): everything between the sites is copied byte for byte, so
//! keys, escapes, number spellings and whitespace stay exactly as the SDK wrote them.
//!
//! Sites are found by the shape of the value, not by key, so the same id is remapped in a
//! span field, in a JSON-in-string attribute (`"\"tr-…\""`), in an assessment, in a path
//! (`mlflow.artifactLocation`) or in a LangSmith `dotted_order`. Ids are decoded to their raw
//! bytes and remapped by a keyed hash of (copy, bytes), so the hex, base64 and `tr-` forms
//! of one id stay the same id in every copy, across lines and files, with no table.

use super::ids::{IdForm, base64_at, fresh, hex_id, is_b64, uuid_at, write_id};
use super::times::{TimeForm, compact_at, epoch_unit, iso_at, write_time};

#[derive(Clone, Copy, Debug)]
enum Kind {
    Id { form: IdForm, raw: [u8; 16], n: u8 },
    Time { form: TimeForm, value: i64 },
}

#[derive(Clone, Copy, Debug)]
struct Site {
    at: usize,
    len: usize,
    kind: Kind,
}

/// A scanned text, ready to be rendered for any copy.
#[derive(Clone, Debug, Default)]
pub struct Template {
    src: Vec<u8>,
    sites: Vec<Site>,
}

/// What a copy changes: its index (the id key) and how far its times move.
#[derive(Clone, Copy, Debug)]
pub struct Copy {
    pub index: u64,
    pub shift_secs: i64,
}

impl Template {
    pub fn scan(src: &[u8]) -> Template {
        let mut sites = Vec::new();
        let mut i = 0;
        let mut force = false;
        while i < src.len() {
            let prev = i.checked_sub(1).map(|p| src[p]);
            if prev == Some(b'\\') {
                i += 1;
                continue;
            }
            if let Some(site) = site_at(src, i, prev, force) {
                i = site.at + site.len;
                // A dotted_order segment: the fraction and `Z` stay, and the run id that
                // follows directly is a word of its own.
                force = matches!(
                    site.kind,
                    Kind::Time {
                        form: TimeForm::Compact,
                        ..
                    }
                );
                if force {
                    i += src[i..].iter().take_while(|b| b.is_ascii_digit()).count() + 1;
                }
                sites.push(site);
                continue;
            }
            force = false;
            i += 1;
        }
        Template {
            src: src.to_vec(),
            sites,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.src.is_empty()
    }

    pub fn len(&self) -> usize {
        self.src.len()
    }

    /// Earliest and latest timestamp in the text, in epoch seconds.
    pub fn time_extent(&self) -> Option<(i64, i64)> {
        let secs = self.sites.iter().filter_map(|s| match s.kind {
            Kind::Time { form, value } => Some(match form {
                TimeForm::Digits { unit } => value.saturating_mul(unit) / 1_000_000_000,
                TimeForm::Iso { .. } | TimeForm::Compact => value,
            }),
            Kind::Id { .. } => None,
        });
        secs.fold(None, |acc, s| match acc {
            None => Some((s, s)),
            Some((lo, hi)) => Some((lo.min(s), hi.max(s))),
        })
    }

    /// How many ids (of any form) the text holds.
    pub fn id_count(&self) -> usize {
        self.sites
            .iter()
            .filter(|s| matches!(s.kind, Kind::Id { .. }))
            .count()
    }

    /// Appends the text as copy `copy` writes it.
    pub fn render(&self, copy: Copy, out: &mut Vec<u8>) {
        let mut pos = 0;
        for s in &self.sites {
            out.extend_from_slice(&self.src[pos..s.at]);
            match s.kind {
                Kind::Id { form, raw, n } => {
                    write_id(form, &fresh(&raw[..n as usize], form, copy.index), out)
                }
                Kind::Time { form, value } => write_time(form, value, copy.shift_secs, out),
            }
            pos = s.at + s.len;
        }
        out.extend_from_slice(&self.src[pos..]);
    }
}

fn site_at(src: &[u8], i: usize, prev: Option<u8>, force: bool) -> Option<Site> {
    let word_start = force || !prev.is_some_and(|p| p.is_ascii_alphanumeric());
    let b64_start = !prev.is_some_and(|p| is_b64(p) || p == b'=');
    let found = |len, kind| Some(Site { at: i, len, kind });
    if b64_start && let Some((len, raw, n, escaped)) = base64_at(src, i) {
        return found(
            len,
            Kind::Id {
                form: IdForm::Base64 { escaped },
                raw,
                n,
            },
        );
    }
    if !word_start {
        return None;
    }
    if let Some((len, value)) = compact_at(src, i) {
        return found(
            len,
            Kind::Time {
                form: TimeForm::Compact,
                value,
            },
        );
    }
    if let Some((len, value, sep)) = iso_at(src, i) {
        return found(
            len,
            Kind::Time {
                form: TimeForm::Iso { sep },
                value,
            },
        );
    }
    if let Some((raw, upper)) = uuid_at(src, i) {
        return found(
            36,
            Kind::Id {
                form: IdForm::Uuid { upper },
                raw,
                n: 16,
            },
        );
    }
    let run = src[i..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    let word = &src[i..i + run];
    if let Some(hex) = word.strip_prefix(b"0x")
        && let Some((raw, n, upper)) = hex_id(hex)
    {
        return found(
            run,
            Kind::Id {
                form: IdForm::Hex0x { upper },
                raw,
                n,
            },
        );
    }
    if let Some((raw, n, upper)) = hex_id(word) {
        return found(
            run,
            Kind::Id {
                form: IdForm::Hex { upper },
                raw,
                n,
            },
        );
    }
    let after = src.get(i + run).copied();
    if prev != Some(b'.')
        && after != Some(b'.')
        && matches!(run, 13 | 16 | 19)
        && word.iter().all(u8::is_ascii_digit)
    {
        let value: i64 = std::str::from_utf8(word).ok()?.parse().ok()?;
        let unit = epoch_unit(value)?;
        return found(
            run,
            Kind::Time {
                form: TimeForm::Digits { unit },
                value,
            },
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    fn render(src: &str, index: u64, shift_secs: i64) -> String {
        let mut out = Vec::new();
        Template::scan(src.as_bytes()).render(Copy { index, shift_secs }, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn one_id_in_hex_base64_and_tr_forms_stays_one_id() {
        // 3ULf6M1Zyk2fywS5j4qpBA== is the bytes of dd42dfe8cd59ca4d9fcb04b98f8aa904.
        let src = r#"{"a": "3ULf6M1Zyk2fywS5j4qpBA==", "b": "tr-dd42dfe8cd59ca4d9fcb04b98f8aa904", "c": "\"tr-dd42dfe8cd59ca4d9fcb04b98f8aa904\"", "d": "/x/tr-dd42dfe8cd59ca4d9fcb04b98f8aa904/y"}"#;
        let out: Value = serde_json::from_str(&render(src, 3, 0)).unwrap();
        let b64 = STANDARD.decode(out["a"].as_str().unwrap()).unwrap();
        let hex: String = b64.iter().map(|b| format!("{b:02x}")).collect();
        assert_ne!(hex, "dd42dfe8cd59ca4d9fcb04b98f8aa904");
        assert_eq!(out["b"], format!("tr-{hex}"));
        assert_eq!(out["c"], format!("\"tr-{hex}\""));
        assert_eq!(out["d"], format!("/x/tr-{hex}/y"));
        // Another copy gets another id.
        assert_ne!(render(src, 4, 0), render(src, 3, 0));
    }

    use serde_json::Value;

    #[test]
    fn forms_keep_case_length_prefix_and_escapes() {
        let src = r#"["5B8EFFF798038103D269B633813FC60C", "0x84f212578f747953", "01a223ca-632a-7d0b-8b59-0164268a3c04", "2H4ftZ\/2zeI=", "p+biTuZKUzg="]"#;
        let out = render(src, 1, 0);
        let v: Vec<String> = serde_json::from_str(&out).unwrap();
        assert!(
            v[0].len() == 32
                && v[0]
                    .chars()
                    .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c)),
            "{}",
            v[0]
        );
        assert!(v[1].starts_with("0x") && v[1].len() == 18 && v[1] != "0x84f212578f747953");
        assert_eq!(&v[2][14..15], "7", "UUID version kept: {}", v[2]);
        assert!(
            matches!(&v[2][19..20], "8" | "9" | "a" | "b"),
            "variant kept: {}",
            v[2]
        );
        for b in &v[3..] {
            assert_eq!(STANDARD.decode(b).unwrap().len(), 8, "{b}");
        }
        // `\/` inside the input stays escaped wherever a `/` is written.
        let raw_b64 = out.split('"').nth(7).unwrap();
        assert!(!raw_b64.replace("\\/", "").contains('/'), "{raw_b64}");
    }

    #[test]
    fn times_move_by_whole_seconds_in_their_own_spelling() {
        let src = r#"{"ns": 1795896439116655551, "s": "1795896439116655551", "ms": 1795896495087, "iso": "2026-11-28T23:59:59.116Z", "blob": "2026-12-31 23:59:58.1", "dotted": "20261128T201315946665Z01a223ca-632a-7d0b-8b59-0164268a3c04", "f": 0.1234567890123456, "n": 3234567890123456, "dur": 250}"#;
        let v: Value = serde_json::from_str(&render(src, 0, 5)).unwrap();
        assert_eq!(v["ns"], 1795896444116655551u64);
        assert_eq!(v["s"], "1795896444116655551");
        assert_eq!(v["ms"], 1795896500087u64);
        assert_eq!(v["iso"], "2026-11-29T00:00:04.116Z");
        assert_eq!(v["blob"], "2027-01-01 00:00:03.1");
        let dotted = v["dotted"].as_str().unwrap();
        assert!(dotted.starts_with("20261128T201320946665Z"), "{dotted}");
        assert!(
            !dotted.ends_with("01a223ca-632a-7d0b-8b59-0164268a3c04"),
            "run id remapped: {dotted}"
        );
        assert_eq!(v["f"], 0.1234567890123456);
        assert_eq!(v["n"], 3234567890123456u64, "not in an epoch range");
        assert_eq!(v["dur"], 250);
    }
}
