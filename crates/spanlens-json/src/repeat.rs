//! The token index of a thread's last text, kept so that the next text's head, where it
//! repeats that text byte for byte, is not indexed again.
//!
//! PERF: the collector's file exporter writes the same resource and scope ahead of each
//! line's spans: 550 of the 1,760 bytes of a one-span line, a third of its tokens. Their
//! index entries depend on those bytes only (stage 1 carries nothing backwards), so the
//! entries below a cut are kept and stage 1 starts at the cut, as it would at the start.

/// Bytes of the last text remembered: a head repeated past this is indexed again there.
const HEAD_MAX: usize = 4096;

/// A shorter repeated head is indexed again: it is not worth the cut.
const MIN_SHARED: usize = 128;

/// A thread's index buffer and the head of the text it indexes.
#[derive(Default)]
pub(crate) struct Index {
    /// The token index of the last text built.
    pub(crate) idx: Vec<u32>,
    /// The first bytes of that text; empty when `idx` is not its whole index (nothing
    /// built yet, or the last build failed).
    head: Vec<u8>,
    /// The length of the head's first line (up to a newline). `build_line` reuses no more
    /// than that, so what it reuses lies within the line it indexes.
    head_line: usize,
    /// The text (address and length) `idx` was built for by `build_line`, and whether it
    /// ends with a carriage return, until a reader takes it (`take_ready`) or another text
    /// is built.
    ready: Option<(usize, usize, bool)>,
}

impl Index {
    /// Builds the index of `text` into `idx`, reusing the entries of the head it shares
    /// with the last text. `None`: see `index::build`.
    pub(crate) fn build(&mut self, text: &[u8]) -> Option<()> {
        let whole =
            |t: &[u8], from, out: &mut _| super::index::build_from(t, from, out).map(|()| t.len());
        self.build_with(text, self.head.len(), whole).map(drop)
    }

    /// Builds the index of the first line of `rest` (up to its first newline, found in the
    /// same pass), reusing a head as `build` does; the line's length. The index is then
    /// `ready` for that line (see `take_ready`). `None`: see `index::build_line_from`.
    pub(crate) fn build_line(&mut self, rest: &[u8]) -> Option<usize> {
        // Only the head's first line: the bytes `rest` shares with it are then in the line
        // being indexed, and so is the cut.
        let len = self.build_with(rest, self.head_line, super::index::build_line_from)?;
        let cr = len > 0 && rest[len - 1] == b'\r';
        self.ready = Some((rest.as_ptr() as usize, len, cr));
        Some(len)
    }

    /// Indexes `text` with `build` (which starts at a given offset and says where the text
    /// it indexed ends), after the entries of the head it shares with the last text, up
    /// to `head_len` bytes of that head; remembers the new head.
    fn build_with(
        &mut self,
        text: &[u8],
        head_len: usize,
        build: impl FnOnce(&[u8], usize, &mut Vec<u32>) -> Option<usize>,
    ) -> Option<usize> {
        self.ready = None;
        let shared = shared_len(&self.head[..head_len], text);
        let (keep, from) = self.cut(text, shared).unwrap_or((0, 0));
        self.idx.truncate(keep);
        let built = build(text, from, &mut self.idx);
        match built {
            Some(end) => self.remember(text, shared, end.min(HEAD_MAX)),
            None => {
                self.head.clear();
                self.head_line = 0;
            }
        }
        built
    }

    /// Whether `idx` is the index `build_line` built for `text` (the same bytes, at the
    /// same address); forgets it either way, so it is taken at most once.
    ///
    /// A line read without its carriage return (CRLF files) takes it too: a return that
    /// indexes at all is white space outside strings, which gives no entry, and the
    /// reader finds the end of a last scalar from the text it reads.
    pub(crate) fn take_ready(&mut self, text: &[u8]) -> bool {
        let Some((at, len, cr)) = self.ready.take() else {
            return false;
        };
        at == text.as_ptr() as usize && (len == text.len() || cr && len == text.len() + 1)
    }

    /// Forgets the index `build_line` built: true when no reader had taken it.
    pub(crate) fn take_ready_any(&mut self) -> bool {
        self.ready.take().is_some()
    }

    /// Keeps `text[..end]` as the head, its first `shared` bytes being there already.
    fn remember(&mut self, text: &[u8], shared: usize, end: usize) {
        let shared = shared.min(end);
        // A newline among the shared bytes is where it was; otherwise look in the rest.
        if self.head_line >= shared {
            let nl = memchr::memchr(b'\n', &text[shared..end]);
            self.head_line = nl.map_or(end, |i| shared + i);
        }
        self.head.truncate(shared);
        self.head.extend_from_slice(&text[shared..end]);
    }

    /// The entries to keep and where to start indexing `text`, whose first `shared` bytes
    /// are those of the last text: just after the last `{ } [ ] : ,` among them, where
    /// stage 1 holds no string, escape or scalar open. `None`: index it all.
    fn cut(&self, text: &[u8], shared: usize) -> Option<(usize, usize)> {
        if shared < MIN_SHARED {
            return None;
        }
        let below = self.idx.partition_point(|&p| (p as usize) < shared);
        // An entry on one of these bytes is one outside a string: quotes and scalar starts
        // are the index's only other entries. A few entries back there is always one,
        // unless a long scalar or string ends the head: then it is all indexed again.
        (below.saturating_sub(8)..below).rev().find_map(|k| {
            let at = self.idx[k] as usize;
            matches!(text[at], b'{' | b'}' | b'[' | b']' | b':' | b',').then_some((k + 1, at + 1))
        })
    }
}

/// How many bytes `a` and `b` start with in common, 32 at a time while they agree.
fn shared_len(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 32 <= n && a[i..i + 32] == b[i..i + 32] {
        i += 32;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The index of `text` built from scratch.
    fn fresh(text: &[u8]) -> Option<Vec<u32>> {
        let mut out = Vec::new();
        super::super::index::build(text, &mut out).map(|()| out)
    }

    /// Builds each text in turn on one `Index`, checking it against a fresh build; the
    /// number of builds that kept entries.
    fn check(texts: &[Vec<u8>]) -> usize {
        let mut memo = Index::default();
        let mut reused = 0;
        for t in texts {
            let shared = shared_len(&memo.head, t);
            reused += usize::from(memo.cut(t, shared).is_some());
            let got = memo.build(t).map(|()| memo.idx.clone());
            assert_eq!(got, fresh(t), "on {:?}", String::from_utf8_lossy(t));
        }
        reused
    }

    fn line(head: &str, tail: &str) -> Vec<u8> {
        format!("{head}{tail}").into_bytes()
    }

    #[test]
    fn a_repeated_head_is_reused_and_the_index_is_the_same() {
        let head = format!(
            r#"{{"resourceSpans":[{{"resource":{{"attributes":[{}]}},"spans":["#,
            r#"{"key":"service.name","value":{"stringValue":"a\"b\\c\u00e9"}},"#.repeat(4)
                + r#"{"n":12345}"#
        );
        let texts = vec![
            line(&head, r#"{"name":"one","x":1}]}]}"#),
            line(&head, r#"{"name":"two","x":[true,null]}]}]}"#),
            // The same head, then a cut text: no index, and the next is built whole.
            line(&head, r#"{"name":"thr"#),
            line(&head, r#"{"name":"four"}]}]}"#),
            line(&head, r#"{"name":"four"}]}]}"#),
        ];
        assert_eq!(check(&texts), 3, "every build after a good one reuses");
    }

    #[test]
    fn heads_that_part_inside_strings_scalars_and_escapes_index_the_same() {
        // Texts that share long heads and part at every kind of byte: inside a number,
        // a string, an escape (`\\` against `\"`), white space, and right after a cut.
        let base = format!(
            r#"{{"a":[{}"#,
            r#"{"k":"v\\w","n":-12.5e3,"t":true}, "#.repeat(6)
        );
        let mut texts = vec![line(&base, "1]}")];
        let base = base.as_bytes();
        for at in (100..base.len()).step_by(3) {
            for b in [b'"', b'\\', b'1', b' ', b',', b'}', b'x'] {
                let mut t = base.to_vec();
                t[at] = b;
                t.extend_from_slice(b"0]}");
                texts.push(t);
                texts.push(line(std::str::from_utf8(base).unwrap(), "2]}"));
            }
        }
        assert!(check(&texts) > texts.len() / 2);
    }

    /// Indexes every line of `text` in turn with `build_line` on one `Index`, checking
    /// each line's end and index against a fresh build of the line alone; the number of
    /// lines indexed.
    fn check_lines(memo: &mut Index, text: &[u8]) -> usize {
        let (mut pos, mut indexed, mut crs) = (0, 0, 0);
        while pos <= text.len() {
            let rest = &text[pos..];
            let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
            let want = fresh(&rest[..end]);
            match memo.build_line(rest) {
                Some(len) => {
                    assert_eq!(len, end, "line end at {pos}");
                    assert_eq!(Some(&memo.idx), want.as_ref(), "line at {pos}");
                    let line = &rest[..end];
                    let bare = line.strip_suffix(b"\r").unwrap_or(line);
                    // A line that ends with a return is read without it (CRLF files):
                    // the same index serves.
                    assert_eq!(fresh(bare), want, "without its return, line at {pos}");
                    assert!(memo.take_ready(bare), "ready for its line");
                    assert!(!memo.take_ready(bare), "taken once");
                    crs += usize::from(bare.len() < line.len());
                    indexed += 1;
                }
                None => assert_eq!(want, None, "line at {pos} has an index"),
            }
            pos += end + 1;
        }
        assert!(
            crs > 0 || !text.contains(&b'\r'),
            "a line with a return was checked"
        );
        indexed
    }

    #[test]
    fn lines_indexed_with_their_ends_match_each_line_indexed_alone() {
        let head = r#"{"resourceSpans":[{"resource":{"attributes":["#.to_string()
            + &r#"{"key":"service.name","value":{"stringValue":"a\"b\\c\u00e9"}},"#.repeat(4);
        let mut lines: Vec<String> = Vec::new();
        for n in 0..130 {
            // Lines of every length around the 64-byte blocks, repeated heads, bad
            // strings, blank lines, a carriage return and a line that is all head.
            lines.push(format!("{head}{{\"n\":{}}}]}}]}}", "7".repeat(n)));
            lines.push(format!("{}\"{}\"", " ".repeat(n), "x".repeat(n % 70)));
            if n % 17 == 0 {
                lines.push(String::new());
                lines.push(format!("{head}\"bad\tstring\""));
                lines.push(format!("{head}\"open"));
                lines.push("[1, \"\\u12\"]".into());
                lines.push("{\"a\": 1}\r".into());
                lines.push(head.clone());
            }
        }
        let mut memo = Index::default();
        let text = lines.join("\n");
        let indexed = check_lines(&mut memo, text.as_bytes());
        assert!(indexed > 250, "{indexed}");
        // The same with the last line ended by a newline (an empty last line).
        check_lines(&mut memo, format!("{text}\n").as_bytes());
    }

    #[test]
    fn a_head_that_ran_past_a_newline_is_not_reused_past_it() {
        // A text with a newline in its head (built whole, as a document is), then the
        // rest of a piece that shares those bytes: its first line ends at the newline.
        let first = format!("[{}1,\n2,{}3]", "\"abc\",".repeat(30), "4,".repeat(40));
        let mut memo = Index::default();
        memo.build(first.as_bytes()).expect("indexable");
        // It shares `\n2,` too: a cut after those bytes would be past its first line.
        let nl = first.find('\n').unwrap();
        let rest = format!("{}9]\n[5]", &first[..nl + 3]);
        let len = memo.build_line(rest.as_bytes());
        let line = &rest[..rest.find('\n').unwrap()];
        assert_eq!(len, Some(line.len()));
        // The line is `[..., 1,`: not JSON, but stage 1 indexes it (strings are whole).
        assert_eq!(Some(&memo.idx), fresh(line.as_bytes()).as_ref());
    }

    #[test]
    fn random_texts_with_shared_heads_index_the_same() {
        let mut seed = 11u64;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        // Pieces of JSON-like text (not always valid JSON: stage 1 checks strings only),
        // and a few that break a string rule.
        let pieces: [&[u8]; 16] = [
            b"{",
            b"}",
            b"[",
            b"]",
            b":",
            b",",
            b" ",
            b"\n",
            b"\"ab\"",
            b"\"q\\\"\\\\\"",
            b"\"\\u00e9x\"",
            b"-1.5e3",
            b"true",
            b"null",
            b"\"\t\"",
            b"\"\\x\"",
        ];
        let mut reused = 0;
        for _ in 0..300 {
            let mut piece = || pieces[next() % (pieces.len() - 2)];
            let head: Vec<u8> = (0..120).flat_map(|_| piece().to_vec()).collect();
            let mut run = Vec::new();
            for _ in 0..6 {
                let mut t = head.clone();
                let at = next() % head.len();
                t.truncate(at.max(head.len() / 2));
                for _ in 0..next() % 40 {
                    t.extend_from_slice(pieces[next() % pieces.len()]);
                }
                run.push(t);
            }
            reused += check(&run);
        }
        eprintln!("{reused} builds reused a head");
        assert!(reused > 100, "{reused}");
    }
}
