//! Stage 2 of the fast JSON reader: a cursor over the token index, with the checks
//! serde_json makes (grammar, numbers, literals, nesting depth), so that text it accepts is
//! exactly text serde_json accepts. Every method returns `None` on anything unexpected and
//! the caller falls back to serde_json; nothing here panics on any input.

/// Nesting deeper than this is left to serde_json (its limit is 128).
const MAX_DEPTH: u32 = 100;

/// Byte positions `start..end` of a value or of a string's contents in the text.
pub type Range = (u32, u32);

pub struct Tokens<'a> {
    text: &'a str,
    idx: &'a [u32],
    i: usize,
}

impl<'a> Tokens<'a> {
    pub fn new(text: &'a str, idx: &'a [u32]) -> Tokens<'a> {
        Tokens { text, idx, i: 0 }
    }

    /// The first byte of the next token.
    #[inline(always)]
    pub fn peek(&self) -> Option<u8> {
        let &p = self.idx.get(self.i)?;
        self.text.as_bytes().get(p as usize).copied()
    }

    /// True when every token has been read.
    #[inline(always)]
    pub fn done(&self) -> bool {
        self.i == self.idx.len()
    }

    /// Consumes the next token if it is `c`.
    #[inline(always)]
    pub fn eat(&mut self, c: u8) -> bool {
        let yes = self.peek() == Some(c);
        self.i += yes as usize;
        yes
    }

    /// Consumes `c` or fails.
    #[inline(always)]
    pub fn expect(&mut self, c: u8) -> Option<()> {
        self.eat(c).then_some(())
    }

    /// A string: the range of its contents, without the quotes.
    #[inline(always)]
    pub fn string(&mut self) -> Option<Range> {
        if self.peek() != Some(b'"') {
            return None;
        }
        let open = self.idx[self.i];
        // The index holds a string's two quotes one after the other (nothing inside a
        // string is a token), and strings are always read whole, so a quote at the cursor
        // opens a string and the next entry closes it.
        let &close = self.idx.get(self.i + 1)?;
        debug_assert_eq!(self.text.as_bytes().get(close as usize), Some(&b'"'));
        self.i += 2;
        Some((open + 1, close))
    }

    /// A string with no escapes, as text: the strings that are compared or stored.
    #[inline(always)]
    pub fn plain_str(&mut self) -> Option<&'a str> {
        let (a, b) = self.string()?;
        let s = self.text.get(a as usize..b as usize)?;
        (!has_backslash(s.as_bytes())).then_some(s)
    }

    /// A string with its escapes decoded as serde_json decodes a `&str` or `Cow<str>`:
    /// borrowed when it has none. `None` where serde_json would refuse to decode it (a
    /// surrogate escape without its pair).
    #[inline(always)]
    pub fn str_cow(&mut self) -> Option<std::borrow::Cow<'a, str>> {
        let (a, b) = self.string()?;
        let s = self.text.get(a as usize..b as usize)?;
        if has_backslash(s.as_bytes()) {
            super::unescape(s).map(std::borrow::Cow::Owned)
        } else {
            Some(std::borrow::Cow::Borrowed(s))
        }
    }

    /// Where the cursor is, to come back to with `rewind`.
    pub fn position(&self) -> usize {
        self.i
    }

    /// Moves the cursor back to `at` (a `position` taken before), to look again at what a
    /// failed read consumed. Positions past the cursor are ignored.
    pub fn rewind(&mut self, at: usize) {
        self.i = self.i.min(at);
    }

    /// Whether the next token is a string holding a backslash (not consumed): an escaped
    /// key or name, which callers tell apart from a wrong type when they give up.
    pub fn escaped_string_next(&self) -> bool {
        let (Some(&open), Some(&close)) = (self.idx.get(self.i), self.idx.get(self.i + 1)) else {
            return false;
        };
        self.peek() == Some(b'"')
            && (self.text.as_bytes().get(open as usize + 1..close as usize))
                .is_some_and(has_backslash)
    }

    /// Whether the next token starts a value (of whatever type), not a comma, colon or
    /// closing bracket: a reader that expected another type meets a wrong type, not bad
    /// JSON.
    pub fn value_next(&self) -> bool {
        matches!(
            self.peek(),
            Some(b'{' | b'[' | b'"' | b't' | b'f' | b'n' | b'-' | b'0'..=b'9')
        )
    }

    /// An object key and its colon.
    #[inline(always)]
    pub fn key(&mut self) -> Option<&'a str> {
        let k = self.plain_str()?;
        self.expect(b':')?;
        Some(k)
    }

    /// After a member or element: `true` if another follows (`,` eaten), `false` at the
    /// closing `close` (eaten).
    #[inline(always)]
    pub fn next_member(&mut self, close: u8) -> Option<bool> {
        if self.eat(b',') {
            return Some(true);
        }
        self.expect(close)?;
        Some(false)
    }

    /// Opens an object or array: `true` if it has members, `false` if it closed at once.
    #[inline(always)]
    pub fn open(&mut self, open: u8, close: u8) -> Option<bool> {
        self.expect(open)?;
        Some(!self.eat(close))
    }

    /// Consumes `null` if it is next.
    #[inline(always)]
    pub fn null(&mut self) -> bool {
        let yes = self.peek() == Some(b'n') && self.scalar_text() == Some(b"null".as_slice());
        self.i += yes as usize;
        yes
    }

    /// The bytes of the scalar token at the cursor (not consumed), trailing space trimmed.
    #[inline(always)]
    fn scalar_text(&self) -> Option<&'a [u8]> {
        let start = *self.idx.get(self.i)? as usize;
        let end = (self.idx.get(self.i + 1)).map_or(self.text.len(), |&e| e as usize);
        let t = self.text.as_bytes().get(start..end)?;
        // JSON's white space only: a form feed (which `is_ascii_whitespace` allows) after
        // a number is an error, as serde_json says.
        let n = t
            .iter()
            .rposition(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))?
            + 1;
        Some(&t[..n])
    }

    /// Any value, checked all the way down: its byte range in the text.
    pub fn value(&mut self) -> Option<Range> {
        let start = *self.idx.get(self.i)?;
        match self.peek()? {
            b'"' => self.string().map(|(_, b)| (start, b + 1)),
            b'{' | b'[' => self.container().map(|end| (start, end)),
            _ => {
                let t = self.scalar_text()?;
                if !valid_scalar(t) {
                    return None;
                }
                self.i += 1;
                Some((start, start + t.len() as u32))
            }
        }
    }

    /// `{"key": "K", "value": {"T": "V"}}` at the cursor, an OTLP attribute with a string
    /// value as exporters write it (integers are strings too): the key `K` (without
    /// escapes) and the range of the value object; `None` and nothing read for any other
    /// shape. PERF: attributes are half the tokens of a span; this reads one with fixed
    /// offsets instead of the general walk.
    #[inline(always)]
    pub fn otlp_attribute(&mut self) -> Option<(&'a str, Range)> {
        let found = (self.compact_attribute()).or_else(|| self.spaced_attribute())?;
        self.i += 18;
        Some(found)
    }

    /// `otlp_attribute` written without white space, as exporters write it: its bytes
    /// are checked at four entries, which fix where the other fourteen are (a correct
    /// index holds every quote and structural outside strings, and nothing inside).
    /// PERF: a third of the instructions of checking the eighteen bytes one by one.
    #[inline(always)]
    pub(crate) fn compact_attribute(&self) -> Option<(&'a str, Range)> {
        let idx = self.idx.get(self.i..self.i + 18)?;
        let bytes = self.text.as_bytes();
        let at = |k: usize, lit: &[u8]| {
            (bytes.get(idx[k] as usize..idx[k] as usize + lit.len())) == Some(lit)
        };
        if !(at(0, b"{\"key\":\"")
            && at(5, b"\",\"value\":{\"")
            && at(12, b"\":\"")
            && at(15, b"\"}}"))
        {
            return None;
        }
        let key = self.text.get(idx[4] as usize + 1..idx[5] as usize)?;
        if has_backslash(key.as_bytes()) {
            return None;
        }
        Some((key, (idx[10], idx[16] + 1)))
    }

    /// `otlp_attribute` in any spacing, checked entry by entry; nothing read.
    #[inline(always)]
    pub(crate) fn spaced_attribute(&self) -> Option<(&'a str, Range)> {
        // { "key" : "K" , "value" : { "T" : "V" } }: 18 entries, quotes in pairs.
        let idx = self.idx.get(self.i..self.i + 18)?;
        let bytes = self.text.as_bytes();
        let shape = b"{\"\":\"\",\"\":{\"\":\"\"}}";
        for (k, &want) in shape.iter().enumerate() {
            if bytes.get(idx[k] as usize) != Some(&want) {
                return None;
            }
        }
        let inner = |open: usize| {
            self.text
                .get(idx[open] as usize + 1..idx[open + 1] as usize)
        };
        if inner(1)? != "key" || inner(7)? != "value" {
            return None;
        }
        let key = inner(4)?;
        if has_backslash(key.as_bytes()) {
            return None;
        }
        Some((key, (idx[10], idx[16] + 1)))
    }

    /// An object or array at the cursor, walked without recursion: the position after it.
    fn container(&mut self) -> Option<u32> {
        // One bit per open level: 1 for an object, 0 for an array.
        let mut stack: u128 = 0;
        let mut depth = 0u32;
        loop {
            // A value starts here.
            match self.peek()? {
                open @ (b'{' | b'[') => {
                    let object = open == b'{';
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return None;
                    }
                    stack = stack << 1 | object as u128;
                    let close = if object { b'}' } else { b']' };
                    if self.open(open, close)? {
                        if object {
                            self.member_key()?;
                        }
                        continue;
                    }
                    // Empty: fall through to what follows a value.
                    depth -= 1;
                    stack >>= 1;
                }
                b'"' => {
                    self.string()?;
                }
                _ => {
                    self.value()?;
                }
            }
            // What follows a value: a comma, or the closing of its container.
            loop {
                if depth == 0 {
                    return Some(*self.idx.get(self.i - 1)? + 1);
                }
                let object = stack & 1 == 1;
                let close = if object { b'}' } else { b']' };
                if self.next_member(close)? {
                    if object {
                        self.member_key()?;
                    }
                    break;
                }
                depth -= 1;
                stack >>= 1;
            }
        }
    }

    /// A key inside a value being skipped: any string (escapes allowed), then `:`.
    fn member_key(&mut self) -> Option<()> {
        self.string()?;
        self.expect(b':')
    }
}

/// Positions of the cursor in the text, for readers that keep a value's text after
/// walking into it (the MLflow reader keeps a trace's `info` whole and reads its fields).
impl Tokens<'_> {
    /// Where the next token starts (`None` when every token has been read).
    #[inline(always)]
    pub fn next_offset(&self) -> Option<u32> {
        self.idx.get(self.i).copied()
    }

    /// Steps over the next `n` tokens when the last of them starts at byte `last`: a value
    /// whose text is byte for byte one read before (with `n` tokens, ending at `last`) has
    /// the same tokens, so it need not be walked again. `false`, and nothing read, when
    /// the index says otherwise.
    #[inline(always)]
    pub fn skip_known(&mut self, n: usize, last: u32) -> bool {
        let yes = n > 0 && self.idx.get(self.i + n - 1) == Some(&last);
        self.i += if yes { n } else { 0 };
        yes
    }

    /// Just after the last token read: after a closing bracket, the end of its container.
    #[inline(always)]
    pub fn end_of_last(&self) -> Option<u32> {
        let last = self.i.checked_sub(1)?;
        self.idx.get(last).map(|&p| p + 1)
    }
}

/// Whether `s` holds a backslash. PERF: a word at a time; these strings (keys, ids,
/// names) are short, and memchr's setup costs more than the scan.
#[inline(always)]
fn has_backslash(s: &[u8]) -> bool {
    use super::words::{all, has_zero, splat};
    !all(s, |x| !has_zero(x ^ splat(b'\\')), |b| b != b'\\')
}

/// `true`, `false`, `null` or a JSON number.
fn valid_scalar(t: &[u8]) -> bool {
    matches!(t, b"true" | b"false" | b"null") || valid_number(t)
}

/// JSON's number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
pub fn valid_number(t: &[u8]) -> bool {
    let digits = |t: &[u8], i: usize| i + t[i..].iter().take_while(|b| b.is_ascii_digit()).count();
    let mut i = usize::from(t.first() == Some(&b'-'));
    match t.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits(t, i),
        _ => return false,
    }
    if t.get(i) == Some(&b'.') {
        let j = digits(t, i + 1);
        if j == i + 1 {
            return false;
        }
        i = j;
    }
    if matches!(t.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(t.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let j = digits(t, i);
        if j == i {
            return false;
        }
        i = j;
    }
    i == t.len()
}

#[cfg(test)]
#[path = "tokens_tests.rs"]
mod tests;
