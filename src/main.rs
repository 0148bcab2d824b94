//! The `spanlens` binary: parse arguments and run a subcommand or the explorer.

use clap::Parser;
use spanlens::cli::{self, Cli, Command};

fn main() {
    let args = Cli::parse();
    match args.command {
        Some(Command::Summary { paths, input, json }) => {
            let set = cli::load_or_exit(&paths, &input);
            if json {
                cli::emit(&format!(
                    "{}\n",
                    cli::json::render(&cli::summary::to_json(&set))
                ));
            } else {
                cli::emit(&cli::summary::to_text(&set));
            }
            // PERF: the process ends here; freeing a million spans one allocation at a
            // time would only delay it (25 ms at 1M spans), the OS takes it all back.
            std::mem::forget(set);
        }
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
        Some(Command::Completions { shell }) => cli::completions(shell, &mut std::io::stdout()),
        Some(Command::Man) => {
            if let Err(e) = cli::man_page(&mut std::io::stdout()) {
                eprintln!("spanlens: writing the manual page: {e}");
                std::process::exit(1);
            }
        }
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
        None => explore(args.paths, args.input),
    }
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
) {
    let filter = match filter.as_deref().map(spanlens::stats::TraceFilter::parse) {
        None => None,
        Some(Ok(f)) => Some(f),
        Some(Err(e)) => {
            eprintln!("spanlens: bad filter: {e}");
            std::process::exit(2);
        }
    };
    let set = cli::load_or_exit(paths, input);
    let traces = match &filter {
        Some(f) => f.select(&set),
        None => spanlens::stats::all_traces(&set),
    };
    let mut stats = spanlens::stats::compute(&set, &traces, by);
    if let Some(key) = sort {
        spanlens::stats::sort_steps(&mut stats.steps, key);
    }
    let rows = limit.unwrap_or(cli::stats::DEFAULT_ROWS);
    if json {
        cli::emit(&format!("{}\n", cli::stats::to_json(&set, &stats, limit)));
    } else if format == cli::stats::OutFormat::Md {
        cli::emit(&cli::stats::to_md(&stats, rows));
    } else {
        cli::emit(&cli::stats::to_text(&stats, rows));
    }
    // PERF: as for `summary`, the OS takes the memory back faster than dropping it.
    std::mem::forget(stats);
    std::mem::forget(set);
}

/// Opens the explorer on `paths`.
fn explore(paths: Vec<std::path::PathBuf>, input: cli::InputArgs) {
    if paths.is_empty() {
        eprintln!("spanlens: give a trace file or directory to open (see --help)");
        std::process::exit(cli::EXIT_NOTHING_LOADED);
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
        terminal_settings("the explorer needs a terminal; for a report use `spanlens summary`");
    let feedback = input.feedback.clone();
    let run = spanlens::tui::run::run_at(paths, input.options(), feedback, keymap, theme, open);
    if let Err(e) = run {
        eprintln!("spanlens: {e}");
        std::process::exit(cli::EXIT_NOTHING_LOADED);
    }
}

/// `spanlens search`.
fn search(
    text: &str,
    paths: &[std::path::PathBuf],
    input: &cli::InputArgs,
    trace: Option<&str>,
    limit: usize,
    json: bool,
) {
    let query = match spanlens::search::Query::parse(text) {
        Ok(q) => q,
        Err(e) => {
            eprintln!("spanlens: bad query: {e}");
            std::process::exit(cli::EXIT_BAD_QUERY);
        }
    };
    let set = cli::load_or_exit(paths, input);
    let scope = match trace {
        None => spanlens::search::Scope::All,
        Some(id) => match set.find_trace(id) {
            Some(t) => spanlens::search::Scope::Trace(t),
            None => {
                eprintln!(
                    "spanlens: no trace {} in the loaded files",
                    spanlens::inert::line(id)
                );
                std::process::exit(1);
            }
        },
    };
    let found = cli::search::run(&set, &query, scope, limit);
    if json {
        cli::emit(&format!(
            "{}\n",
            cli::json::render(&cli::search::to_json(&set, text, &found))
        ));
    } else {
        use std::io::IsTerminal;
        let highlight = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        cli::emit(&cli::search::to_text(&set, &found, highlight));
    }
}

/// `spanlens diff`.
fn diff(
    left: &str,
    right: &str,
    format: Option<cli::diff::OutFormat>,
    input_format: Option<spanlens::load::Format>,
    fail_on: Option<&str>,
) {
    let input = cli::InputArgs {
        format: input_format,
        ..Default::default()
    };
    let side = |spec: &str| match cli::diff::resolve_side(spec, &input) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("spanlens: {e}");
            std::process::exit(cli::EXIT_NOTHING_LOADED);
        }
    };
    let t = spanlens::timing::phase("diff: load both sides");
    let (l, r) = (side(left), side(right));
    drop(t);
    // A gate without a format prints text: CI has no terminal for the view.
    let format = match (format, fail_on) {
        (Some(f), _) => f,
        (None, Some(_)) => cli::diff::OutFormat::Text,
        (None, None) => return explore_diff(l, r),
    };
    match cli::diff::print(l, r, format, fail_on) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("spanlens: {e}");
            std::process::exit(cli::EXIT_NOTHING_LOADED);
        }
    }
}

/// Opens the diff view on two loaded traces, or the run view on two runs.
fn explore_diff(l: cli::diff::Side, r: cli::diff::Side) {
    let (keymap, theme) =
        terminal_settings("the diff view needs a terminal; use --format text|md|json to print it");
    let result = match (l.traces.as_slice(), r.traces.as_slice()) {
        ([lt], [rt]) => spanlens::tui::run::run_diff(l.set, *lt, r.set, *rt, keymap, theme),
        _ => spanlens::tui::run::run_runs(l.set, l.traces, r.set, r.traces, keymap, theme),
    };
    if let Err(e) = result {
        eprintln!("spanlens: {e}");
        std::process::exit(1);
    }
}

/// The key map and theme for a terminal UI; exits with `no_terminal` when stdout is not a
/// terminal, or with the config file's error.
fn terminal_settings(
    no_terminal: &str,
) -> (spanlens::tui::keymap::KeyMap, spanlens::tui::theme::Theme) {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        eprintln!("spanlens: {no_terminal}");
        std::process::exit(1);
    }
    spanlens::tui::run::settings().unwrap_or_else(|e| {
        eprintln!("spanlens: config: {e}");
        std::process::exit(1);
    })
}
