//! Tests of `load::input`.

use super::*;
use std::io::Write;

#[test]
fn gzip_and_zstd_are_detected_by_content() {
    let text = b"{\"resourceSpans\":[]}\n".to_vec();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&text).unwrap();
    let input = Input::from_bytes("x.json".into(), gz.finish().unwrap()).unwrap();
    assert_eq!(input.compression(), Some("gzip"));
    assert_eq!(*input.read_all().unwrap(), text);
    let zst = zstd::encode_all(&text[..], 1).unwrap();
    let input = Input::from_bytes("y".into(), zst).unwrap();
    assert_eq!(input.compression(), Some("zstd"));
    assert_eq!(*input.read_all().unwrap(), text);
}

#[test]
fn compressed_bytes_in_memory_cut_short_keep_what_decompressed_and_the_cut() {
    let text: Vec<u8> = (0..50_000)
        .flat_map(|i| format!("{i}\n").into_bytes())
        .collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&text).unwrap();
    let mut packed = gz.finish().unwrap();
    packed.truncate(packed.len() / 2);
    let input = Input::from_bytes("cut.gz".into(), packed.clone()).unwrap();
    let cut = input.cut().expect("the cut is kept");
    let got = input.read_all().unwrap();
    assert_eq!(cut.at, got.len() as u64);
    assert_eq!(cut.compressed_at, packed.len() as u64);
    assert!(!got.is_empty() && text.starts_with(&got));
    // In memory too, the budget holds.
    let limited = Budget { max: Some(1000) };
    let err = decompress(&packed[..], "gzip", limited).unwrap_err();
    assert!(err.to_string().contains("--max-decompressed"), "{err}");
}

#[test]
fn a_compressed_file_is_read_from_an_unlinked_temporary_file_as_it_grows() {
    let text: Vec<u8> = (0..20_000)
        .flat_map(|i| format!("line {i}\n").into_bytes())
        .collect();
    let dir = std::env::temp_dir().join(format!("spanlens-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, packed) in [
        ("t.gz", {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), Default::default());
            gz.write_all(&text).unwrap();
            gz.finish().unwrap()
        }),
        ("t.zst", zstd::encode_all(&text[..], 1).unwrap()),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, &packed).unwrap();
        let input = Input::open(&path).unwrap();
        assert!(
            matches!(input, Input::Spool { .. }),
            "{name}: not held in memory"
        );
        assert!(input.compression().is_some(), "{name}");
        assert_eq!(input.len(), text.len() as u64, "{name}");
        assert_eq!(*input.read_all().unwrap(), text, "{name}");
        assert_eq!(
            input.read_at(6, 7).unwrap(),
            b"\nline 1",
            "{name}: re-read by offset"
        );
        assert_eq!(
            input.display(),
            path.display().to_string(),
            "{name}: named as given"
        );
    }
    // Nothing is left behind in the temporary directory, even while the inputs live.
    let ours = format!("spanlens-{}-", std::process::id());
    let left = std::fs::read_dir(std::env::temp_dir()).unwrap().flatten();
    let left: Vec<_> = left
        .filter(|e| e.file_name().to_string_lossy().starts_with(&ours))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
