//! Where the sidecar lives. Beside the first input, named after it plus
//! `.feedback.jsonl`; when that directory cannot be written, or the input is stdin,
//! under `$XDG_DATA_HOME/spanlens/feedback/` with a name derived from the inputs;
//! `--feedback FILE` overrides both.

use std::path::{Path, PathBuf};

/// The places a sidecar is read from and written to, in order of preference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// `--feedback FILE`, or beside the first input (none for stdin).
    pub primary: Option<PathBuf>,
    /// Under the data directory (none with `--feedback`, or with no data directory).
    pub fallback: Option<PathBuf>,
}

/// The suffix a sidecar's name ends with.
pub const SUFFIX: &str = ".feedback.jsonl";

impl Location {
    /// The location for `inputs`; `chosen` is `--feedback`; `env` reads the environment.
    pub fn for_inputs(
        inputs: &[PathBuf],
        chosen: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Location {
        if let Some(f) = chosen {
            return Location {
                primary: Some(f.to_owned()),
                fallback: None,
            };
        }
        let first = inputs.first().filter(|p| !is_stdin(p));
        let primary = first.and_then(|p| beside(p));
        let fallback = data_dir(&env).map(|d| d.join(derived_name(inputs)));
        Location { primary, fallback }
    }

    /// Every existing place to read: the chosen file, or the default and the fallback.
    /// Only regular files: a device (`/dev/full`) may never end.
    pub fn to_read(&self) -> Vec<PathBuf> {
        (self.primary.iter().chain(&self.fallback))
            .filter(|p| p.is_file())
            .cloned()
            .collect()
    }
}

fn is_stdin(p: &Path) -> bool {
    p.as_os_str() == "-"
}

/// `run.otlp.jsonl` → `run.otlp.jsonl.feedback.jsonl`, in the same directory.
pub fn beside(input: &Path) -> Option<PathBuf> {
    let name = input.file_name()?;
    let mut name = name.to_os_string();
    name.push(SUFFIX);
    Some(input.with_file_name(name))
}

/// `$XDG_DATA_HOME/spanlens/feedback`, else `$HOME/.local/share/spanlens/feedback`.
fn data_dir(env: &impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let base = env("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(base.join("spanlens").join("feedback"))
}

/// `run.otlp.jsonl-1f2e3d4c5b6a7980.feedback.jsonl`: the first input's name and a hash of
/// every input's absolute path, so two exports named alike do not share a file; stdin
/// alone gives `stdin.feedback.jsonl`.
pub fn derived_name(inputs: &[PathBuf]) -> String {
    let Some(first) = inputs.iter().find(|p| !is_stdin(p)) else {
        return format!("stdin{SUFFIX}");
    };
    // FNV-1a: stable across releases and platforms, unlike the std hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in inputs {
        let abs = std::path::absolute(p).unwrap_or_else(|_| p.clone());
        for b in abs.as_os_str().as_encoded_bytes().iter().chain(b"\0") {
            h = (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    let stem = first
        .file_name()
        .map_or("input".into(), |n| n.to_string_lossy().into_owned());
    format!("{stem}-{h:016x}{SUFFIX}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beside_fallback_and_chosen() {
        let env = |k: &str| (k == "XDG_DATA_HOME").then(|| "/data".to_owned());
        let l = Location::for_inputs(&["/x/run.otlp.jsonl".into()], None, env);
        assert_eq!(
            l.primary.as_deref(),
            Some(Path::new("/x/run.otlp.jsonl.feedback.jsonl"))
        );
        let fb = l.fallback.unwrap();
        assert!(fb.starts_with("/data/spanlens/feedback"));
        assert!(fb.to_string_lossy().ends_with(SUFFIX));
        let l = Location::for_inputs(&["-".into()], None, env);
        assert_eq!(l.primary, None);
        assert_eq!(
            l.fallback.as_deref(),
            Some(Path::new("/data/spanlens/feedback/stdin.feedback.jsonl"))
        );
        let l = Location::for_inputs(&["a".into()], Some(Path::new("f.jsonl")), env);
        assert_eq!((l.primary.unwrap(), l.fallback), ("f.jsonl".into(), None));
        let home = |k: &str| (k == "HOME").then(|| "/home/u".to_owned());
        let l = Location::for_inputs(&["-".into()], None, home);
        assert!(
            l.fallback
                .unwrap()
                .starts_with("/home/u/.local/share/spanlens")
        );
    }
}
