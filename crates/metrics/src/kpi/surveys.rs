//! Survey KPIs over answers given in the period: CSAT, NPS and CES.
//!
//! - CSAT: satisfied answers (4 or 5 of 5, or "good") over all answers.
//! - NPS: % promoters (9–10) − % detractors (0–6), from −100 to 100.
//! - CES: mean effort score (1–7) and the share answering 5–7.
//!
//! A ticket keeps only its latest answer per survey (a changed rating replaces the old one,
//! as in Zendesk). An answer files under its ticket's dimensions and under the agent it names,
//! else the ticket's solver, else its assignee (Zendesk credits the assignee).

use super::{
    Merge, Totals, customer_org, finish_cells, needs_tags, ticket_attrs, with_warm_tickets,
};
use crate::engine::{Ctx, FamilyOut};
use crate::output::{Ces, Kpis, Nps, Rate};
use crate::period::DurationClock;
use crate::slicing::{Attrs, Key, Keyer, Slice};
use crate::table::events::{SCORE_GOOD, survey_code};
use sanjeh_domain::SurveyKind;

#[derive(Default)]
struct Acc {
    csat_yes: u64,
    csat_n: u64,
    promoters: u64,
    passives: u64,
    detractors: u64,
    ces_sum: u64,
    ces_high: u64,
    ces_n: u64,
}

/// Whether a stored CSAT score is satisfied.
pub fn satisfied(score: u8) -> bool {
    score == SCORE_GOOD || (4..=5).contains(&score)
}

pub fn run<C: DurationClock>(ctx: &Ctx<C>, scopes: &[Option<&Keyer>]) -> FamilyOut {
    let ds = ctx.ds;
    let s = &ds.events.surveys;
    let t = &ds.tickets;
    let p = ctx.period;
    let (csat, nps, ces) = (
        survey_code(SurveyKind::Csat),
        survey_code(SurveyKind::Nps),
        survey_code(SurveyKind::Ces),
    );
    let plan = Totals::plan(scopes);
    let mut slices: Vec<Slice<Acc>> = plan.slices(scopes, p, ctx.only, Acc::default);
    let tags = needs_tags(scopes);
    let rows = s.zones.rows(0..s.len(), p);
    with_warm_tickets(
        ds,
        rows,
        |i| s.ticket[i],
        |i| {
            if !s.live[i] || !p.contains(s.at[i]) {
                return;
            }
            let ticket = s.ticket[i];
            let present = ticket != 0 && t.get(ticket).is_present();
            let attrs = if present {
                ticket_attrs(ds, ticket, tags)
            } else {
                Attrs {
                    org: customer_org(ds, s.customer[i]),
                    ..Attrs::default()
                }
            };
            let mut agent = s.agent[i];
            if agent == 0 && present {
                let tk = t.get(ticket);
                agent = if tk.solved_by != 0 {
                    tk.solved_by
                } else {
                    tk.assignee
                };
            }
            let (kind, score) = (s.kind[i], s.score[i]);
            for slice in &mut slices {
                slice.begin(&attrs);
                slice.at(agent, s.at[i], |a, _| {
                    if kind == csat {
                        a.csat_n += 1;
                        a.csat_yes += u64::from(satisfied(score));
                    } else if kind == nps {
                        match score {
                            9..=10 => a.promoters += 1,
                            7..=8 => a.passives += 1,
                            _ => a.detractors += 1,
                        }
                    } else if kind == ces {
                        a.ces_n += 1;
                        a.ces_sum += u64::from(score);
                        a.ces_high += u64::from(score >= 5);
                    }
                });
            }
        },
    );
    let mut cells: Vec<Vec<(Key, Acc)>> = slices.into_iter().map(Slice::finish).collect();
    plan.merge(&mut cells, scopes);
    finish_cells(cells, scopes, None, |a| finish(&a))
}

impl Merge for Acc {
    fn merge(&mut self, o: &Acc) {
        self.csat_yes += o.csat_yes;
        self.csat_n += o.csat_n;
        self.promoters += o.promoters;
        self.passives += o.passives;
        self.detractors += o.detractors;
        self.ces_sum += o.ces_sum;
        self.ces_high += o.ces_high;
        self.ces_n += o.ces_n;
    }
}

fn finish(a: &Acc) -> Kpis {
    let n = a.promoters + a.passives + a.detractors;
    Kpis {
        csat: Some(Rate::new(a.csat_yes, a.csat_n)),
        nps: Some(Nps {
            value: (n > 0).then(|| (a.promoters as f64 - a.detractors as f64) * 100.0 / n as f64),
            promoters: a.promoters,
            passives: a.passives,
            detractors: a.detractors,
            n,
            band: None,
        }),
        ces: Some(Ces {
            value: (a.ces_n > 0).then(|| a.ces_sum as f64 / a.ces_n as f64),
            sum: a.ces_sum,
            n: a.ces_n,
            high: Rate::new(a.ces_high, a.ces_n),
            band: None,
        }),
        ..Kpis::default()
    }
}
