//! Scales a real export file up to N spans for benchmarks: `scale-export --spans N --in
//! FILE --out FILE`. The report (copies, spans, traces, bytes) goes to stderr.

use clap::Parser;
use spanlens_synth::scale::scale_file;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

const ABOUT: &str = "Scale an export file up to N spans by replicating its traces";

const LONG_ABOUT: &str = "\
Scale an export file (JSON, JSON Lines or parquet, any format spanlens loads) up to N spans
by writing its traces again, whole copies until there are at least N spans. Each copy gets
fresh ids and later times; everything else is copied byte for byte.

Output layout: JSON Lines stay JSON Lines; one JSON object (a pretty MLflow to_json, an
OTLP request) becomes one line per copy; one JSON array (pandas to_json records) stays one
array of every copy's elements; parquet keeps its schema, metadata and codec.

Remapped wherever they occur (fields, JSON-in-string attributes, paths, dotted_order,
parquet cells and the search_traces `trace` JSON column), chosen by the value's shape:
  ids    16/32 hex digits (same case; also after tr- and a-), 0x + hex, UUIDs (version
         and variant kept), base64 of 8/16 bytes with padding (\\/ kept escaped). One id
         in hex, base64 and tr- forms stays one id in every copy.
  times  integers of 13/16/19 digits between 1.0e12 and 2.2e12 ms/us/ns (JSON numbers or
         strings), ISO date-times (T or space), dotted_order YYYYMMDDThhmmss, parquet
         int64 in those ranges and timestamp columns. Copies are shifted by whole seconds:
         copy k starts k x (the file's time extent + 1 s) later.";

#[derive(Parser)]
#[command(about = ABOUT, long_about = LONG_ABOUT)]
struct Args {
    /// At least this many spans (rounded up to whole copies of the input).
    #[arg(long)]
    spans: u64,
    /// The export file to replicate.
    #[arg(long = "in")]
    input: PathBuf,
    /// Where to write the scaled file.
    #[arg(long)]
    out: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let start = Instant::now();
    match scale_file(&args.input, &args.out, args.spans) {
        Ok(r) => {
            eprintln!(
                "{}: {} copies of {} spans in {} traces = {} spans, {} traces, {:.1} MB in {:.1} s (copies {} s apart)",
                args.out.display(),
                r.copies,
                r.spans_per_copy,
                r.traces_per_copy,
                r.spans,
                r.traces,
                r.bytes as f64 / 1e6,
                start.elapsed().as_secs_f64(),
                r.stride_secs
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("scale-export: {e}");
            ExitCode::FAILURE
        }
    }
}
