//! The `spanlens` binary: parse arguments and run a subcommand or the explorer. Commands
//! return a `cli::Failure` to end early; this is the only place that exits.

use clap::Parser;
use spanlens::cli::{self, Cli, Command, Failure};

fn main() {
    spanlens::memory::return_big_blocks();
    let args = Cli::parse();
    if let Err(f) = run(args) {
        if !f.message.is_empty() {
            eprintln!("spanlens: {}", f.message);
        }
        std::process::exit(f.code);
    }
}

fn run(args: Cli) -> Result<(), Failure> {
    match args.command {
        Some(Command::Summary { paths, input, json }) => summary(&paths, &input, json),
        Some(Command::Search {
            query,
            paths,
            input,
            trace,
            limit,
            json,
        }) => search(&query, &paths, &input, trace.as_deref(), limit, json),
        Some(Command::Diff {
            left,
            right,
            format,
            input_format,
            fail_on,
        }) => diff(&left, &right, format, input_format, fail_on.as_deref()),
        Some(Command::Completions { shell }) => {
            cli::completions(shell, &mut std::io::stdout());
            Ok(())
        }
        Some(Command::Man) => cli::man_page(&mut std::io::stdout())
            .map_err(|e| Failure::new(1, format!("writing the manual page: {e}"))),
        Some(Command::Feedback { paths, input, json }) => cli::feedback::list(&paths, &input, json),
        Some(Command::Export { what }) => cli::feedback::export(what),
        Some(Command::Stats {
            paths,
            input_format,
            json,
            format,
            by,
            sort,
            limit,
            filter,
            feedback,
        }) => {
            let input = cli::InputArgs {
                format: input_format,
                feedback,
                ..Default::default()
            };
            stats(&paths, &input, json, format, by, sort, limit, filter)
        }
        Some(Command::Listen(listen)) => cli::listen::run(listen),
        None if args.follow.is_some() => follow(args.follow.unwrap_or_default(), args.input),
        None => explore(args.paths, args.input),
    }
}

/// `spanlens summary`.
fn summary(
    paths: &[std::path::PathBuf],
    input: &cli::InputArgs,
    json: bool,
) -> Result<(), Failure> {
    let set = cli::load(paths, input)?;
    let t = spanlens::timing::phase("summary: render");
    let written = if json {
        cli::emit_with(|out| cli::summary::write_json(&set, out))
    } else {
        cli::emit(&cli::summary::to_text(&set))
    };
    drop(t);
    // PERF: the process ends next; freeing a million spans one allocation at a time
    // would only delay it (25 ms at 1M spans), the OS takes it all back.
    std::mem::forget(set);
    written
}

/// `spanlens stats`.
#[allow(clippy::too_many_arguments)]
fn stats(
    paths: &[std::path::PathBuf],
    input: &cli::InputArgs,
    json: bool,
    format: cli::stats::OutFormat,
    by: spanlens::stats::GroupBy,
    sort: Option<spanlens::stats::SortKey>,
    limit: Option<usize>,
    filter: Option<String>,
) -> Result<(), Failure> {
    let filter = match filter.as_deref().map(spanlens::stats::TraceFilter::parse) {
        None => None,
        Some(Ok(f)) => Some(f),
        Some(Err(e)) => {
            return Err(Failure::new(
                cli::EXIT_BAD_QUERY,
                format!("bad filter: {e}"),
            ));
        }
    };
    let set = cli::load(paths, input)?;
    let traces = match &filter {
        Some(f) => f.select(&set),
        None => spanlens::stats::all_traces(&set),
    };
    let mut stats = spanlens::stats::compute(&set, &traces, by);
    if let Some(key) = sort {
        spanlens::stats::sort_steps(&mut stats.steps, key);
    }
    let rows = limit.unwrap_or(cli::stats::DEFAULT_ROWS);
    let text = if json {
        format!(
            "{}\n",
            cli::json::render(&cli::stats::to_json(&set, &stats, limit))
        )
    } else if format == cli::stats::OutFormat::Md {
        cli::stats::to_md(&stats, rows)
    } else {
        cli::stats::to_text(&stats, rows)
    };
    // PERF: as for `summary`, the OS takes the memory back faster than dropping it.
    std::mem::forget(stats);
    std::mem::forget(set);
    cli::emit(&text)
}

/// Opens the explorer on `paths`.
fn explore(paths: Vec<std::path::PathBuf>, input: cli::InputArgs) -> Result<(), Failure> {
    if paths.is_empty() {
        let why = "give a trace file or directory to open (see --help)";
        return Err(Failure::new(cli::EXIT_NOTHING_LOADED, why));
    }
    // `FILE#TRACE_ID` opens that trace directly (the last one given wins).
    let mut open = None;
    let paths: Vec<std::path::PathBuf> = paths
        .iter()
        .map(|p| {
            let (path, id) = cli::diff::split_spec(&p.to_string_lossy());
            open = id.or(open.take());
            path
        })
        .collect();
    let (keymap, theme) =
        terminal_settings("the explorer needs a terminal; for a report use `spanlens summary`")?;
    let feedback = input.feedback.clone();
    spanlens::tui::run::run_at(paths, input.options(), feedback, keymap, theme, open)
        .map_err(|e| Failure::new(cli::EXIT_NOTHING_LOADED, e.to_string()))
}

/// `spanlens --follow FILE`.
fn follow(path: std::path::PathBuf, input: cli::InputArgs) -> Result<(), Failure> {
    let (keymap, theme) = terminal_settings(
        "following a file needs a terminal; for a report use `spanlens summary`",
    )?;
    cli::follow::explore(path, &input, keymap, theme)
}

/// `spanlens search`.
fn search(
    text: &str,
    paths: &[std::path::PathBuf],
    input: &cli::InputArgs,
    trace: Option<&str>,
    limit: usize,
    json: bool,
) -> Result<(), Failure> {
    let query = spanlens::search::Query::parse(text)
        .map_err(|e| Failure::new(cli::EXIT_BAD_QUERY, format!("bad query: {e}")))?;
    let set = cli::load(paths, input)?;
    let scope = match trace {
        None => spanlens::search::Scope::All,
        Some(id) => match set.find_trace(id) {
            Some(t) => spanlens::search::Scope::Trace(t),
            None => {
                let why = format!("no trace {} in the loaded files", spanlens::inert::line(id));
                return Err(Failure::new(1, why));
            }
        },
    };
    let found = cli::search::run(&set, &query, scope, limit);
    if json {
        cli::emit(&format!(
            "{}\n",
            cli::json::render(&cli::search::to_json(&set, text, &found))
        ))
    } else {
        use std::io::IsTerminal;
        let highlight = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        cli::emit(&cli::search::to_text(&set, &found, highlight))
    }
}

/// `spanlens diff`.
fn diff(
    left: &str,
    right: &str,
    format: Option<cli::diff::OutFormat>,
    input_format: Option<spanlens::load::Format>,
    fail_on: Option<&str>,
) -> Result<(), Failure> {
    let input = cli::InputArgs {
        format: input_format,
        ..Default::default()
    };
    let side = |spec: &str| cli::diff::resolve_side(spec, &input);
    let t = spanlens::timing::phase("diff: load both sides");
    let (l, r) = (side(left)?, side(right)?);
    drop(t);
    // A gate without a format prints text: CI has no terminal for the view.
    let format = match (format, fail_on) {
        (Some(f), _) => f,
        (None, Some(_)) => cli::diff::OutFormat::Text,
        (None, None) => return explore_diff(l, r),
    };
    match cli::diff::print(l, r, format, fail_on) {
        Ok(0) => Ok(()),
        Ok(code) => Err(Failure::quiet(code)),
        Err(e) => Err(Failure::new(cli::EXIT_NOTHING_LOADED, e.to_string())),
    }
}

/// Opens the diff view on two loaded traces, or the run view on two runs.
fn explore_diff(l: cli::diff::Side, r: cli::diff::Side) -> Result<(), Failure> {
    let (keymap, theme) =
        terminal_settings("the diff view needs a terminal; use --format text|md|json to print it")?;
    let result = match (l.traces.as_slice(), r.traces.as_slice()) {
        ([lt], [rt]) => spanlens::tui::run::run_diff(l.set, *lt, r.set, *rt, keymap, theme),
        _ => spanlens::tui::run::run_runs(l.set, l.traces, r.set, r.traces, keymap, theme),
    };
    result.map_err(|e| Failure::new(1, e.to_string()))
}

/// The key map and theme for a terminal UI; fails with `no_terminal` when stdout is not a
/// terminal, or with the config file's error.
fn terminal_settings(
    no_terminal: &str,
) -> Result<(spanlens::tui::keymap::KeyMap, spanlens::tui::theme::Theme), Failure> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return Err(Failure::new(1, no_terminal));
    }
    spanlens::tui::run::settings().map_err(|e| Failure::new(1, format!("config: {e}")))
}
