//! Every worked example of `docs/metrics.md` is a test: its events are folded through the domain
//! into a dataset, the report runs with the example's request, and the numbers the document shows
//! must be the report's.

mod common;

use common::*;
use serde_json::Value;

const DOC: &str = include_str!("../../../docs/metrics.md");

/// The fenced blocks of the document whose info string is `{lang} {key}=NAME`.
fn blocks(lang: &str, key: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = DOC.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        let mut parts = info.split_whitespace();
        if parts.next() != Some(lang) {
            continue;
        }
        let Some(name) = parts
            .next()
            .and_then(|p| p.strip_prefix(&format!("{key}=")))
        else {
            continue;
        };
        let body: Vec<&str> = lines
            .by_ref()
            .take_while(|l| !l.starts_with("```"))
            .collect();
        out.push((name.to_owned(), body.join("\n")));
    }
    out
}

#[test]
fn every_worked_example_is_what_the_engine_computes() {
    let examples = blocks("jsonl", "example");
    let expectations = blocks("json", "expect");
    assert!(
        examples.len() >= 36,
        "found only {} examples",
        examples.len()
    );
    for (name, spec) in &expectations {
        let events = &examples
            .iter()
            .find(|e| &e.0 == name)
            .unwrap_or_else(|| panic!("no events for {name}"))
            .1;
        let spec: Value = serde_json::from_str(spec).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut ds = dataset(events);
        feed_sla(&mut ds, &spec);
        let get = |k: &str, default: &str| spec[k].as_str().unwrap_or(default).to_owned();
        let (from, to) = (
            get("from", "2026-01-01T00:00:00Z"),
            get("to", "2026-02-01T00:00:00Z"),
        );
        let mut req = request(&from, &to);
        req.tz = jiff::tz::TimeZone::get(&get("tz", "UTC")).unwrap();
        req.week_start = sanjeh_metrics::week_start_for_language(&get("lang", "en"));
        req.compare_previous = spec["previous"].as_bool().unwrap_or(false);
        if let Some(dims) = spec["by"].as_array() {
            let dims: Vec<&str> = dims.iter().map(|d| d.as_str().unwrap()).collect();
            by(&mut req, &dims);
        }
        if let Some(f) = spec.get("filter") {
            req.filter =
                serde_json::from_value(f.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        if let Some(c) = spec.get("calendars") {
            let config: sanjeh_calendar::CalendarsConfig =
                serde_json::from_value(c.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
            let cals = sanjeh_calendar::Calendars::from_config(&config).unwrap();
            req.calendars = Some(std::sync::Arc::new(cals));
        }
        let (_, report) = run(&ds, &req);
        if let Some(k) = spec.get("kpis") {
            assert_subset(&report["kpis"], k, &format!("{name}: kpis"));
        }
        if let Some(rows) = spec.get("rows") {
            assert_subset(&report["by"][0]["rows"], rows, &format!("{name}: rows"));
        }
        if let Some(r) = spec.get("report") {
            assert_subset(&report, r, &format!("{name}: report"));
        }
    }
}

#[test]
fn every_catalogue_kpi_has_a_section_and_a_worked_example() {
    let examples = blocks("jsonl", "example");
    let expectations = blocks("json", "expect");
    for kpi in sanjeh_metrics::output::KPI_IDS
        .iter()
        .filter(|k| !k.starts_with("handle_time_") && !k.ends_with("_business"))
    {
        assert!(
            DOC.contains(&format!("\n### {kpi}\n")),
            "no section for {kpi}"
        );
        assert!(examples.iter().any(|e| e.0 == *kpi), "no example for {kpi}");
        assert!(
            expectations.iter().any(|e| e.0 == *kpi),
            "no expectation for {kpi}"
        );
    }
}
