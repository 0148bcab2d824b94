//! libFuzzer target: the SIMD JSON reader accepts exactly the texts serde_json accepts.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let ours = spanlens_json::reads_whole(text);
    let serde = serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok();
    if ours {
        assert!(serde, "the fast reader accepted what serde_json rejects: {text:?}");
    }
});
