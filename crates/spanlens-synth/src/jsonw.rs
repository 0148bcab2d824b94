//! Writing JSON straight into a byte buffer: string escapes, and comma-separated members,
//! without building values. Generation speed depends on this.

/// Appends `s` escaped for the inside of a JSON string.
pub fn escape(out: &mut Vec<u8>, s: &[u8]) {
    let mut run = 0;
    for (i, &b) in s.iter().enumerate() {
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        out.extend_from_slice(&s[run..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 15)]);
            }
        }
        run = i + 1;
    }
    out.extend_from_slice(&s[run..]);
}

/// Appends `s` as a JSON string literal.
pub fn str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    escape(out, s.as_bytes());
    out.push(b'"');
}

/// Appends a decimal number.
pub fn num(out: &mut Vec<u8>, v: impl itoa_like::Int) {
    v.write(out);
}

/// Integer formatting without allocation.
pub mod itoa_like {
    pub trait Int {
        fn write(self, out: &mut Vec<u8>);
    }

    fn write_u64(out: &mut Vec<u8>, mut v: u64) {
        let mut buf = [0u8; 20];
        let mut i = buf.len();
        loop {
            i -= 1;
            buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        out.extend_from_slice(&buf[i..]);
    }

    impl Int for u64 {
        fn write(self, out: &mut Vec<u8>) {
            write_u64(out, self);
        }
    }

    impl Int for u32 {
        fn write(self, out: &mut Vec<u8>) {
            write_u64(out, u64::from(self));
        }
    }

    impl Int for usize {
        fn write(self, out: &mut Vec<u8>) {
            write_u64(out, self as u64);
        }
    }

    impl Int for i64 {
        fn write(self, out: &mut Vec<u8>) {
            if self < 0 {
                out.push(b'-');
            }
            write_u64(out, self.unsigned_abs());
        }
    }
}

/// OTLP `attributes: [{"key": …, "value": {…}}]` members.
pub struct Attrs<'a> {
    pub out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Attrs<'a> {
    /// Opens the array (`"attributes":[`).
    pub fn open(out: &'a mut Vec<u8>) -> Self {
        out.extend_from_slice(b"\"attributes\":[");
        Attrs { out, first: true }
    }

    fn head(&mut self, k: &str, ty: &str) {
        if !std::mem::take(&mut self.first) {
            self.out.push(b',');
        }
        self.out.extend_from_slice(b"{\"key\":");
        str(self.out, k);
        self.out.extend_from_slice(b",\"value\":{\"");
        self.out.extend_from_slice(ty.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    pub fn s(&mut self, k: &str, v: &str) {
        self.head(k, "stringValue");
        str(self.out, v);
        self.out.extend_from_slice(b"}}");
    }

    /// `intValue`, a decimal string as OTLP/JSON requires.
    pub fn i(&mut self, k: &str, v: i64) {
        self.head(k, "intValue");
        self.out.push(b'"');
        num(self.out, v);
        self.out.extend_from_slice(b"\"}}");
    }

    /// `doubleValue` from a literal (kept as text so nothing depends on float printing).
    pub fn d(&mut self, k: &str, literal: &str) {
        self.head(k, "doubleValue");
        self.out.extend_from_slice(literal.as_bytes());
        self.out.extend_from_slice(b"}}");
    }

    pub fn b(&mut self, k: &str, v: bool) {
        self.head(k, "boolValue");
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        self.out.extend_from_slice(b"}}");
    }

    pub fn strs(&mut self, k: &str, vs: &[&str]) {
        self.head(k, "arrayValue");
        self.out.extend_from_slice(b"{\"values\":[");
        for (n, v) in vs.iter().enumerate() {
            if n > 0 {
                self.out.push(b',');
            }
            self.out.extend_from_slice(b"{\"stringValue\":");
            str(self.out, v);
            self.out.push(b'}');
        }
        self.out.extend_from_slice(b"]}}}");
    }

    /// Closes the array.
    pub fn close(self) {
        self.out.push(b']');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_valid_json() {
        let mut out = b"{".to_vec();
        let mut a = Attrs::open(&mut out);
        a.s("k", "v\u{1b}\"");
        a.i("n", -42);
        a.d("t", "0.2");
        a.b("b", true);
        a.strs("l", &["x", "y"]);
        a.close();
        out.push(b'}');
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["attributes"][0]["value"]["stringValue"], "v\u{1b}\"");
        assert_eq!(v["attributes"][1]["value"]["intValue"], "-42");
        assert_eq!(
            v["attributes"][4]["value"]["arrayValue"]["values"][1]["stringValue"],
            "y"
        );
    }
}
