//! A deterministic generator of agent traces (OTLP JSON Lines, MLflow 3 `Trace.to_json()`
//! lines, Phoenix-style parquet) for the bundled samples, test fixtures at scale and
//! benchmarks. The same options give the same bytes; nothing reads the clock.
//!
//! Pipeline: `build` decides trace sizes and span trees (`plan`), `mutate` optionally edits
//! them into a "second run", `content` derives every text from the plan, and one writer
//! per format streams the result. Only one trace (or a few, for interleaved OTLP lines) is
//! in memory at a time.

mod build;
mod chat;
mod chatjson;
mod content;
mod jsonw;
mod mlflow;
mod mutate;
mod otlp;
mod parquet;
pub mod persona;
mod personas;
mod plan;
pub mod rng;
mod samples;
pub mod scale;
mod specs;
mod text;

pub use mutate::Change;
pub use samples::{SAMPLES, write_samples};

use build::Builder;
use persona::Facts;
use plan::TracePlan;
use rng::{Rng, mix};
use specs::{TraceSpec, tag};
use std::io::{self, Write};
use std::path::Path;
use std::str::FromStr;
use text::Spice;

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GenFormat {
    /// OTLP/JSON Lines as the Collector's file exporter writes them.
    Otlp,
    /// MLflow 3 `Trace.to_json()`, one trace per line.
    Mlflow,
    /// Phoenix `get_spans_dataframe()` columns as parquet.
    Parquet,
}

/// What the content looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// Large payloads, 1 MB outliers, Unicode, hostile strings, special tree shapes.
    Realistic,
    /// Short, readable English, no hostile strings (the bundled samples).
    Sample,
}

/// Which agents the traces come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// A different agent per trace.
    Mixed,
    Weather,
    Support,
    Rag,
    Incident,
    Research,
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenOptions {
    /// Total spans (exact, before `mutate` adds or removes a few).
    pub spans: usize,
    /// Exact number of traces; by default sizes are drawn (5 to 500 spans).
    pub traces: Option<usize>,
    pub format: GenFormat,
    pub seed: u64,
    pub profile: Profile,
    /// 0: none. Otherwise the seed of a "second run": the same traces with a few changes
    /// (listed in `GenReport::changes`) and different ids.
    pub mutate: u32,
    pub scenario: Scenario,
    /// Chance that a tool or LLM call fails (retrievers fail half as often).
    pub error_rate: f64,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            spans: 1_000,
            traces: None,
            format: GenFormat::Otlp,
            seed: 1,
            profile: Profile::Realistic,
            mutate: 0,
            scenario: Scenario::Mixed,
            error_rate: 0.022,
        }
    }
}

/// What was generated. Counts are exact: loading the output must give the same ones.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GenReport {
    pub traces: usize,
    pub spans: usize,
    /// Spans with status ERROR.
    pub errors: usize,
    pub bytes: u64,
    /// Deepest span (a root has depth 0).
    pub max_depth: usize,
    /// Most children of one span.
    pub max_children: usize,
    /// What `mutate` (or a scripted sample) changed, one line each.
    pub changes: Vec<String>,
}

/// Generates traces into `out`.
pub fn generate(opts: &GenOptions, out: &mut dyn Write) -> io::Result<GenReport> {
    let specs = specs::trace_specs(opts)?;
    let edits = mutate::choose(opts, &specs);
    generate_edited(opts, specs, edits, out)
}

/// Generates into a file (any format).
pub fn generate_to_path(opts: &GenOptions, path: &Path) -> io::Result<GenReport> {
    let file = std::fs::File::create(path)?;
    let mut w = io::BufWriter::with_capacity(1 << 20, file);
    let report = generate(opts, &mut w)?;
    w.flush()?;
    Ok(report)
}

/// Generates with an explicit list of edits (trace index, change).
pub(crate) fn generate_edited(
    opts: &GenOptions,
    specs: Vec<TraceSpec>,
    edits: Vec<(usize, Change)>,
    out: &mut dyn Write,
) -> io::Result<GenReport> {
    let mut counting = Counting { inner: out, n: 0 };
    let mut plans = Plans::new(opts, specs, edits);
    match opts.format {
        GenFormat::Otlp => otlp::write(opts, &mut plans, &mut counting)?,
        GenFormat::Mlflow => mlflow::write(opts, &mut plans, &mut counting)?,
        GenFormat::Parquet => parquet::write(opts, &mut plans, &mut counting)?,
    }
    counting.flush()?;
    let mut report = plans.report;
    report.bytes = counting.n;
    Ok(report)
}

/// Counts the bytes written.
struct Counting<'a> {
    inner: &'a mut dyn Write,
    n: u64,
}

impl Write for Counting<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let k = self.inner.write(buf)?;
        self.n += k as u64;
        Ok(k)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Produces the traces one by one, finalised and edited, and keeps the report's counts.
pub(crate) struct Plans<'a> {
    opts: &'a GenOptions,
    specs: Vec<TraceSpec>,
    edits: Vec<(usize, Change)>,
    next: usize,
    clock: i64,
    pub report: GenReport,
}

impl<'a> Plans<'a> {
    fn new(opts: &'a GenOptions, specs: Vec<TraceSpec>, edits: Vec<(usize, Change)>) -> Self {
        Plans {
            opts,
            specs,
            edits,
            next: 0,
            clock: epoch(opts.seed),
            report: GenReport::default(),
        }
    }

    /// Text spice for the profile.
    pub fn spice(&self) -> Spice {
        spice(self.opts.profile)
    }

    fn make(&mut self, k: usize) -> TracePlan {
        let opts = self.opts;
        let spec = self.specs[k];
        let persona = specs::persona_for(opts, &spec, k);
        let mut b = Builder::new(opts, persona, k);
        b.build(&spec);
        let mut arrivals = Rng::stream(opts.seed, tag::START, k as u64);
        self.clock +=
            arrivals.range(200, 20_000) as i64 * specs::MS + arrivals.below(1_000_000) as i64;
        let id_salt = if opts.mutate == 0 {
            0
        } else {
            mix(u64::from(opts.mutate) + 0x5eed)
        };
        let mut plan = TracePlan {
            index: k,
            persona,
            facts: Facts::draw(&mut Rng::stream(opts.seed, tag::FACTS, k as u64)),
            variant: 0,
            seed: Rng::stream(opts.seed, tag::CONTENT, k as u64).next_u64(),
            id_seed: Rng::stream(opts.seed ^ id_salt, tag::IDS, k as u64).next_u64(),
            start_ns: self.clock,
            nodes: b.nodes,
            next_call: b.next_call,
            first_child: Vec::new(),
            next_sib: Vec::new(),
            prev_llm: Vec::new(),
            start: Vec::new(),
            end: Vec::new(),
        };
        plan.finalize();
        self.apply_edits(&mut plan);
        plan
    }

    fn apply_edits(&mut self, plan: &mut TracePlan) {
        let k = plan.index;
        let mine: Vec<Change> = self
            .edits
            .iter()
            .filter(|e| e.0 == k)
            .map(|e| e.1)
            .collect();
        let mut touched = Vec::new();
        for (n, change) in mine.into_iter().enumerate() {
            let mut rng = Rng::stream(
                self.opts.seed ^ u64::from(self.opts.mutate),
                tag::MUTATE,
                (k * 64 + n) as u64,
            );
            let spice = self.spice();
            if let Some(what) = mutate::apply(plan, change, &mut rng, spice, &mut touched) {
                self.report.changes.push(format!("trace {k}: {what}"));
            }
            plan.finalize();
        }
    }

    fn count(&mut self, plan: &TracePlan) {
        let r = &mut self.report;
        r.traces += 1;
        r.spans += plan.len();
        r.errors += plan.errors();
        let (depth, kids) = plan::shape(plan);
        r.max_depth = r.max_depth.max(depth as usize);
        r.max_children = r.max_children.max(kids as usize);
    }
}

impl Iterator for Plans<'_> {
    type Item = TracePlan;

    fn next(&mut self) -> Option<TracePlan> {
        while self.next < self.specs.len() {
            let k = self.next;
            self.next += 1;
            let plan = self.make(k);
            if plan.is_empty() {
                continue;
            }
            self.count(&plan);
            return Some(plan);
        }
        None
    }
}

fn spice(profile: Profile) -> Spice {
    match profile {
        Profile::Realistic => Spice::REALISTIC,
        Profile::Sample => Spice::NONE,
    }
}

/// A fixed start time derived from the seed: a day in late 2026, never the clock.
fn epoch(seed: u64) -> i64 {
    let secs = 1_790_000_000 + (mix(seed) % (90 * 86_400)) as i64;
    secs * 1_000_000_000 + (mix(seed ^ 1) % 1_000_000_000) as i64
}

impl FromStr for GenFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "otlp" | "otlp-jsonl" | "jsonl" => Ok(GenFormat::Otlp),
            "mlflow" => Ok(GenFormat::Mlflow),
            "parquet" | "phoenix" => Ok(GenFormat::Parquet),
            _ => Err(format!("unknown format {s:?} (otlp, mlflow, parquet)")),
        }
    }
}

impl FromStr for Profile {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "realistic" => Ok(Profile::Realistic),
            "sample" => Ok(Profile::Sample),
            _ => Err(format!("unknown profile {s:?} (realistic, sample)")),
        }
    }
}

impl FromStr for Scenario {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "mixed" => Scenario::Mixed,
            "weather" => Scenario::Weather,
            "support" => Scenario::Support,
            "rag" => Scenario::Rag,
            "incident" => Scenario::Incident,
            "research" => Scenario::Research,
            _ => {
                return Err(format!(
                    "unknown scenario {s:?} (mixed, weather, support, rag, incident, research)"
                ));
            }
        })
    }
}
