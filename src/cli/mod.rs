//! Command-line interface: argument parsing and the non-interactive subcommands.

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
