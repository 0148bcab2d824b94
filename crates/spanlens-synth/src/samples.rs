//! The bundled sample set (`sample-traces/`): small, readable files for each format and for
//! the diff view. Tests regenerate them and compare, so they never drift from the code.

use super::mutate::{self, Change};
use super::{GenFormat, GenOptions, GenReport, Profile, Scenario, generate_edited, specs};
use flate2::{Compression, GzBuilder};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// One bundled file.
pub struct Sample {
    pub file: &'static str,
    pub about: &'static str,
    pub opts: fn() -> GenOptions,
    /// Scripted edits applied to the first trace.
    pub edits: &'static [Change],
    pub gzip: bool,
}

fn base(
    spans: usize,
    traces: usize,
    format: GenFormat,
    scenario: Scenario,
    seed: u64,
) -> GenOptions {
    GenOptions {
        spans,
        traces: Some(traces),
        format,
        seed,
        profile: Profile::Sample,
        mutate: 0,
        scenario,
        error_rate: 0.0,
    }
}

fn weather_run1() -> GenOptions {
    base(30, 1, GenFormat::Otlp, Scenario::Weather, 11)
}

fn weather_run2() -> GenOptions {
    GenOptions {
        mutate: 1,
        ..weather_run1()
    }
}

fn support() -> GenOptions {
    base(18, 1, GenFormat::Mlflow, Scenario::Support, 5)
}

fn rag() -> GenOptions {
    GenOptions {
        error_rate: 0.1,
        ..base(110, 20, GenFormat::Parquet, Scenario::Rag, 3)
    }
}

fn incident() -> GenOptions {
    GenOptions {
        error_rate: 0.05,
        ..base(320, 10, GenFormat::Otlp, Scenario::Incident, 9)
    }
}

pub static SAMPLES: [Sample; 5] = [
    Sample {
        file: "weather-agent-run1.otlp.jsonl",
        about: "a weather agent answering one question (OTLP JSON Lines)",
        opts: weather_run1,
        edits: &[],
        gzip: false,
    },
    Sample {
        file: "weather-agent-run2.otlp.jsonl",
        about: "the same agent run again, with a few differences (for diff)",
        opts: weather_run2,
        edits: &[],
        gzip: false,
    },
    Sample {
        file: "support-bot-errors.mlflow.json",
        about: "a support bot trace with a failing, retried tool and a rate-limited LLM call (MLflow 3)",
        opts: support,
        edits: &[Change::ToolFailRetry, Change::LlmFailRetry],
        gzip: false,
    },
    Sample {
        file: "rag-eval.parquet",
        about: "20 short RAG traces as a Phoenix spans DataFrame (parquet)",
        opts: rag,
        edits: &[],
        gzip: false,
    },
    Sample {
        file: "incident.otlp.jsonl.gz",
        about: "an on-call agent investigating 10 alerts, with errors (gzip OTLP JSON Lines)",
        opts: incident,
        edits: &[],
        gzip: true,
    },
];

impl Sample {
    /// Writes this sample into `dir`.
    pub fn write(&self, dir: &Path) -> io::Result<GenReport> {
        let opts = (self.opts)();
        let specs = specs::trace_specs(&opts)?;
        let edits = if opts.mutate > 0 {
            mutate::choose(&opts, &specs)
        } else {
            self.edits.iter().map(|&c| (0, c)).collect()
        };
        let file = File::create(dir.join(self.file))?;
        if self.gzip {
            // A fixed header (no name, mtime 0) keeps the bytes reproducible.
            let mut gz = GzBuilder::new()
                .mtime(0)
                .write(BufWriter::new(file), Compression::best());
            let report = generate_edited(&opts, specs, edits, &mut gz)?;
            gz.finish()?.flush()?;
            Ok(report)
        } else {
            let mut w = BufWriter::new(file);
            let report = generate_edited(&opts, specs, edits, &mut w)?;
            w.flush()?;
            Ok(report)
        }
    }
}

/// Writes every sample into `dir` (created if needed); returns each file's report.
pub fn write_samples(dir: &Path) -> io::Result<Vec<(&'static str, GenReport)>> {
    std::fs::create_dir_all(dir)?;
    SAMPLES
        .iter()
        .map(|s| Ok((s.file, s.write(dir)?)))
        .collect()
}
