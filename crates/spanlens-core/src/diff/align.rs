//! Aligning two span trees by structure: siblings are matched by (kind, normalised name)
//! with a longest-common-subsequence (Myers) alignment, so an inserted or removed step
//! does not shift what follows and repeated steps (a tool called three times) match in
//! order. Leftover siblings with the same key are then paired as reordered (parallel
//! branches that finished in another order). Every walk is iterative.

use crate::model::{SpanIx, SpanKind, TraceIx, TraceSet};
use similar::{Algorithm, DiffOp, capture_diff_slices_deadline};
use std::time::{Duration, Instant};

/// One aligned row: a span on either side or both, in pre-order of the merged tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pair {
    pub left: Option<SpanIx>,
    pub right: Option<SpanIx>,
    pub depth: u32,
    /// Matched, but at another position among its siblings.
    pub moved: bool,
}

/// Sibling lists longer than this are aligned within a time budget (Myers with a
/// deadline falls back to a coarser diff rather than running quadratic).
const DEADLINE: Duration = Duration::from_millis(200);

/// The key spans are matched by: kind and a name with numbers and ids normalised away.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(SpanKind, String);

impl Key {
    pub fn kind(&self) -> SpanKind {
        self.0
    }

    /// The normalised name; empty for kinds matched by kind alone.
    pub fn name(&self) -> &str {
        &self.1
    }
}

/// The alignment key of a span. Names differ between SDKs for the same step (OTel GenAI
/// `execute_tool get_weather` vs MLflow `get_weather`; `chat gpt-4o` vs `ChatCompletion`),
/// so LLM and embedding calls match by kind alone (in order, most similar first), tools
/// by tool name, and everything else by its name without the GenAI operation prefix.
pub fn key(set: &TraceSet, ix: SpanIx) -> Key {
    let s = set.span(ix);
    let name = match s.kind {
        k if matched_by_kind(k) => String::new(),
        SpanKind::Tool if !s.tool.is_empty() => normalise_name(set.str(s.tool)),
        _ => normalise_name(strip_operation(set.str(s.name))),
    };
    Key(s.kind, name)
}

/// Kinds whose span names depend on the SDK (`chat gpt-4o`, `ChatCompletion`,
/// `retrieve`, `retrieval kb-docs`): they align by kind and order, not by name.
pub fn matched_by_kind(kind: SpanKind) -> bool {
    matches!(
        kind,
        SpanKind::Llm | SpanKind::Embedding | SpanKind::Retriever | SpanKind::Reranker
    )
}

/// `invoke_agent weather_agent` → `weather_agent` (GenAI span names are
/// `{operation} {target}`).
pub fn strip_operation(name: &str) -> &str {
    const OPS: [&str; 9] = [
        "invoke_agent ",
        "create_agent ",
        "execute_tool ",
        "invoke_workflow ",
        "retrieval ",
        "embeddings ",
        "chat ",
        "text_completion ",
        "generate_content ",
    ];
    OPS.iter()
        .find_map(|op| name.strip_prefix(op))
        .unwrap_or(name)
}

/// `Completions_2` → `completions_#`, `step 12 a1b2c3d4e5f6` → `step # #`: run-specific
/// numbers and ids do not break a match.
pub fn normalise_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for token in name.split_inclusive(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
        let (word, sep) = match token.char_indices().last() {
            Some((i, c)) if !(c.is_ascii_alphanumeric() || c == '-') => (&token[..i], &token[i..]),
            _ => (token, ""),
        };
        let digits = word.chars().filter(char::is_ascii_digit).count();
        let hexish = word.len() >= 8 && word.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
        if hexish || (digits > 0 && digits * 2 >= word.len()) {
            out.push('#');
        } else {
            out.push_str(
                &word
                    .to_lowercase()
                    .trim_end_matches(|c: char| c.is_ascii_digit())
                    .replace(|c: char| c.is_ascii_digit(), "#"),
            );
        }
        out.push_str(sep);
    }
    out
}

/// Children of `ix` (or the roots of `trace` when `ix` is None), in start order.
fn children(set: &TraceSet, trace: TraceIx, ix: Option<SpanIx>) -> Vec<SpanIx> {
    let (mut c, end) = match ix {
        Some(p) => (p.0 + 1, set.span(p).subtree_end),
        None => {
            let t = set.trace(trace);
            (t.span_start, t.span_end)
        }
    };
    let mut out = Vec::new();
    while c < end {
        out.push(SpanIx(c));
        c = set.spans[c as usize].subtree_end;
    }
    out
}

/// Aligns two traces into rows.
pub fn align(left: &TraceSet, lt: TraceIx, right: &TraceSet, rt: TraceIx) -> Vec<Pair> {
    let mut rows =
        Vec::with_capacity((left.trace(lt).span_count() + right.trace(rt).span_count()) as usize);
    // Work stack of (left parent, right parent, depth); children are pushed in reverse so
    // rows come out in pre-order.
    let mut stack: Vec<Frame> = vec![Frame::Both(None, None, 0)];
    while let Some(frame) = stack.pop() {
        match frame {
            Frame::Row(pair) => {
                let depth = pair.depth + 1;
                let (l, r) = (pair.left, pair.right);
                rows.push(pair);
                stack.push(Frame::Both(l, r, depth));
            }
            Frame::Both(l, r, depth) => {
                let lk = match (l, &r) {
                    (None, None) => children(left, lt, None),
                    (Some(l), _) => children(left, lt, Some(l)),
                    (None, Some(_)) => Vec::new(),
                };
                let rk = match (r, &l) {
                    (None, None) => children(right, rt, None),
                    (Some(r), _) => children(right, rt, Some(r)),
                    (None, Some(_)) => Vec::new(),
                };
                let pairs = match_siblings(left, &lk, right, &rk, depth);
                stack.extend(pairs.into_iter().rev().map(Frame::Row));
            }
        }
    }
    rows
}

enum Frame {
    Row(Pair),
    Both(Option<SpanIx>, Option<SpanIx>, u32),
}

/// Largest sibling grid (left × right) aligned with the similarity-weighted dynamic
/// program; bigger lists use Myers' diff, which is linear in the size times the edits.
const WEIGHTED_MAX_CELLS: usize = 1 << 20;

/// Matches two sibling lists; unmatched spans come out as one-sided pairs whose subtrees
/// are emitted one-sided too (by the caller's recursion, since the other side is None).
fn match_siblings(
    left: &TraceSet,
    lk: &[SpanIx],
    right: &TraceSet,
    rk: &[SpanIx],
    depth: u32,
) -> Vec<Pair> {
    let mut lkeys: Vec<Key> = lk.iter().map(|&s| key(left, s)).collect();
    let mut rkeys: Vec<Key> = rk.iter().map(|&s| key(right, s)).collect();
    adopt_known_kinds(&mut lkeys, (right, rk, &rkeys));
    adopt_known_kinds(&mut rkeys, (left, lk, &lkeys));
    let matches = if lk.len() * rk.len() <= WEIGHTED_MAX_CELLS {
        let lf: Vec<Fingerprint> = lk.iter().map(|&s| Fingerprint::of(left, s)).collect();
        let rf: Vec<Fingerprint> = rk.iter().map(|&s| Fingerprint::of(right, s)).collect();
        weighted(&lkeys, &rkeys, |i, j| lf[i].similarity(&rf[j]))
    } else {
        myers(&lkeys, &rkeys)
    };
    let mut out: Vec<Pair> = matches
        .into_iter()
        .map(|(l, r)| Pair {
            left: l.map(|i| lk[i]),
            right: r.map(|j| rk[j]),
            depth,
            moved: false,
        })
        .collect();
    pair_moved(&mut out, left, right);
    out
}

/// One export may know a span's kind (`rerank_docs` as RERANKER) where another does not:
/// an unknown-kind span takes the key of a known-kind sibling on the other side with the
/// same name, so the two pair instead of showing as removed + added.
fn adopt_known_kinds(keys: &mut [Key], (set, spans, other): (&TraceSet, &[SpanIx], &[Key])) {
    if !keys.iter().any(|k| k.0 == SpanKind::Unknown) {
        return;
    }
    let known: Vec<(String, &Key)> = spans
        .iter()
        .zip(other)
        .filter(|(_, k)| k.0 != SpanKind::Unknown)
        .map(|(&s, k)| (normalise_name(strip_operation(set.span_name(s))), k))
        .collect();
    for k in keys.iter_mut().filter(|k| k.0 == SpanKind::Unknown) {
        if let Some((_, theirs)) = known.iter().find(|(n, _)| *n == k.1) {
            *k = (*theirs).clone();
        }
    }
}

/// What makes two spans with the same key the same step: their payloads and duration.
struct Fingerprint {
    input: u64,
    output: u64,
    duration: i64,
}

impl Fingerprint {
    fn of(set: &TraceSet, ix: SpanIx) -> Fingerprint {
        let s = set.span(ix);
        let hash = |t: Option<crate::model::TextRef>| {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            if let Some(bytes) = t.and_then(|t| set.sources.bytes(t).ok()) {
                bytes.hash(&mut h);
            }
            h.finish()
        };
        Fingerprint {
            input: hash(s.input),
            output: hash(s.output),
            duration: s.duration_ns(),
        }
    }

    /// 0 (nothing alike) to just under 1 (same input, same output, same duration).
    fn similarity(&self, o: &Fingerprint) -> f32 {
        let (a, b) = (self.duration.max(1) as f32, o.duration.max(1) as f32);
        let closeness = a.min(b) / a.max(b);
        0.5 * f32::from(self.input == o.input)
            + 0.3 * f32::from(self.output == o.output)
            + 0.19 * closeness
    }
}

/// Longest common subsequence by key where, among equally long alignments, the one pairing
/// the most similar spans wins: an inserted duplicate call is the added one, not the old.
fn weighted(
    lk: &[Key],
    rk: &[Key],
    sim: impl Fn(usize, usize) -> f32,
) -> Vec<(Option<usize>, Option<usize>)> {
    let (n, m) = (lk.len(), rk.len());
    let w = m + 1;
    // best[i * w + j]: best score aligning lk[i..] with rk[j..].
    let mut best = vec![0f32; (n + 1) * w];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            let skip = best[(i + 1) * w + j].max(best[i * w + j + 1]);
            let take = if lk[i] == rk[j] {
                1.0 + sim(i, j) + best[(i + 1) * w + j + 1]
            } else {
                f32::MIN
            };
            best[i * w + j] = skip.max(take);
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(n.max(m));
    while i < n || j < m {
        if i < n
            && j < m
            && lk[i] == rk[j]
            && best[i * w + j] == 1.0 + sim(i, j) + best[(i + 1) * w + j + 1]
        {
            out.push((Some(i), Some(j)));
            i += 1;
            j += 1;
        } else if i < n && (j == m || best[(i + 1) * w + j] >= best[i * w + j + 1]) {
            out.push((Some(i), None));
            i += 1;
        } else {
            out.push((None, Some(j)));
            j += 1;
        }
    }
    out
}

/// Myers' diff over the keys, for sibling lists too large for the weighted program.
fn myers(lk: &[Key], rk: &[Key]) -> Vec<(Option<usize>, Option<usize>)> {
    let deadline = Some(Instant::now() + DEADLINE);
    let mut out = Vec::new();
    for op in capture_diff_slices_deadline(Algorithm::Myers, lk, rk, deadline) {
        match op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => {
                out.extend((0..len).map(|k| (Some(old_index + k), Some(new_index + k))));
            }
            DiffOp::Delete {
                old_index, old_len, ..
            } => {
                out.extend((old_index..old_index + old_len).map(|i| (Some(i), None)));
            }
            DiffOp::Insert {
                new_index, new_len, ..
            } => {
                out.extend((new_index..new_index + new_len).map(|j| (None, Some(j))));
            }
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                out.extend((old_index..old_index + old_len).map(|i| (Some(i), None)));
                out.extend((new_index..new_index + new_len).map(|j| (None, Some(j))));
            }
        }
    }
    out
}

/// Pairs a removed and an added sibling with the same key and the same input: the same
/// step, finished in another order (parallel branches). The pair takes the added one's
/// place. A removed call whose input nothing added shares stays removed.
fn pair_moved(out: &mut Vec<Pair>, left: &TraceSet, right: &TraceSet) {
    let removed: Vec<usize> = (0..out.len()).filter(|&i| out[i].right.is_none()).collect();
    let added: Vec<usize> = (0..out.len()).filter(|&i| out[i].left.is_none()).collect();
    if removed.is_empty() || added.is_empty() {
        return;
    }
    let fp = |set: &TraceSet, s: Option<SpanIx>| s.map(|s| (key(set, s), Fingerprint::of(set, s)));
    let rem: Vec<_> = removed.iter().map(|&i| fp(left, out[i].left)).collect();
    let add: Vec<_> = added.iter().map(|&i| fp(right, out[i].right)).collect();
    let mut taken = vec![false; added.len()];
    let mut drop = vec![false; out.len()];
    for (ri, r) in rem.iter().enumerate() {
        let Some((rkey, rfp)) = r else { continue };
        let best = add
            .iter()
            .enumerate()
            .filter(|(ai, a)| {
                !taken[*ai]
                    && a.as_ref()
                        .is_some_and(|(k, f)| k == rkey && f.input == rfp.input)
            })
            .max_by(|a, b| {
                let sim = |x: &Option<(Key, Fingerprint)>| {
                    x.as_ref().map_or(0.0, |(_, f)| f.similarity(rfp))
                };
                sim(a.1).total_cmp(&sim(b.1))
            })
            .map(|(ai, _)| ai);
        if let Some(ai) = best {
            taken[ai] = true;
            let (i, j) = (added[ai], removed[ri]);
            out[i].left = out[j].left;
            out[i].moved = true;
            drop[j] = true;
        }
    }
    let mut k = 0;
    out.retain(|_| {
        k += 1;
        !drop[k - 1]
    });
}

#[cfg(test)]
mod tests {
    use super::normalise_name;

    #[test]
    fn names_lose_run_specific_numbers() {
        assert_eq!(
            normalise_name("Completions_2"),
            normalise_name("Completions_1")
        );
        assert_eq!(
            normalise_name("invoke_agent 171105b7-59dd-49c0-9677-a9b1c2d3e4f5"),
            "invoke_agent #"
        );
        assert_eq!(normalise_name("get_weather"), "get_weather");
        assert_ne!(normalise_name("get_weather"), normalise_name("geocode"));
        assert_eq!(normalise_name("step 12"), "step #");
    }
}
