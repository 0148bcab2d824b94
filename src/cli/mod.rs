//! Command-line interface: argument parsing and the non-interactive subcommands.

pub mod diff;
pub mod feedback;
pub mod follow;
pub mod json;
pub mod listen;
pub mod search;
pub mod stats;
pub mod summary;

use crate::load::{self, Format, LoadOptions, Progress};
use crate::model::TraceSet;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Keyboard-driven terminal explorer for exported LLM and agent traces.
#[derive(Debug, Parser)]
#[command(
    name = "spanlens",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Trace files or directories to open in the explorer (`-` reads stdin).
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
    /// Follow a JSON Lines export that is still being written, like `tail -F`: new spans
    /// join the explorer as they arrive; truncation and rotation are noticed.
    #[arg(
        short = 'f',
        long = "follow",
        value_name = "PATH",
        conflicts_with = "paths"
    )]
    pub follow: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print what the files hold: formats, counts, traces, warnings.
    Summary {
        /// Trace files or directories (`-` reads stdin).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        input: InputArgs,
        /// Print one JSON object for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Compare two runs: spans aligned side by side, what changed and by how much.
    ///
    /// LEFT and RIGHT are files or directories, or FILE#TRACE_ID for one trace. With one
    /// trace a side the span trees are compared; with several, the runs (traces paired,
    /// steps compared). Without --format the diff view opens; with it the diff is printed
    /// (text for logs, md for PR comments, json for scripts). Exit status: 0, 1 when a
    /// --fail-on condition tripped, 2 when an input cannot be loaded.
    Diff {
        /// The earlier run: a file, a directory, or FILE#TRACE_ID for one trace.
        left: String,
        /// The later run, in the same forms as LEFT.
        right: String,
        /// Print the diff as text, md or json instead of opening the viewer.
        #[arg(long, value_enum, value_name = "FORMAT")]
        format: Option<diff::OutFormat>,
        /// Read both inputs as this format instead of detecting it.
        #[arg(long = "input-format", value_name = "NAME", value_parser = parse_format)]
        input_format: Option<Format>,
        /// Exit 1 when any of these comma-separated conditions trips, e.g.
        /// "errors>0,p95>+20%,step:execute_sql.p50>+50%,feedback:helpfulness<-0.5".
        #[arg(long = "fail-on", value_name = "EXPR")]
        fail_on: Option<String>,
    },
    /// Search span names, tool calls, prompts, outputs and attributes.
    ///
    /// Plain words match fuzzily; 'text matches exactly, re:… is a regular expression.
    /// Scopes: name: tool: prompt: out: attr:KEY. Filters: kind:llm status:error
    /// model:NAME dur>2s. Lower case ignores case, upper case makes it matter.
    Search {
        /// The query, e.g. "tool:get_wether" or "'rate limit status:error".
        query: String,
        /// Trace files or directories (`-` reads stdin).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        input: InputArgs,
        /// Only search this trace (an id or a unique prefix).
        #[arg(long, value_name = "TRACE_ID")]
        trace: Option<String>,
        /// At most this many hits, best first.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Print one JSON object for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Print a shell completion script: `spanlens completions bash > /etc/bash_completion.d/spanlens`.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `spanlens man > spanlens.1 && man ./spanlens.1`.
    Man,
    /// List every assessment: the export's own and those in the feedback sidecar.
    Feedback {
        /// Trace files or directories (`-` reads stdin).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        input: InputArgs,
        /// Print one JSON object for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Write a data set built from the traces.
    Export {
        #[command(subcommand)]
        what: ExportCommand,
    },
    /// Across traces: which step fails, which is slow, which tool loops, how big prompts get.
    ///
    /// Steps are sorted by errors, then p90 duration, unless --sort says otherwise.
    /// --filter keeps traces by the trace-level predicates (status:error, has:tool:NAME,
    /// has:name:TEXT, model:, dur>5s, start>2025-06-02T09:00, session:, user:, tag:).
    Stats {
        /// Trace files or directories (`-` reads stdin).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Read every input as this format instead of detecting it.
        #[arg(long = "input-format", value_name = "NAME", value_parser = parse_format)]
        input_format: Option<Format>,
        /// Print one JSON object for scripts.
        #[arg(long)]
        json: bool,
        /// Print text for a terminal or a Markdown report for an incident doc or PR.
        #[arg(long, value_enum, default_value = "text")]
        format: stats::OutFormat,
        /// Group the step table by step key, path from the root, tool, model or session.
        #[arg(long, default_value = "step", value_parser = parse_group_by)]
        by: crate::stats::GroupBy,
        /// Sort steps by a column (errors, error_rate, calls, traces, max_per_trace, p50,
        /// p90, p99, max, self, critical, tokens_in, tokens_out, cost, name).
        #[arg(long, value_parser = parse_sort_key)]
        sort: Option<crate::stats::SortKey>,
        /// At most this many rows per table (text and md: 20 unless given).
        #[arg(long)]
        limit: Option<usize>,
        /// Only traces matching these trace-level predicates.
        #[arg(long, value_name = "QUERY")]
        filter: Option<String>,
        /// Read feedback from this sidecar file (default: beside the first input).
        #[arg(long, value_name = "FILE")]
        feedback: Option<PathBuf>,
    },
    /// Receive OTLP traces from a running app and watch them arrive (an OTLP/HTTP receiver).
    ///
    /// Point the app at it with OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318. Binds
    /// loopback unless --addr names another address. --save appends every accepted request
    /// as an OTLP/JSON line (reopen it with `spanlens FILE`); --headless runs without a UI.
    Listen(listen::ListenArgs),
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// An evaluation set: every trace or span marked good or given an expected output.
    Golden {
        /// Trace files or directories (`-` reads stdin).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Read every input as this format instead of detecting it.
        #[arg(long = "input-format", value_name = "NAME", value_parser = parse_format)]
        input_format: Option<Format>,
        /// Read feedback from this sidecar file (default: beside the first input).
        #[arg(long, value_name = "FILE")]
        feedback: Option<PathBuf>,
        /// The file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// mlflow: `mlflow.genai.evaluate` data records; jsonl, csv: input/output/expected.
        #[arg(long, default_value = "mlflow", value_parser = golden_format())]
        format: crate::feedback::golden::GoldenFormat,
        /// Only items whose span (a trace's root) matches this search query.
        #[arg(long = "where", value_name = "QUERY")]
        where_: Option<String>,
    },
}

fn parse_group_by(s: &str) -> Result<crate::stats::GroupBy, String> {
    crate::stats::GroupBy::from_name(s)
        .ok_or_else(|| format!("unknown grouping '{s}'; known: step, path, tool, model, session"))
}

fn parse_sort_key(s: &str) -> Result<crate::stats::SortKey, String> {
    crate::stats::SortKey::from_name(s).ok_or_else(|| {
        format!(
            "unknown column '{s}'; known: {}",
            crate::stats::SortKey::names()
        )
    })
}

/// Options shared by every command that loads traces.
#[derive(Debug, Args, Clone, Default)]
pub struct InputArgs {
    /// Read every input as this format instead of detecting it.
    #[arg(long, value_name = "NAME", value_parser = parse_format)]
    pub format: Option<Format>,
    /// Read and save feedback in this sidecar file (default: beside the first input).
    #[arg(long, value_name = "FILE")]
    pub feedback: Option<PathBuf>,
    /// Stop a compressed input that decompresses to more than SIZE (e.g. 500M, 20G, or
    /// `none`). Without it, one that grows past 256 MiB at over 250x its compressed size
    /// is stopped as a likely decompression bomb.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_decompressed: Option<u64>,
}

/// Writes the completion script for `shell` to `out`.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn std::io::Write) {
    use clap::CommandFactory;
    clap_complete::generate(shell, &mut Cli::command(), "spanlens", out);
}

/// Writes the manual page, with a section per subcommand, to `out`.
pub fn man_page(out: &mut dyn std::io::Write) -> std::io::Result<()> {
    use clap::CommandFactory;
    let cmd = Cli::command();
    clap_mangen::Man::new(cmd.clone()).render(out)?;
    for sub in cmd.get_subcommands().filter(|c| c.get_name() != "help") {
        // clap names are `&'static str` without its `string` feature; this runs once, in a
        // process that prints the page and exits.
        let name: &'static str = Box::leak(format!("spanlens-{}", sub.get_name()).into());
        let sub = sub.clone().name(name).bin_name(name);
        clap_mangen::Man::new(sub).render(out)?;
    }
    Ok(())
}

/// `--format` of `export golden`: the names, completed and listed in `--help`.
fn golden_format()
-> impl clap::builder::TypedValueParser<Value = crate::feedback::golden::GoldenFormat> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(["mlflow", "jsonl", "csv"])
        .map(|s| s.parse().expect("one of the names listed"))
}

/// `500M`, `20G`, `1.5GiB`, `4096`, or `none` (no limit): a size in bytes (binary units).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim().to_ascii_lowercase();
    if matches!(t.as_str(), "none" | "unlimited" | "0") {
        return Ok(u64::MAX);
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let scale: u64 = match unit.trim().trim_end_matches("ib").trim_end_matches('b') {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        "t" => 1 << 40,
        _ => return Err(format!("'{s}': expected a size like 500M, 20G or none")),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("'{s}': expected a size like 500M, 20G or none"))?;
    Ok((n * scale as f64) as u64)
}

fn parse_format(s: &str) -> Result<Format, String> {
    Format::from_name(s).ok_or_else(|| format!("unknown format '{s}'; known: {}", Format::names()))
}

impl InputArgs {
    pub fn options(&self) -> LoadOptions {
        LoadOptions {
            format: self.format,
            preview: None,
            hold_text: std::env::var_os("SPANLENS_PARQUET_HOLD").is_some_and(|v| v == "1"),
            max_decompressed: self.max_decompressed,
        }
    }
}

/// Exit status when nothing at all could be loaded.
pub const EXIT_NOTHING_LOADED: i32 = 2;
/// Exit status for a query that does not parse (an unknown scope, a bad regex).
pub const EXIT_BAD_QUERY: i32 = 2;

/// How a command ends early: the message for stderr (empty when there is nothing to add)
/// and the exit status. Commands return it; only `main` prints it and exits.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl Failure {
    pub fn new(code: i32, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }

    /// Ends with `code` and nothing more to say (the report already said it).
    pub fn quiet(code: i32) -> Failure {
        Failure::new(code, "")
    }
}

/// Loads paths for a non-interactive command; nothing loadable is a `Failure` naming why.
pub fn load(paths: &[PathBuf], input: &InputArgs) -> Result<TraceSet, Failure> {
    let quiet = |_: Progress| {};
    match load::load(paths, &input.options(), &quiet) {
        Ok(mut set) => {
            crate::feedback::load_into(&mut set, paths, input.feedback.as_deref());
            Ok(set)
        }
        Err(e) => Err(Failure::new(
            EXIT_NOTHING_LOADED,
            crate::inert::text(&e.to_string()),
        )),
    }
}

/// Writes a report to stdout. A reader that stops early (`| head`) is not an error: the
/// command ends quietly with status 0, as `cat` does; any other write error is reported.
pub fn emit(text: &str) -> Result<(), Failure> {
    emit_with(|out| out.write_all(text.as_bytes()))
}

/// `emit` for a report that `write` writes piece by piece, so a big one is never held
/// whole.
pub fn emit_with(
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), Failure> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let result = write(&mut out).and_then(|()| out.flush());
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Failure::quiet(0)),
        Err(e) => Err(Failure::new(1, format!("cannot write the report: {e}"))),
    }
}
