//! Shared by the benches: reading criterion's estimates back to report the
//! ratio of two functions measured in the same run.

// Each bench binary compiles this module and uses only part of it.
#![allow(dead_code)]

pub mod counting;
pub mod limited;
pub mod pager;

use std::path::PathBuf;

fn criterion_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("criterion")
}

/// The median time (ns) criterion measured for `group/function` in this run.
pub fn median_ns(group: &str, function: &str) -> Option<f64> {
    let path = criterion_dir()
        .join(group)
        .join(function)
        .join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let estimates: serde_json::Value = serde_json::from_str(&text).ok()?;
    estimates["median"]["point_estimate"].as_f64()
}

/// Runs `subject` and `baseline` alternately `rounds` times and returns the
/// median of the per-round time ratios: drift in machine load hits both
/// sides of a round alike, so this is steadier than two separate runs.
pub fn interleaved_ratio(
    rounds: usize,
    mut subject: impl FnMut(),
    mut baseline: impl FnMut(),
) -> f64 {
    let mut ratios: Vec<f64> = (0..rounds)
        .map(|round| {
            // Alternate which side goes first, so neither always runs warm.
            let time = |f: &mut dyn FnMut()| {
                let started = std::time::Instant::now();
                f();
                started.elapsed().as_secs_f64()
            };
            if round % 2 == 0 {
                let a = time(&mut subject);
                a / time(&mut baseline)
            } else {
                let b = time(&mut baseline);
                time(&mut subject) / b
            }
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios[ratios.len() / 2]
}

/// Prints `subject / baseline` as a ratio with both medians, and whether it
/// meets `target` (at most).
pub fn report_ratio(group: &str, subject: &str, baseline: &str, target: f64) {
    match (median_ns(group, subject), median_ns(group, baseline)) {
        (Some(a), Some(b)) => {
            let ratio = a / b;
            let verdict = if ratio <= target { "meets" } else { "MISSES" };
            println!(
                "ratio {group}: {subject} {:.1} µs / {baseline} {:.1} µs = {ratio:.3} ({verdict} target ≤ {target})",
                a / 1000.0,
                b / 1000.0
            );
        }
        _ => println!("ratio {group}: no estimates found (was the group filtered out?)"),
    }
}
