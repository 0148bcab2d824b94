//! What the top bar says about the loaded traces: files, formats and counts. Computed once
//! per load, since it sums over traces and files, which a frame must not.

use crate::model::TraceSet;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headline {
    /// The file name, or `N files`.
    pub files: String,
    /// The formats read (`otlp,mlflow`), or `N formats` when there are many.
    pub formats: String,
    pub traces: usize,
    pub spans: usize,
    pub errors: usize,
    pub warnings: usize,
}

impl Headline {
    pub fn of(set: &TraceSet) -> Headline {
        let mut formats: Vec<&str> = set
            .files
            .iter()
            .map(|f| f.format.split(' ').next().unwrap_or(""))
            .collect();
        formats.sort_unstable();
        formats.dedup();
        let formats = if formats.len() > 3 {
            format!("{} formats", formats.len())
        } else {
            formats.join(",")
        };
        let files = match set.files.as_slice() {
            [one] => {
                let name = std::path::Path::new(&one.path).file_name();
                let name = name.map(|n| n.to_string_lossy()).unwrap_or_default();
                crate::inert::line(&name).into_owned()
            }
            many => format!("{} files", many.len()),
        };
        Headline {
            files,
            formats,
            traces: set.traces.len(),
            spans: set.total_spans(),
            errors: set.total_errors(),
            warnings: warning_count(set),
        }
    }
}

/// What the warnings popup lists: every load warning, and each kind of anomaly per trace.
pub fn warning_count(set: &TraceSet) -> usize {
    let anomalies: usize = set
        .traces
        .iter()
        .map(|t| t.anomalies.describe().len())
        .sum();
    set.diagnostics.len() + anomalies
}
