//! libFuzzer target: any bytes, written to a file and loaded with format detection, must
//! load or fail with an error, never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spanlens_core::load::{self, LoadOptions};

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("spanlens-fuzz-{}.bin", std::process::id()));
    std::fs::write(&path, data).expect("write input");
    let _ = load::load(&[path], &LoadOptions::default(), &|_| {});
});
