//! The call KPIs on a public data set: PwC's call-centre case (5,000 calls, Jan–Mar 2021, see
//! `shared/data/pwc_call_center_synthetic/SOURCE.md`). Each call becomes `call.*` events and its
//! rating a CSAT answer; the report must agree with the same figures computed here directly from
//! the CSV. Skipped, with a notice, where `shared/data` is absent (a user's machine).

mod common;

use common::*;
use jiff::Timestamp;
use sanjeh_domain::event::{Event, EventBody, Score, SurveyResponse};
use sanjeh_domain::{Id, SurveyKind};
use sanjeh_metrics::Dataset;

const CSV: &str =
    "../../../shared/data/pwc_call_center_synthetic/call_center_dataset_converted.csv";

fn id(s: &str) -> Id {
    Id::parse("id", s).unwrap()
}

fn seconds(hms: &str) -> i64 {
    hms.split(':')
        .fold(0, |acc, p| acc * 60 + p.parse::<i64>().unwrap())
}

#[test]
fn pwc_call_centre_calls_and_ratings() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(CSV);
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("skipped: {} is absent", path.display());
        return;
    };
    let mut ds = Dataset::new();
    let (mut calls, mut answered, mut within_20, mut rated, mut satisfied) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let (mut speed_sum, mut talk_sum) = (0i64, 0i64);
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (call, agent, queued): (Id, Id, Timestamp) = (
            id(f[0]),
            id(f[1]),
            format!("{}T{}Z", f[2], f[3]).parse().unwrap(),
        );
        let at = |s: i64| queued + jiff::SignedDuration::from_secs(s);
        calls += 1;
        ds.add_event(&Event::new(
            queued,
            EventBody::CallQueued {
                call: call.clone(),
                queue: Some(f[4].into()),
                customer: None,
            },
        ));
        if f[5] == "Y" {
            let (speed, talk) = (f[7].parse::<i64>().unwrap(), seconds(f[8]));
            answered += 1;
            within_20 += u64::from(speed <= 20);
            speed_sum += speed;
            talk_sum += talk;
            ds.add_event(&Event::new(
                at(speed),
                EventBody::CallAnswered {
                    call: call.clone(),
                    agent: Some(agent.clone()),
                },
            ));
            ds.add_event(&Event::new(
                at(speed + talk),
                EventBody::CallEnded {
                    call,
                    hold_s: None,
                    wrapup_s: None,
                },
            ));
            if let Ok(score) = f[9].parse::<i64>() {
                rated += 1;
                satisfied += u64::from(score >= 4);
                ds.add_event(&Event::new(
                    at(speed + talk),
                    EventBody::SurveyResponse(SurveyResponse {
                        survey: SurveyKind::Csat,
                        score: Score::Scale(score),
                        ticket: None,
                        customer: None,
                        agent: Some(agent),
                        comment: None,
                    }),
                ));
            }
        } else {
            // The data set does not say when unanswered calls hung up: half a minute later.
            ds.add_event(&Event::new(at(30), EventBody::CallAbandoned { call }));
        }
    }
    assert_eq!(
        (calls, answered),
        (5000, 4054),
        "the data set as SOURCE.md describes it"
    );

    let mut req = request("2021-01-01T00:00:00Z", "2021-04-01T00:00:00Z");
    by(&mut req, &["agent"]);
    let (_, v) = run(&ds, &req);
    let k = &v["kpis"];
    assert_eq!(k["abandonment_rate"]["num"], calls - answered);
    assert_eq!(k["abandonment_rate"]["den"], calls);
    assert_eq!(k["abandonment_rate"]["under_5s"], 0);
    assert_eq!(k["service_level"]["num"], within_20);
    assert_eq!(k["speed_of_answer"]["n"], answered);
    assert!(
        (k["speed_of_answer"]["mean_s"].as_f64().unwrap() - speed_sum as f64 / answered as f64)
            .abs()
            < 1e-9
    );
    assert!(
        (k["handle_time_calls"]["mean_s"].as_f64().unwrap() - talk_sum as f64 / answered as f64)
            .abs()
            < 1e-9
    );
    assert_eq!(
        (k["csat"]["num"].as_u64(), k["csat"]["den"].as_u64()),
        (Some(satisfied), Some(rated))
    );
    // Eight agents answer; their rows add up to the whole.
    let rows = v["by"][0]["rows"].as_array().unwrap();
    let named: Vec<&serde_json::Value> = rows
        .iter()
        .filter(|r| !r["key"]["agent"].is_null())
        .collect();
    assert_eq!(named.len(), 8);
    let answered_by_agents: u64 = named
        .iter()
        .map(|r| r["kpis"]["speed_of_answer"]["n"].as_u64().unwrap())
        .sum();
    assert_eq!(answered_by_agents, answered);
    eprintln!(
        "PwC call centre: abandonment {:.4}, ASA {:.1} s, service level {:.4}, CSAT {:.4}",
        k["abandonment_rate"]["value"].as_f64().unwrap(),
        k["speed_of_answer"]["mean_s"].as_f64().unwrap(),
        k["service_level"]["value"].as_f64().unwrap(),
        k["csat"]["value"].as_f64().unwrap()
    );
}
