//! `spanlens --follow FILE` (`-f`): the explorer on a JSON Lines export that is still being
//! written, read like `tail -F` (see `load::follow`). A file that is one JSON document,
//! or compressed, cannot be followed line by line: it is loaded once, and the status line
//! says why.

use super::{Failure, InputArgs};
use crate::load::follow::{FollowEvent, Follower, Shape, shape_of};
use crate::tui::keymap::KeyMap;
use crate::tui::live::Feed;
use crate::tui::theme::Theme;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::time::Duration;

/// How often the file is looked at. A poll of an unchanged file is one `stat`.
pub const POLL: Duration = Duration::from_millis(50);

/// Runs the explorer on `path`, following it (or loading it once when it is not JSON Lines).
pub fn explore(
    path: PathBuf,
    input: &InputArgs,
    keymap: KeyMap,
    theme: Theme,
) -> Result<(), Failure> {
    let feedback = input.feedback.clone();
    let fail = |e: anyhow::Error| Failure::new(1, crate::inert::text(&e.to_string()));
    let once = match head(&path).map(|h| shape_of(&h)) {
        Some(Shape::Document) => Some("it is one JSON document, not JSON Lines"),
        Some(Shape::Compressed) => Some("it is compressed"),
        Some(Shape::Lines) | None => None,
    };
    if let Some(why) = once {
        let set = super::load(std::slice::from_ref(&path), input)?;
        let note = format!(
            "not following {}: {why}; loaded once (following needs JSON Lines)",
            path.display()
        );
        return crate::tui::live::run_once(set, note, feedback, keymap, theme).map_err(fail);
    }
    let label = path.display().to_string();
    let start = move |tx: Sender<Feed>| follow(path, &tx);
    crate::tui::live::run_live(label, input.format, start, feedback, keymap, theme).map_err(fail)
}

/// The first 64 KB of `path`, when it can be read.
fn head(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut buf = Vec::new();
    let file = std::fs::File::open(path).ok()?;
    file.take(64 << 10).read_to_end(&mut buf).ok()?;
    Some(buf)
}

/// Polls `path` every `POLL` and feeds what it finds, until the explorer has gone.
pub fn follow(path: PathBuf, tx: &Sender<Feed>) {
    let mut follower = Follower::new(path);
    loop {
        for event in follower.poll() {
            let feed = match event {
                FollowEvent::Lines(bytes) => Feed::Lines(bytes),
                FollowEvent::Notice(msg) => Feed::Notice(msg),
            };
            if tx.send(feed).is_err() {
                return;
            }
        }
        std::thread::sleep(POLL);
    }
}
