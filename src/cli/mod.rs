//! Command-line interface: argument parsing and the non-interactive subcommands.

pub mod diff;
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
    /// LEFT and RIGHT are files holding one trace, or FILE#TRACE_ID. Without --format the
    /// diff view opens; with it the diff is printed (text for logs, md for PR comments,
    /// json for scripts).
    Diff {
        left: String,
        right: String,
        /// Print the diff as text, md or json instead of opening the viewer.
        #[arg(long, value_enum, value_name = "FORMAT")]
        format: Option<diff::OutFormat>,
        /// Read both inputs as this format instead of detecting it.
        #[arg(long = "input-format", value_name = "NAME", value_parser = parse_format)]
        input_format: Option<Format>,
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
        }
    }
}

/// Exit status when nothing at all could be loaded.
pub const EXIT_NOTHING_LOADED: i32 = 2;

/// Loads paths for a non-interactive command, printing a clear error when nothing loads.
pub fn load_or_exit(paths: &[PathBuf], input: &InputArgs) -> TraceSet {
    let quiet = |_: Progress| {};
    match load::load(paths, &input.options(), &quiet) {
        Ok(set) => set,
        Err(e) => {
            eprintln!("spanlens: {}", crate::inert::text(&e.to_string()));
            std::process::exit(EXIT_NOTHING_LOADED);
        }
    }
}

/// Writes a report to stdout. A reader that stops early (`| head`) is not an error: the
/// process ends quietly, as `cat` does; any other write error is reported.
pub fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let result = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    match result {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            eprintln!("spanlens: cannot write the report: {e}");
            std::process::exit(1);
        }
    }
}
