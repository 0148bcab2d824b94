//! Flat objects of numbers written inside a JSON string, as MLflow writes its usage and
//! cost (`"{\"input_tokens\": 57, \"output_tokens\": 17}"`), read from the string literal
//! as written: no unescaped copy, no serde_json pass over the object.
//!
//! PERF: these were read by unescaping the literal, then deserializing typed fields from
//! the copy: about 8% of the CPU of loading 1M real-shape MLflow 3 spans (two such
//! objects on every LLM span).

/// Members read at most; an object with more takes the typed reading.
const MAX: usize = 8;

/// The members of a flat object: each key and the text of its value, as written.
pub(super) struct Flat<'a> {
    members: [(&'a [u8], &'a [u8]); MAX],
    len: usize,
}

impl<'a> Flat<'a> {
    /// The text of `key`'s value (a JSON number or `null`), when the object has it.
    pub fn get(&self, key: &[u8]) -> Option<&'a [u8]> {
        let members = &self.members[..self.len];
        members.iter().find(|(k, _)| *k == key).map(|m| m.1)
    }
}

/// `raw`, a JSON string literal holding an object whose values are all numbers or `null`,
/// with spaces at most between its tokens: its members. `None` for anything else (any
/// escape but the quotes', another type of value, a key `known` says a reader looks at
/// given twice, more than eight members), which the caller reads the general way. Text
/// read here is text serde_json reads as the same object, so both readings agree
/// (`flat_tests.rs` compares them).
pub(super) fn members<'a>(raw: &'a [u8], known: impl Fn(&[u8]) -> bool) -> Option<Flat<'a>> {
    let mut r = Reader {
        s: raw.strip_prefix(b"\"")?.strip_suffix(b"\"")?,
    };
    let mut flat = Flat {
        members: [(&[][..], &[][..]); MAX],
        len: 0,
    };
    r.expect(b"{")?;
    if r.eat(b"}") {
        return r.s.is_empty().then_some(flat);
    }
    loop {
        r.expect(b"\\\"")?;
        let key = r.key()?;
        r.expect(b":")?;
        let value = r.value()?;
        let twice = flat.get(key).is_some() && known(key);
        if twice || flat.len == MAX {
            return None;
        }
        flat.members[flat.len] = (key, value);
        flat.len += 1;
        if r.eat(b"}") {
            return r.s.is_empty().then_some(flat);
        }
        r.expect(b",")?;
    }
}

/// A cursor over the literal's contents that steps over spaces before each token.
struct Reader<'a> {
    s: &'a [u8],
}

impl<'a> Reader<'a> {
    fn spaces(&mut self) {
        let n = self.s.iter().take_while(|&&b| b == b' ').count();
        self.s = &self.s[n..];
        // Trailing spaces belong to nothing; `members` checks the end after them.
    }

    fn eat(&mut self, token: &[u8]) -> bool {
        self.spaces();
        let yes = self.s.starts_with(token);
        if yes {
            self.s = &self.s[token.len()..];
            self.spaces();
        }
        yes
    }

    fn expect(&mut self, token: &[u8]) -> Option<()> {
        self.eat(token).then_some(())
    }

    /// A key's text up to its closing `\"`: no other escape, quote or control byte.
    fn key(&mut self) -> Option<&'a [u8]> {
        // One pass: the first byte that is not plain key text must be the backslash.
        let n = (self.s.iter()).position(|&b| b == b'\\' || b == b'"' || b < 0x20)?;
        let key = &self.s[..n];
        self.s = self.s[n..].strip_prefix(b"\\\"")?;
        Some(key)
    }

    /// A number (JSON's grammar, as serde_json checks it) or `null`.
    fn value(&mut self) -> Option<&'a [u8]> {
        self.spaces();
        let n = (self.s.iter())
            .take_while(|b| matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
            .count();
        let n = if n == 0 && self.s.starts_with(b"null") {
            4
        } else {
            n
        };
        let v = &self.s[..n];
        if v != b"null" && (!spanlens_json::valid_number(v) || may_overflow(v)) {
            return None;
        }
        self.s = &self.s[n..];
        Some(v)
    }
}

/// Whether serde_json may refuse the number `t` (valid JSON) as out of range: only one of
/// magnitude near f64's limit (1.8e308) can be. Such an object is refused by a `Value`
/// reading as a whole, so it must not be read member by member either.
fn may_overflow(t: &[u8]) -> bool {
    let t = t.strip_prefix(b"-").unwrap_or(t);
    let whole = t.iter().take_while(|b| b.is_ascii_digit()).count() as i64;
    let exp = match t.iter().position(|b| matches!(b, b'e' | b'E')) {
        None => 0,
        Some(i) => {
            let e = &t[i + 1..];
            let (minus, digits) = match e.split_first() {
                Some((b'-', d)) => (true, d),
                Some((b'+', d)) => (false, d),
                _ => (false, e),
            };
            let v = (digits.iter().take(6)).fold(0i64, |v, d| v * 10 + i64::from(d - b'0'));
            let v = if digits.len() > 6 { 1_000_000 } else { v };
            if minus { -v } else { v }
        }
    };
    whole + exp > 300
}

/// Whether a JSON text holds a number `may_overflow` flags (strings are looked in too:
/// a false alarm only costs a check): one with an exponent, or more than 300 digits.
///
/// PERF: called on every usage object of MLflow 2's provider responses, so only the
/// `e`s are looked at, and every 300th byte for long runs of digits (a run of more than
/// 300 holds one of them), not every byte: a byte-by-byte scan was 4% of that load.
pub(super) fn text_may_overflow(text: &[u8]) -> bool {
    let digit = |i: usize| text.get(i).is_some_and(u8::is_ascii_digit);
    let exponent = memchr::memchr2_iter(b'e', b'E', text).any(|i| {
        if i == 0 || !digit(i - 1) {
            return false;
        }
        let mantissa = |b: &u8| matches!(b, b'0'..=b'9' | b'.' | b'-');
        let start = text[..i]
            .iter()
            .rposition(|b| !mantissa(b))
            .map_or(0, |p| p + 1);
        let exp = text[i + 1..]
            .iter()
            .take_while(|b| matches!(b, b'0'..=b'9' | b'+' | b'-'));
        may_overflow(&text[start..i + 1 + exp.count()])
    });
    let long_run = (300..text.len())
        .step_by(300)
        .filter(|&i| digit(i))
        .any(|i| {
            let before = text[..i]
                .iter()
                .rev()
                .take_while(|b| b.is_ascii_digit())
                .count();
            let after = text[i..].iter().take_while(|b| b.is_ascii_digit()).count();
            before + after > 300
        });
    exponent || long_run
}

#[cfg(test)]
#[path = "flat_tests.rs"]
mod tests;
