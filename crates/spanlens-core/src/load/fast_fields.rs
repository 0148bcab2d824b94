//! What the fast readers of whole records (MLflow documents, LangSmith runs) share when
//! they walk a text over the SIMD token index: members by key, array elements, values as
//! their JSON text, and the first occurrence of a key winning, as `RawObject::get` finds.

use crate::load::fastjson::Tokens;

/// Why a fast reader gave up on a text (counted as a slow path by that reason).
pub(crate) type Why = &'static str;

/// A reader walking one text over its token index.
pub(crate) trait FieldWalk<'t>: Sized {
    fn tokens(&mut self) -> &mut Tokens<'t>;
    /// The text the token offsets point into.
    fn text(&self) -> &'t str;
    /// Records why the walk is about to give up.
    fn set_why(&mut self, why: Why);

    /// An object: `f` reads the value of each key. Keys with escapes are left to serde,
    /// which decodes them.
    fn object(&mut self, mut f: impl FnMut(&mut Self, &'t str) -> Option<()>) -> Option<()> {
        if self.tokens().open(b'{', b'}')? {
            loop {
                let quoted = self.tokens().peek() == Some(b'"');
                let Some(key) = self.tokens().key() else {
                    if quoted {
                        self.set_why("escaped key");
                    }
                    return None;
                };
                f(self, key)?;
                if !self.tokens().next_member(b'}')? {
                    break;
                }
            }
        }
        Some(())
    }

    /// An array: `f` reads each element.
    fn array(&mut self, mut f: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        if self.tokens().open(b'[', b']')? {
            loop {
                f(self)?;
                if !self.tokens().next_member(b']')? {
                    break;
                }
            }
        }
        Some(())
    }

    /// Gives up for `why`.
    fn give_up<T>(&mut self, why: Why) -> Option<T> {
        self.set_why(why);
        None
    }

    /// True when the next value starts with byte `c`.
    fn is_next(&mut self, c: u8) -> bool {
        self.tokens().peek() == Some(c)
    }

    /// Any value, as its JSON text.
    fn raw(&mut self) -> Option<&'t str> {
        let (a, b) = self.tokens().value()?;
        self.text().get(a as usize..b as usize)
    }
}

/// Keeps the first occurrence of a key's value (`RawObject::get` finds the first).
pub(crate) fn first<'t>(slot: &mut Option<&'t str>, v: &'t str) {
    slot.get_or_insert(v);
}

/// The members named `key` at the top of the object `text`, read over the token index:
/// the first one's JSON text (`None` when there is none) and whether `key` comes again.
/// `None` when the fast reader is off or does not read `text` whole as one object (an
/// escaped key, bad JSON), for serde_json to read.
pub(crate) fn top_member<'t>(text: &'t str, key: &str) -> Option<(Option<&'t str>, bool)> {
    let (found, again, _) = top_member_read(text, key, |_| ())?;
    Some((found, again))
}

/// As `top_member`, and what `read` gives when it walks the member's value over the same
/// index (the cursor at that value), called only when `key` comes once: a reader of what
/// is inside the value needs no second index.
pub(crate) fn top_member_read<'t, R>(
    text: &'t str,
    key: &str,
    read: impl FnOnce(&mut Tokens<'_>) -> R,
) -> Option<(Option<&'t str>, bool, Option<R>)> {
    if !crate::load::fastjson::enabled() {
        return None;
    }
    crate::load::fastjson::with_index(text.as_bytes(), |idx| {
        let mut t = Tokens::new(text, idx);
        let (mut found, mut at, mut again) = (None, 0, false);
        if t.open(b'{', b'}')? {
            loop {
                let k = t.key()?;
                let before = t.position();
                let (a, b) = t.value()?;
                if k == key {
                    again |= found.is_some();
                    if found.is_none() {
                        at = before;
                    }
                    // Sliced from `text`, not through the walk, so it outlives the index.
                    found = found.or(Some(text.get(a as usize..b as usize)?));
                }
                if !t.next_member(b'}')? {
                    break;
                }
            }
        }
        if !t.done() {
            return None;
        }
        let read = (found.is_some() && !again).then(|| {
            t.rewind(at);
            read(&mut t)
        });
        Some((found, again, read))
    })
}
