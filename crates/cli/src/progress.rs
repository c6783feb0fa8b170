//! Progress bars for long CLI work: drawn on a terminal, silent when output is piped.

use indicatif::{ProgressBar, ProgressStyle};

/// A bar over a known total (bytes or items).
pub fn bar(total: u64, unit: &str) -> ProgressBar {
    let pb = ProgressBar::new(total);
    let template = format!(
        "{{spinner}} [{{elapsed_precise}}] {{wide_bar}} {{pos}}/{{len}} {unit} ({{per_sec}}, eta {{eta}})"
    );
    pb.set_style(
        ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb
}

/// A bar over bytes of input.
pub fn bytes(total: u64) -> ProgressBar {
    let pb = ProgressBar::new(total);
    pb.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb
}

/// A counter with no known total.
pub fn counter(unit: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    let template = format!("{{spinner}} [{{elapsed_precise}}] {{pos}} {unit} ({{per_sec}})");
    pb.set_style(
        ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb
}
