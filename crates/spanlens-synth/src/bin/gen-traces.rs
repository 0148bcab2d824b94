//! Generates deterministic agent traces: `--spans N --format otlp|mlflow|parquet --out FILE`
//! (`.gz` compresses), or the bundled sample set with `--samples DIR`. The report (counts,
//! bytes, and what `--mutate` changed) goes to stderr.

use clap::Parser;
use spanlens_synth::{
    GenFormat, GenOptions, GenReport, Profile, Scenario, generate, generate_to_path, write_samples,
};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser)]
#[command(about = "Generate deterministic LLM/agent traces for samples, tests and benchmarks")]
struct Args {
    /// Total number of spans.
    #[arg(long, default_value_t = 1_000)]
    spans: usize,
    /// otlp, mlflow or parquet.
    #[arg(long, default_value = "otlp")]
    format: GenFormat,
    /// Output file (`-` for stdout); a `.gz` name is gzip-compressed.
    #[arg(long)]
    out: Option<PathBuf>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Exact number of traces (default: drawn, 5 to 500 spans each).
    #[arg(long)]
    traces: Option<usize>,
    /// Generate a "second run" with a few changes (the value seeds the changes).
    #[arg(long, default_value_t = 0)]
    mutate: u32,
    /// realistic (large payloads, Unicode, hostile strings) or sample (readable English).
    #[arg(long, default_value = "realistic")]
    profile: Profile,
    /// mixed, weather, support, rag, incident or research.
    #[arg(long, default_value = "mixed")]
    scenario: Scenario,
    /// Chance that a tool or LLM call fails.
    #[arg(long)]
    error_rate: Option<f64>,
    /// Write the bundled sample set into this directory instead.
    #[arg(long, conflicts_with = "out")]
    samples: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match &args.samples {
        Some(dir) => samples(dir),
        None => single(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen-traces: {e}");
            ExitCode::FAILURE
        }
    }
}

fn samples(dir: &Path) -> io::Result<()> {
    for (file, report) in write_samples(dir)? {
        eprintln!("{}:", dir.join(file).display());
        print_report(&report);
    }
    Ok(())
}

fn single(args: &Args) -> io::Result<()> {
    let Some(out) = &args.out else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "give --out FILE or --samples DIR",
        ));
    };
    let defaults = GenOptions::default();
    let opts = GenOptions {
        spans: args.spans,
        traces: args.traces,
        format: args.format,
        seed: args.seed,
        profile: args.profile,
        mutate: args.mutate,
        scenario: args.scenario,
        error_rate: args.error_rate.unwrap_or(defaults.error_rate),
    };
    let started = Instant::now();
    let report = if out.as_os_str() == "-" {
        let stdout = io::stdout();
        let mut w = BufWriter::with_capacity(1 << 20, stdout.lock());
        let r = generate(&opts, &mut w)?;
        w.flush()?;
        r
    } else if out.extension().is_some_and(|e| e == "gz") {
        let file = BufWriter::with_capacity(1 << 20, File::create(out)?);
        let mut gz = flate2::GzBuilder::new()
            .mtime(0)
            .write(file, flate2::Compression::default());
        let r = generate(&opts, &mut gz)?;
        gz.finish()?.flush()?;
        r
    } else {
        generate_to_path(&opts, out)?
    };
    print_report(&report);
    eprintln!("  time: {:.2?}", started.elapsed());
    Ok(())
}

fn print_report(r: &GenReport) {
    eprintln!(
        "  traces: {}  spans: {}  errors: {}  bytes: {}  max depth: {}  max children: {}",
        r.traces, r.spans, r.errors, r.bytes, r.max_depth, r.max_children
    );
    for c in &r.changes {
        eprintln!("  changed: {c}");
    }
}
