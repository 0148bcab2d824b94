//! Tests of `load::spool`.

use super::*;
use std::os::unix::fs::FileExt;

fn spooled(text: &[u8]) -> (Arc<Spool>, File) {
    let mut packed = temp_file().unwrap();
    packed
        .write_all(&zstd::encode_all(text, 1).unwrap())
        .unwrap();
    std::io::Seek::rewind(&mut packed).unwrap();
    let len = packed.metadata().unwrap().len();
    let out = temp_file().unwrap();
    Spool::start(Box::new(packed), Some("zstd"), len, out, Budget::default()).unwrap()
}

#[test]
fn readers_get_what_is_written_and_the_end() {
    let text: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let (spool, file) = spooled(&text);
    assert_eq!(spool.wait(10).unwrap(), 10);
    assert_eq!(spool.total().unwrap(), text.len() as u64);
    assert_eq!(spool.wait(u64::MAX).unwrap(), text.len() as u64);
    let mut back = vec![0u8; text.len()];
    file.read_exact_at(&mut back, 0).unwrap();
    assert_eq!(back, text);
    let (read, of) = spool.compressed_progress();
    assert_eq!(read, of, "the whole compressed file was read");
}

#[test]
fn decompression_stops_when_the_file_is_given_up() {
    // Random bytes compress badly: 64 MB of them take a while to decompress and write.
    let mut x = 1u64;
    let text: Vec<u8> = (0..64 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let (spool, file) = spooled(&text);
    spool.wait(1).unwrap();
    let watch = Arc::downgrade(&spool);
    drop(spool);
    // The worker notices at its next step and ends, dropping its handle.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while watch.strong_count() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the worker never ended"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let written = file.metadata().unwrap().len();
    assert!(
        written < text.len() as u64,
        "wrote {written} of {}",
        text.len()
    );
}

#[test]
fn a_failed_write_says_where_and_what_to_do() {
    let spool = Arc::new(Spool {
        state: Mutex::new(State::default()),
        grown: Condvar::new(),
        read: AtomicU64::new(0),
        compressed_len: 0,
    });
    let _reader = spool.clone(); // someone still wants the text
    let path = std::env::temp_dir().join(format!("spanlens-ro-{}", std::process::id()));
    std::fs::write(&path, b"").unwrap();
    let read_only = File::open(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let end = Spool::fill(
        &spool,
        &b"some text"[..],
        read_only,
        (Budget::default(), false, free_space),
    );
    assert!(
        matches!(&end, End::Failed(e) if e.contains("set TMPDIR")),
        "{end:?}"
    );
}

#[test]
fn a_stream_cut_short_ends_with_what_decompressed_and_says_where() {
    let text = vec![b'x'; 5_000_000];
    let mut packed = zstd::encode_all(&text[..], 1).unwrap();
    packed.truncate(packed.len() / 2);
    let len = packed.len() as u64;
    let src = Box::new(std::io::Cursor::new(packed));
    let (spool, file) = Spool::start(
        src,
        Some("zstd"),
        len,
        temp_file().unwrap(),
        Budget::default(),
    )
    .unwrap();
    let total = spool.finish_reporting(&|_, _| {}).unwrap();
    assert!(total > 0 && total < text.len() as u64, "{total}");
    let cut = spool.cut().expect("the cut is reported");
    assert_eq!((cut.at, cut.compressed_at), (total, len));
    let mut back = vec![0u8; total as usize];
    file.read_exact_at(&mut back, 0).unwrap();
    assert!(back.iter().all(|&b| b == b'x'));
    // Garbage with nothing decompressed is an error, not an empty text.
    let src = Box::new(std::io::Cursor::new(vec![0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3]));
    let (spool, _) = Spool::start(
        src,
        Some("zstd"),
        7,
        temp_file().unwrap(),
        Budget::default(),
    )
    .unwrap();
    assert!(spool.total().is_err());
}

#[test]
fn the_budget_stops_a_bomb_and_a_full_disk_with_an_error() {
    // 64 MiB of newlines, compressed to a few kilobytes.
    let mut enc = zstd::stream::write::Encoder::new(Vec::new(), 1).unwrap();
    let block = vec![b'\n'; 1 << 20];
    for _ in 0..64 {
        enc.write_all(&block).unwrap();
    }
    let bomb = enc.finish().unwrap();
    let limited = Budget { max: Some(8 << 20) };
    let src = Box::new(std::io::Cursor::new(bomb));
    let (spool, file) = Spool::start(src, Some("zstd"), 0, temp_file().unwrap(), limited).unwrap();
    let err = spool.total().unwrap_err().to_string();
    assert!(err.contains("--max-decompressed"), "{err}");
    assert!(
        file.metadata().unwrap().len() <= 8 << 20,
        "stopped at the limit"
    );
    // Without a limit given: by ratio, past the floor only, and only when compressed.
    let none = Budget::default();
    assert!(none.check(FLOOR, 1, true).is_ok());
    assert!(none.check(FLOOR + 1, (FLOOR + 1) / RATIO + 1, true).is_ok());
    let err = none.check(FLOOR + 1, 1000, true).unwrap_err().to_string();
    assert!(
        err.contains("decompression bomb") && err.contains("--max-decompressed"),
        "{err}"
    );
    assert!(none.check(u64::MAX / 2, 1, false).is_ok());
    // A disk about to fill.
    let nearly_full: FreeSpace = |_| Some(MIN_FREE - 1);
    let src = Box::new(std::io::Cursor::new(vec![b'y'; 70 << 20]));
    let (spool, _) =
        Spool::start_with(src, (None, 0), temp_file().unwrap(), none, nearly_full).unwrap();
    let err = spool.total().unwrap_err().to_string();
    assert!(err.contains("left free") && err.contains("TMPDIR"), "{err}");
}
