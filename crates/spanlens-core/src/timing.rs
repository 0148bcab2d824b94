//! Phase timings on stderr when `SPANLENS_TIMINGS` is set, for benchmarks and profiling.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("SPANLENS_TIMINGS").is_some())
}

/// Prints how long it lived when dropped (only when timings are on).
pub struct Phase {
    name: &'static str,
    start: Instant,
    cpu: f64,
}

/// CPU time of the whole process so far, in ms.
fn cpu() -> f64 {
    crate::memory::cpu_ms()
}

/// Starts timing a phase.
pub fn phase(name: &'static str) -> Option<Phase> {
    enabled().then(|| Phase {
        name,
        start: Instant::now(),
        cpu: cpu(),
    })
}

impl Drop for Phase {
    fn drop(&mut self) {
        // Resident memory after the phase and the peak so far, to see which phase holds it.
        let rss = crate::memory::rss_mb()
            .map(|(now, peak)| format!("  rss {now:.0} MB, peak {peak:.0} MB"))
            .unwrap_or_default();
        eprintln!(
            "timing {:<24} {:>9.1} ms  (cpu {:.0} ms){rss}",
            self.name,
            self.start.elapsed().as_secs_f64() * 1e3,
            cpu() - self.cpu
        );
    }
}

/// Prints the slow paths a load took, one line each (only when timings are on).
pub fn slow_paths(paths: &crate::model::SlowPaths) {
    if enabled() {
        for line in paths.lines() {
            eprintln!("timing {line}");
        }
    }
}

/// Prints one line of what a phase found (only when timings are on).
pub fn note(line: impl FnOnce() -> String) {
    if enabled() {
        eprintln!("timing {}", line());
    }
}
