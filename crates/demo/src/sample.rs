//! Random draws shaped like help-desk data: log-normal waits, weighted choices, rare events.
//!
//! Everything takes the one seeded generator explicitly so that the order of draws, and so
//! the whole output, depends only on the seed.

use crate::calendar::{DAY, Secs};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// The generator behind every draw: ChaCha8 is fast, portable and reproducible across
/// platforms and `rand` versions, which `StdRng` does not promise.
pub(crate) type DemoRng = rand_chacha::ChaCha8Rng;

/// True with probability `p`.
pub(crate) fn chance(rng: &mut DemoRng, p: f64) -> bool {
    rng.random::<f64>() < p
}

/// A standard normal draw.
pub(crate) fn normal(rng: &mut DemoRng) -> f64 {
    StandardNormal.sample(rng)
}

/// A log-normal draw given its median (not mean): waits and handling times are skewed like
/// this, most short and a long tail, which is what makes p90 differ from the mean.
pub(crate) fn lognormal(rng: &mut DemoRng, median: f64, sigma: f64) -> f64 {
    median * (sigma * normal(rng)).exp()
}

/// A log-normal duration in whole seconds, at least one second and at most 60 days.
pub(crate) fn wait(rng: &mut DemoRng, median_secs: f64, sigma: f64) -> Secs {
    (lognormal(rng, median_secs, sigma).round() as Secs).clamp(1, 60 * DAY)
}

/// A uniform duration in `lo..=hi` seconds.
pub(crate) fn between(rng: &mut DemoRng, lo: Secs, hi: Secs) -> Secs {
    rng.random_range(lo..=hi)
}

/// One of `items`, chosen with the given relative weights.
pub(crate) fn weighted<T: Copy>(rng: &mut DemoRng, items: &[(T, f64)]) -> T {
    let total: f64 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.random::<f64>() * total;
    for &(item, w) in items {
        if x < w {
            return item;
        }
        x -= w;
    }
    items[items.len() - 1].0
}

/// One of `items`, uniformly.
pub(crate) fn pick<'a, T>(rng: &mut DemoRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// How many of something happen when each further one follows with a fixed chance:
/// a geometric count with the given mean (0, 1, 2 … ever rarer).
pub(crate) fn count(rng: &mut DemoRng, mean: f64) -> u32 {
    let more = mean / (1.0 + mean);
    let mut n = 0;
    while n < 50 && chance(rng, more) {
        n += 1;
    }
    n
}

/// An index in `0..n` skewed toward 0 (a few articles get most of the views).
pub(crate) fn popular(rng: &mut DemoRng, n: usize) -> usize {
    let u: f64 = rng.random();
    ((u * u * u) * n as f64) as usize % n.max(1)
}
