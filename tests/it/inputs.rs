//! Input sources and their limits: truncated `.gz`/`.zst` load what decompressed and say
//! where they broke off; blank lines, pipes and devices are not "empty files"; directory
//! entries that are not files are reported; decompression bombs stop with a clear error.

use crate::common::*;
use spanlens::load::{self, LoadOptions};
use spanlens_synth::GenFormat;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn gzip(text: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text).unwrap();
    gz.finish().unwrap()
}

fn zstd(text: &[u8]) -> Vec<u8> {
    zstd::encode_all(text, 1).unwrap()
}

/// Spans in the complete lines of what a damaged stream decompresses to, as `zcat` shows.
fn spans_in_complete_lines(name: &str, packed: &[u8], gz: bool) -> usize {
    use std::io::Read;
    let mut text = Vec::new();
    let mut buf = [0u8; 4096];
    let mut r: Box<dyn Read> = if gz {
        Box::new(flate2::read::MultiGzDecoder::new(packed))
    } else {
        Box::new(zstd::stream::read::Decoder::new(packed).unwrap())
    };
    while let Ok(n) = r.read(&mut buf) {
        if n == 0 {
            break;
        }
        text.extend_from_slice(&buf[..n]);
    }
    let end = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    load_text(name, &text[..end]).spans.len()
}

#[test]
fn a_truncated_gz_or_zst_loads_what_decompressed_and_reports_the_cut() {
    let text = generated(3000, GenFormat::Otlp);
    let whole = load_text("whole.otlp.jsonl", &text).spans.len();
    for (name, packed, gz) in [
        ("cut.otlp.jsonl.gz", gzip(&text), true),
        ("cut.otlp.jsonl.zst", zstd(&text), false),
    ] {
        let cut = &packed[..packed.len() * 6 / 10];
        let complete = spans_in_complete_lines(name, cut, gz);
        assert!(
            complete > 0 && complete < whole,
            "{name}: {complete} of {whole}"
        );
        let path = temp_file(name, cut);
        let set = load::load(
            std::slice::from_ref(&path),
            &LoadOptions::default(),
            &|_| {},
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            set.spans.len() >= complete && set.spans.len() < whole,
            "{name}: loaded {} spans, zcat's complete lines hold {complete}",
            set.spans.len()
        );
        let w = warnings(&set);
        let at = format!("compressed byte {}", cut.len());
        assert!(
            w.iter()
                .any(|w| w.contains(&*path.to_string_lossy()) && w.contains(&at)),
            "{name}: the cut is named: {w:?}"
        );
    }
}

#[test]
fn blank_lines_past_the_sniff_window_are_not_an_empty_file() {
    let blank = vec![b'\n'; 100 << 10];
    let otlp = generated(50, GenFormat::Otlp);
    let plain = load_text("plain.otlp.jsonl", &otlp).spans.len();
    let set = load_text("blank.otlp.jsonl", &[&blank[..], &otlp[..]].concat());
    assert_eq!(set.spans.len(), plain);
    // Compressed too, where the text arrives as it is decompressed.
    let set = load_text(
        "blank.otlp.jsonl.gz",
        &gzip(&[&blank[..], &otlp[..]].concat()),
    );
    assert_eq!(set.spans.len(), plain);
    // Only blank lines is an empty file, and says so.
    let path = temp_file("blank.jsonl", &blank);
    let err = load::load(&[path], &LoadOptions::default(), &|_| {}).unwrap_err();
    assert!(err.to_string().contains("only white space"), "{err}");
}

/// Runs the binary with `input` on a pipe as its stdin, killing it after `limit`.
fn run_piped(args: &[&str], input: Vec<u8>, limit: Duration) -> (Option<i32>, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_spanlens"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            child.kill().unwrap();
            panic!("spanlens {args:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let _ = writer.join();
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    (out.status.code(), text(out.stdout), text(out.stderr))
}

#[test]
fn a_pipe_is_read_as_it_comes_plain_or_compressed() {
    let otlp = generated(200, GenFormat::Otlp);
    let want = load_text("pipe.otlp.jsonl", &otlp).spans.len();
    let spans = format!("{want} spans");
    let limit = Duration::from_secs(60);
    // `/dev/stdin` is what `<(zcat x.gz)` looks like: a path that is a pipe.
    for path in ["/dev/stdin", "-"] {
        for (what, bytes) in [("plain", otlp.clone()), ("gzip", gzip(&otlp))] {
            let (code, out, err) = run_piped(&["summary", path], bytes, limit);
            assert_eq!(code, Some(0), "{path} {what}: {err}");
            assert!(out.contains(&spans), "{path} {what}: {out}");
        }
    }
}

#[test]
fn an_endless_device_is_a_clear_error_in_bounded_time() {
    if !std::path::Path::new("/dev/urandom").exists() {
        eprintln!("skipped: no /dev/urandom");
        return;
    }
    let start = Instant::now();
    let out = run_spanlens(&["summary", "/dev/urandom"], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("/dev/urandom") && err.contains("not a trace file"),
        "{err}"
    );
    assert!(!err.contains("empty file"), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}

/// `/dev/urandom` opens with `{` or `[` once in 128 runs: such an endless binary stream
/// must still be refused from its first bytes, not read whole as a JSON document.
#[test]
fn an_endless_binary_stream_opening_like_json_is_refused_at_once() {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_spanlens"))
        .args(["summary", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        // A xorshift stream: binary, endless until spanlens stops reading.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut block = vec![0u8; 1 << 16];
        for n in 0.. {
            for b in block.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = (x >> 32) as u8;
            }
            if n == 0 {
                block[0] = b'{';
            }
            if start.elapsed() > Duration::from_secs(30) || stdin.write_all(&block).is_err() {
                return;
            }
        }
    });
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("not a trace file: binary content"), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
    writer.join().unwrap();
}

#[test]
fn directory_entries_that_are_not_files_are_reported() {
    let good = temp_file("good.otlp.jsonl", &generated(20, GenFormat::Otlp));
    let dir = good.parent().unwrap();
    let fifo = dir.join("pipe.jsonl");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo {}", fifo.display());
    let _socket = std::os::unix::net::UnixListener::bind(dir.join("sock.jsonl")).unwrap();
    std::os::unix::fs::symlink(dir.join("nowhere"), dir.join("broken.jsonl")).unwrap();
    let set = load_paths(&[dir.to_owned()]);
    assert_eq!(set.spans.len(), 20);
    let w = warnings(&set);
    for (name, what) in [
        ("pipe.jsonl", "named pipe"),
        ("sock.jsonl", "socket"),
        ("broken.jsonl", "broken symbolic link"),
    ] {
        assert!(
            w.iter().any(|w| w.contains(name) && w.contains(what)),
            "{name}: {w:?}"
        );
    }
}

/// A few hundred megabytes of newlines, compressed to a few hundred kilobytes.
fn bomb(mb: usize) -> Vec<u8> {
    let mut enc = zstd::stream::write::Encoder::new(Vec::new(), 1).unwrap();
    let block = vec![b'\n'; 1 << 20];
    for _ in 0..mb {
        enc.write_all(&block).unwrap();
    }
    enc.finish().unwrap()
}

#[test]
fn a_decompression_bomb_stops_with_a_clear_error_never_an_abort() {
    let packed = bomb(96);
    let path = temp_file("bomb.jsonl.zst", &packed);
    let path = path.to_str().unwrap();
    let limit = Duration::from_secs(60);
    for args in [
        vec!["summary", path, "--max-decompressed", "16M"],
        vec!["summary", "-", "--max-decompressed", "16M"],
        vec!["search", "x", "-", "--max-decompressed", "16M"],
    ] {
        let (code, _, err) = run_piped(&args, packed.clone(), limit);
        assert_eq!(code, Some(2), "{args:?}: exit 2, not a signal: {err}");
        assert!(
            err.contains("limit of 16.0 MiB") && err.contains("--max-decompressed"),
            "{args:?}: {err}"
        );
        assert!(
            !err.contains("panicked") && !err.contains("memory allocation"),
            "{err}"
        );
    }
    // Raised, it loads (and the newlines are only an empty file).
    let (code, _, err) = run_piped(
        &["summary", path, "--max-decompressed", "1G"],
        vec![],
        limit,
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("only white space"), "{err}");
    let help = run_spanlens(&["summary", "--help"], &[]);
    assert!(String::from_utf8_lossy(&help.stdout).contains("--max-decompressed <SIZE>"));
}

/// One damaged copy of a parquet file: bytes flipped anywhere, in the footer or in the
/// first pages, a range zeroed, or the file cut short.
fn damage_parquet(data: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut b = data.to_vec();
    let n = b.len();
    match rng.below(8) {
        0..4 => {
            for _ in 0..1 + rng.below(3) {
                let i = rng.below(n);
                b[i] = rng.next() as u8;
            }
        }
        4 => {
            for _ in 0..1 + rng.below(4) {
                let i = n - 1 - rng.below(2048.min(n));
                b[i] = rng.next() as u8;
            }
        }
        5 => {
            for _ in 0..1 + rng.below(4) {
                let i = 4 + rng.below(n / 10);
                b[i] = rng.next() as u8;
            }
        }
        6 => {
            let at = rng.below(n);
            let end = (at + 1 + rng.below(64)).min(n);
            b[at..end].fill(0);
        }
        _ => b.truncate(rng.below(n)),
    }
    b
}

/// Damaged parquet never prints a panic or a backtrace and never hangs: each file is a
/// one-line warning (or loads what it can). Seeded, with a fixed number of mutants.
#[test]
fn damaged_parquet_is_a_one_line_error_in_bounded_time() {
    let sources = [
        generated(40, GenFormat::Parquet),
        generated(120, GenFormat::Parquet),
    ];
    let dir = temp_file("keep", b"").parent().unwrap().join("damaged");
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = Rng(0x5eed_9a7c);
    for i in 0..160 {
        let data = &sources[i % sources.len()];
        let name = dir.join(format!("m{i:03}.parquet"));
        std::fs::write(name, damage_parquet(data, &mut rng)).unwrap();
    }
    let start = Instant::now();
    let (code, out, err) = run_piped(
        &["summary", dir.to_str().unwrap()],
        vec![],
        Duration::from_secs(60),
    );
    eprintln!("160 damaged parquet files in {:?}", start.elapsed());
    assert!(matches!(code, Some(0 | 2)), "{code:?}: {err}");
    for text in [&out, &err] {
        for bad in ["panicked", "backtrace", "RUST_BACKTRACE"] {
            assert!(!text.contains(bad), "{bad}: {text}");
        }
    }
    // Every file is accounted for: loaded, or named in a warning.
    let named = (0..160).filter(|i| {
        let name = format!("m{i:03}.parquet");
        out.contains(&name) || err.contains(&name)
    });
    assert_eq!(named.count(), 160, "{out}\n{err}");
    // The mutants reach the reader's panics (caught, one line each, naming the row group).
    let caught: Vec<&str> = (out.lines().chain(err.lines()))
        .filter(|l| l.contains("reader failed"))
        .collect();
    assert!(!caught.is_empty(), "no mutant made the reader panic: {out}");
    assert!(caught.iter().all(|l| l.contains("row group")), "{caught:?}");
}
