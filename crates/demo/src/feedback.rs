//! What customers answer in surveys, driven by how their ticket went.
//!
//! One latent satisfaction (roughly 1–5) per ticket feeds CSAT, NPS and CES alike, so the
//! three agree the way real answers do, and slow, reopened or complaint tickets score lower:
//! the correlations a manager looks for in the reports are really in the data.

use crate::calendar::{DAY, HOUR, Secs};
use crate::catalog::{self, Comments, Lang};
use crate::sample::{DemoRng, chance, normal, pick, wait};
use sanjeh_domain::SurveyKind;

/// How a ticket went, as far as the customer could tell.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Experience {
    pub reopened: bool,
    pub rounds: u32,
    pub complaint: bool,
    pub first_reply: Option<Secs>,
    pub resolution: Secs,
    pub agent_quality: f64,
    pub outbound: bool,
}

/// The latent satisfaction of a ticket's customer.
pub(crate) fn satisfaction(rng: &mut DemoRng, e: &Experience) -> f64 {
    let mut s = 4.45 + e.agent_quality;
    if e.reopened {
        s -= 0.7;
    }
    s -= 0.3 * e.rounds.saturating_sub(1) as f64;
    if e.complaint {
        s -= 1.0;
    }
    if e.first_reply.is_some_and(|f| f > 8 * HOUR) {
        s -= 0.35;
    }
    if e.resolution > 3 * DAY {
        s -= 0.35;
    }
    s + 0.85 * normal(rng)
}

/// One survey answer and how long after the solve it came.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Answer {
    pub survey: SurveyKind,
    pub score: i64,
    pub comment: Option<&'static str>,
    pub delay: Secs,
}

/// The surveys the customer answers after a solve (most answer none).
pub(crate) fn answers(rng: &mut DemoRng, e: &Experience, lang: Lang) -> (f64, Vec<Answer>) {
    let s = satisfaction(rng, e);
    let mut out = Vec::new();
    let csat_rate = if e.outbound { 0.10 } else { 0.24 };
    if chance(rng, csat_rate) {
        out.push(answer(rng, SurveyKind::Csat, s, lang));
    }
    if chance(rng, 0.05) {
        out.push(answer(rng, SurveyKind::Nps, s, lang));
    }
    if chance(rng, 0.07) {
        out.push(answer(rng, SurveyKind::Ces, s, lang));
    }
    (s, out)
}

/// A relationship NPS answer, not about any ticket.
pub(crate) fn relationship_nps(rng: &mut DemoRng, lang: Lang) -> Answer {
    let s = 4.0 + 0.9 * normal(rng);
    answer(rng, SurveyKind::Nps, s, lang)
}

fn answer(rng: &mut DemoRng, survey: SurveyKind, s: f64, lang: Lang) -> Answer {
    let (score, sentiment, comments, comment_rate) = match survey {
        SurveyKind::Csat => {
            let v = (s.round() as i64).clamp(1, 5);
            (
                v,
                [0, 0, 1, 2, 2][v as usize - 1],
                &catalog::CSAT_COMMENTS,
                0.4,
            )
        }
        SurveyKind::Nps => {
            let v = ((1.9 * s + 0.6 + 1.3 * normal(rng)).round() as i64).clamp(0, 10);
            (
                v,
                if v <= 6 {
                    0
                } else if v <= 8 {
                    1
                } else {
                    2
                },
                &catalog::NPS_COMMENTS,
                0.55,
            )
        }
        SurveyKind::Ces => {
            let v = ((1.3 * s + 0.3 + 0.7 * normal(rng)).round() as i64).clamp(1, 7);
            (
                v,
                if v <= 3 {
                    0
                } else if v == 4 {
                    1
                } else {
                    2
                },
                &catalog::CES_COMMENTS,
                0.25,
            )
        }
    };
    let comment = chance(rng, comment_rate).then(|| comment(rng, comments, sentiment, lang));
    Answer {
        survey,
        score,
        comment,
        delay: wait(rng, 3.0 * HOUR as f64, 1.2).min(2 * DAY),
    }
}

fn comment(rng: &mut DemoRng, comments: &Comments, sentiment: usize, lang: Lang) -> &'static str {
    let said: &&'static str = pick(rng, catalog::phrases(&comments[sentiment], lang));
    said
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn bad_experiences_score_lower() {
        let mut rng = DemoRng::seed_from_u64(3);
        let good = Experience::default();
        let bad = Experience {
            reopened: true,
            complaint: true,
            rounds: 3,
            ..Experience::default()
        };
        let mean = |rng: &mut DemoRng, e: &Experience| {
            (0..2000).map(|_| satisfaction(rng, e)).sum::<f64>() / 2000.0
        };
        assert!(mean(&mut rng, &good) > mean(&mut rng, &bad) + 1.5);
    }
}
