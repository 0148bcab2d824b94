use super::*;
use std::io::Write;

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("spanlens-follow-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn lines(events: &[FollowEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            FollowEvent::Lines(b) => Some(String::from_utf8_lossy(b).into_owned()),
            FollowEvent::Notice(_) => None,
        })
        .collect()
}

fn notices(events: &[FollowEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            FollowEvent::Notice(n) => Some(n.clone()),
            FollowEvent::Lines(_) => None,
        })
        .collect()
}

#[test]
fn appended_lines_are_read_once_and_nothing_else() {
    let d = dir("append");
    let p = d.join("t.jsonl");
    append(&p, "{\"a\":1}\n");
    let mut f = Follower::new(&p);
    assert_eq!(lines(&f.poll()), "{\"a\":1}\n");
    assert!(f.poll().is_empty(), "an unchanged file gives nothing");
    append(&p, "{\"a\":2}\n{\"a\":3}\n");
    assert_eq!(lines(&f.poll()), "{\"a\":2}\n{\"a\":3}\n");
}

#[test]
fn a_partial_last_line_waits_for_its_newline() {
    let d = dir("partial");
    let p = d.join("t.jsonl");
    append(&p, "{\"a\":1}\n{\"a\":");
    let mut f = Follower::new(&p);
    let first = f.poll();
    assert_eq!(lines(&first), "{\"a\":1}\n");
    assert!(notices(&first).is_empty());
    append(&p, "2}");
    assert!(f.poll().is_empty(), "still no newline");
    append(&p, "\n");
    assert_eq!(lines(&f.poll()), "{\"a\":2}\n");
}

#[test]
fn copy_truncate_is_reported_and_read_from_the_start() {
    let d = dir("truncate");
    let p = d.join("t.jsonl");
    append(&p, "{\"a\":1}\n{\"a\":2}\n");
    let mut f = Follower::new(&p);
    f.poll();
    // copytruncate: the file is emptied in place, then written again (shorter).
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&p)
        .unwrap();
    append(&p, "{\"b\":1}\n");
    let ev = f.poll();
    assert!(notices(&ev)[0].ends_with("was truncated: reading it again from its start"));
    assert_eq!(lines(&ev), "{\"b\":1}\n");
}

#[test]
fn a_file_truncated_and_rewritten_past_its_old_size_is_noticed() {
    let d = dir("rewrite");
    let p = d.join("t.jsonl");
    append(&p, "{\"a\":1}\n");
    let mut f = Follower::new(&p);
    f.poll();
    std::fs::write(&p, "{\"b\":2222}\n{\"b\":3}\n").unwrap();
    let ev = f.poll();
    assert_eq!(notices(&ev).len(), 1, "{ev:?}");
    assert_eq!(lines(&ev), "{\"b\":2222}\n{\"b\":3}\n");
}

#[test]
fn rename_and_recreate_reads_the_old_files_rest_then_the_new_file() {
    let d = dir("rotate");
    let p = d.join("t.jsonl");
    append(&p, "{\"a\":1}\n");
    let mut f = Follower::new(&p);
    f.poll();
    append(&p, "{\"a\":2}\n"); // written just before the rotation
    std::fs::rename(&p, d.join("t.jsonl.1")).unwrap();
    append(&p, "{\"n\":1}\n");
    let ev = f.poll();
    assert_eq!(lines(&ev), "{\"a\":2}\n{\"n\":1}\n");
    assert!(notices(&ev)[0].contains("rotated"), "{ev:?}");
    append(&p, "{\"n\":2}\n");
    assert_eq!(lines(&f.poll()), "{\"n\":2}\n");
}

#[test]
fn a_file_that_does_not_exist_yet_is_waited_for() {
    let d = dir("late");
    let p = d.join("t.jsonl");
    let mut f = Follower::new(&p);
    let ev = f.poll();
    // Named by the file's name: a long directory would push the news off the status line.
    assert_eq!(notices(&ev), ["t.jsonl does not exist yet: waiting for it"]);
    assert!(f.poll().is_empty(), "said once");
    append(&p, "{\"a\":1}\n");
    let ev = f.poll();
    assert_eq!(notices(&ev), ["t.jsonl now exists: reading it"]);
    assert_eq!(lines(&ev), "{\"a\":1}\n");
}

#[test]
fn a_file_removed_and_created_again_is_read_from_its_start() {
    let d = dir("vanish");
    let p = d.join("t.jsonl");
    append(&p, "{\"a\":1}\n");
    let mut f = Follower::new(&p);
    f.poll();
    std::fs::remove_file(&p).unwrap();
    assert!(notices(&f.poll())[0].contains("removed or renamed"));
    assert!(f.poll().is_empty());
    append(&p, "{\"z\":1}\n");
    let ev = f.poll();
    assert!(notices(&ev)[0].ends_with("is back: reading it from its start"));
    assert_eq!(lines(&ev), "{\"z\":1}\n");
}

#[test]
fn an_unfinished_line_of_a_rotated_file_is_handed_on_not_dropped() {
    let d = dir("cutrotate");
    let p = d.join("t.jsonl");
    append(&p, "{\"a\":1}\n{\"a\":");
    let mut f = Follower::new(&p);
    f.poll();
    std::fs::rename(&p, d.join("old")).unwrap();
    append(&p, "{\"n\":1}\n");
    assert_eq!(lines(&f.poll()), "{\"a\":\n{\"n\":1}\n");
}

#[test]
fn shapes() {
    assert_eq!(shape_of(b""), Shape::Lines);
    assert_eq!(
        shape_of(b"{\"resourceSpans\":[]}\n{\"resourceSpans\":[]}\n"),
        Shape::Lines
    );
    assert_eq!(shape_of(b"{\"resourceSpans\":[{\"reso"), Shape::Lines);
    assert_eq!(shape_of(b"{\n  \"resourceSpans\": [\n"), Shape::Document);
    assert_eq!(shape_of(b"[{\"a\":1}]"), Shape::Document);
    assert_eq!(shape_of(&[0x1f, 0x8b, 8, 0]), Shape::Compressed);
}
