//! The asterisk converter on the real queue_log export and on hand-made flat files.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use sanjeh_domain::event::Availability;
use sanjeh_domain::{Event, EventBody};
use sanjeh_import::asterisk::{Options, convert};
use sanjeh_import::{Item, Problem, Summary};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

const REAL_LOG: &str = "/work/shared/data/asterisk_queue_log_voipreports/queue_log.csv";

fn write(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

fn run(paths: &[PathBuf], options: &Options) -> (Vec<Item>, Option<Problem>) {
    let mut items = Vec::new();
    for step in convert(paths, options).expect("files open") {
        match step {
            Ok(item) => items.push(item),
            Err(problem) => return (items, Some(problem)),
        }
    }
    (items, None)
}

fn run_text(text: &str) -> Vec<Item> {
    let f = write(text);
    let (items, rejected) = run(&[f.path().to_owned()], &Options::default());
    assert_eq!(rejected, None);
    items
}

fn events(items: &[Item]) -> Vec<&Event> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Event(r) => Some(&r.event),
            _ => None,
        })
        .collect()
}

fn kinds(items: &[Item]) -> Vec<&'static str> {
    events(items).iter().map(|e| e.body.type_name()).collect()
}

fn extra(e: &Event) -> Value {
    Value::Object(e.extra.clone())
}

fn skipped(items: &[Item]) -> Vec<(u64, String)> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Skipped(p) => Some((p.origin.line, p.field.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn real_queue_log_export_converts() {
    assert!(Path::new(REAL_LOG).exists(), "{REAL_LOG} is missing");
    let (items, rejected) = run(&[PathBuf::from(REAL_LOG)], &Options::default());
    assert_eq!(rejected, None);
    let mut summary = Summary::default();
    items.iter().for_each(|i| summary.add(i));
    // Computed independently with a Python pass over the file (csv.DictReader, a per-callid
    // phase machine: ENTERQUEUE queues; CONNECT/ABANDON/EXITWITHTIMEOUT need a queued call;
    // COMPLETE*/…TRANSFER need an answered one):
    //   the script (run once with python3):
    //     import csv, collections
    //     rows = list(csv.DictReader(open('/work/shared/data/asterisk_queue_log_voipreports/queue_log.csv', newline='')))
    //     calls = {}  # callid -> [leg, phase]
    //     c = collections.Counter()
    //     avail = {'AGENTLOGIN','AGENTLOGOFF','AGENTCALLBACKLOGIN','AGENTCALLBACKLOGOFF','PAUSE','UNPAUSE','PAUSEALL','UNPAUSEALL','ADDMEMBER','REMOVEMEMBER'}
    //     for r in rows:
    //         e, cid = r['event'], r['callid']
    //         if e in avail: c['availability'] += 1; continue
    //         if e.startswith('OUT'): c['unmapped outbound'] += 1; continue
    //         if e in ('QUEUESTART','CONFIGRELOAD'): c['unmapped system'] += 1; continue
    //         if e == 'ENTERQUEUE':
    //             leg = calls[cid][0] + 1 if cid in calls else 1
    //             calls[cid] = [leg, 'q']; c['call.queued'] += 1; continue
    //         want = 'q' if e in ('CONNECT','ABANDON','EXITWITHTIMEOUT','EXITWITHKEY','EXITEMPTY','RINGNOANSWER') else 'a'
    //         if cid not in calls: c['skipped no enterqueue ' + e] += 1; continue
    //         if calls[cid][1] != want: c['skipped phase ' + e] += 1; continue
    //         if e == 'RINGNOANSWER': c['rna folded'] += 1; continue
    //         if e == 'CONNECT': calls[cid][1] = 'a'; c['call.answered'] += 1
    //         elif e in ('ABANDON','EXITWITHTIMEOUT'): calls[cid][1] = 'e'; c['call.abandoned'] += 1
    //         else: calls[cid][1] = 'e'; c['call.ended'] += 1; c['ended ' + e] += 1
    //     print(dict(sorted(c.items())))
    //     print('legs>1', sum(1 for v in calls.values() if v[0] > 1))
    //   → queued 108, answered 93, abandoned 13 (ABANDON 12 +
    //   EXITWITHTIMEOUT 1), ended 91 (COMPLETEAGENT 51, COMPLETECALLER 38, BLINDTRANSFER 1,
    //   ATTENDEDTRANSFER 1); RINGNOANSWER 360 folded; availability 60
    //   (ADDMEMBER 26, AGENTCALLBACKLOGIN 14, REMOVEMEMBER 10, AGENTCALLBACKLOGOFF 10),
    //   outbound 257 (OUT*), system 18 (QUEUESTART 7, CONFIGRELOAD 11); nothing skipped.
    let counts: Vec<(&str, u64)> = summary.events.iter().map(|(k, v)| (*k, *v)).collect();
    assert_eq!(
        counts,
        [
            ("agent.availability", 60),
            ("call.abandoned", 13),
            ("call.answered", 93),
            ("call.ended", 91),
            ("call.queued", 108)
        ]
    );
    assert_eq!(summary.skipped, 0, "{summary}");
    let unmapped: HashMap<&str, u64> = summary
        .unmapped
        .iter()
        .map(|(field, values)| (field.as_str(), values.values().sum()))
        .collect();
    assert_eq!(unmapped["event (outbound call: not a queue call)"], 257);
    assert_eq!(unmapped["event (system)"], 18);
    assert_eq!(unmapped.len(), 2);
    // The export's epoch column is used: first ENTERQUEUE 1543602677 = 13:31:17 local (EST).
    let all = events(&items);
    let evs: Vec<&Event> = all
        .iter()
        .copied()
        .filter(|e| e.body.type_name().starts_with("call."))
        .collect();
    assert_eq!(evs[0].at, Timestamp::from_second(1_543_602_677).unwrap());
    assert_eq!(evs[0].id.as_deref(), Some("ast-1543602660.197:queued"));

    // Ids are unique; every event survives the interchange round trip.
    let ids: HashSet<&str> = all.iter().map(|e| e.id.as_deref().unwrap()).collect();
    assert_eq!(ids.len(), all.len());
    for e in &all {
        assert_eq!(&Event::parse_line(&e.to_line()).unwrap(), *e);
    }

    // What the call KPIs read: the queue wait from the timestamps (speed of answer, service
    // level) agrees with Asterisk's own wait to within the log's one-second resolution, and
    // the talk time with answer-to-end (handle time).
    let mut queued = HashMap::new();
    let mut answered = HashMap::new();
    let mut agents = 0;
    for e in &evs {
        match &e.body {
            EventBody::CallQueued { call, queue, .. } => {
                assert_eq!(queue.as_deref(), Some("IT"));
                queued.insert(call.clone(), e.at);
            }
            EventBody::CallAnswered { call, agent } => {
                agents += usize::from(agent.is_some());
                let wait = (e.at - queued[call]).get_seconds();
                let logged = e.extra["wait_s"].as_i64().unwrap();
                assert!((wait - logged).abs() <= 1, "{call}: {wait} vs {logged}");
                answered.insert(call.clone(), e.at);
            }
            EventBody::CallEnded { call, .. } => {
                let talk = (e.at - answered[call]).get_seconds();
                let logged = e.extra["talk_s"].as_i64().unwrap();
                assert!((talk - logged).abs() <= 1, "{call}: {talk} vs {logged}");
            }
            EventBody::CallAbandoned { call } => assert!(queued.contains_key(call)),
            _ => unreachable!(),
        }
    }
    assert_eq!(agents, 93);
}

#[test]
fn abandoned_after_ringing_agents_keeps_the_rings() {
    let items = run_text(
        "1366720000|1366720000.1|support|NONE|ENTERQUEUE||5551234|1\n\
         1366720015|1366720000.1|support|SIP/201|RINGNOANSWER|15000\n\
         1366720030|1366720000.1|support|SIP/202|RINGNOANSWER|15000\n\
         1366720045|1366720000.1|support|SIP/201|RINGNOANSWER|15000\n\
         1366720050|1366720000.1|support|NONE|ABANDON|1|1|50\n",
    );
    assert_eq!(kinds(&items), ["call.queued", "call.abandoned"]);
    let evs = events(&items);
    assert!(
        matches!(&evs[0].body, EventBody::CallQueued { customer: Some(c), queue: Some(q), .. }
        if c.as_str() == "ast-cid-5551234" && q == "support")
    );
    assert_eq!(
        extra(evs[1]),
        json!({"reason": "abandon", "position": 1, "orig_position": 1, "wait_s": 50,
               "ring_no_answer": 3, "ring_no_answer_agents": ["ast-SIP/201", "ast-SIP/202"]})
    );
    assert_eq!(items.len(), 2, "rings yield no item of their own");
}

#[test]
fn timeouts_and_keys_are_abandons_with_their_reason() {
    let items = run_text(
        "1366720000|a.1|support|NONE|ENTERQUEUE||555|1\n\
         1366720300|a.1|support|NONE|EXITWITHTIMEOUT|2|1|300\n\
         1366720400|b.2|support|NONE|ENTERQUEUE||556|1\n\
         1366720410|b.2|support|NONE|EXITWITHKEY|5|1|1|10\n\
         1366720500|c.3|support|NONE|ENTERQUEUE||unknown|1\n\
         1366720501|c.3|support|NONE|EXITEMPTY|1|1|1\n",
    );
    let evs = events(&items);
    assert_eq!(evs.len(), 6);
    assert_eq!(extra(evs[1])["reason"], "timeout");
    assert_eq!(extra(evs[1])["wait_s"], 300);
    assert_eq!(
        extra(evs[3]),
        json!({"reason": "key", "key": "5", "position": 1,
                                     "orig_position": 1, "wait_s": 10})
    );
    assert_eq!(extra(evs[5])["reason"], "empty");
    // A hidden caller id gives no customer.
    assert!(matches!(
        &evs[4].body,
        EventBody::CallQueued { customer: None, .. }
    ));
}

#[test]
fn a_transfer_ends_this_leg_and_a_requeue_starts_another() {
    let items = run_text(
        "1366720000|7.1|sales|NONE|ENTERQUEUE||555|1\n\
         1366720010|7.1|sales|SIP/201|CONNECT|10|7.2|3\n\
         1366720100|7.1|sales|SIP/201|BLINDTRANSFER|300|from-internal|10|90|1\n\
         1366720105|7.1|support|NONE|ENTERQUEUE||555|1\n\
         1366720110|7.1|support|SIP/301|CONNECT|5|7.3|2\n\
         1366720200|7.1|support|SIP/301|ATTENDEDTRANSFER|BRIDGE|SIP/401-0001|5|90|1\n",
    );
    let evs = events(&items);
    let ids: Vec<&str> = evs.iter().map(|e| e.id.as_deref().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "ast-7.1:queued",
            "ast-7.1:answered",
            "ast-7.1:ended",
            "ast-7.1.2:queued",
            "ast-7.1.2:answered",
            "ast-7.1.2:ended"
        ]
    );
    assert_eq!(
        extra(evs[2]),
        json!({"transfer": "blind", "transfer_to": "300", "transfer_context": "from-internal",
               "wait_s": 10, "talk_s": 90})
    );
    assert_eq!(
        extra(evs[5]),
        json!({"transfer": "attended", "transfer_method": "BRIDGE",
               "transfer_to": "SIP/401-0001", "wait_s": 5, "talk_s": 90})
    );
    assert!(
        matches!(&evs[4].body, EventBody::CallAnswered { agent: Some(a), .. }
        if a.as_str() == "ast-SIP/301")
    );
    // Asterisk's holdtime is queue wait, not hold during the call: hold_s stays empty.
    assert!(matches!(
        &evs[2].body,
        EventBody::CallEnded {
            hold_s: None,
            wrapup_s: None,
            ..
        }
    ));
}

#[test]
fn an_agent_logging_off_mid_call_does_not_end_the_call() {
    let items = run_text(
        "1366720000|9.1|support|NONE|ENTERQUEUE||555|1\n\
         1366720004|9.1|support|Agent/1001|CONNECT|4|9.2|2\n\
         1366720050|NONE|NONE|Agent/1001|AGENTLOGOFF|SIP/1001|3600\n\
         1366720060|9.1|support|Agent/1001|COMPLETEAGENT|4|56|1\n",
    );
    assert_eq!(
        kinds(&items),
        [
            "call.queued",
            "call.answered",
            "agent.availability",
            "call.ended"
        ]
    );
    assert!(matches!(
        &events(&items)[2].body,
        EventBody::AgentAvailability {
            state: Availability::LoggedOut,
            queue: None,
            ..
        }
    ));
    let ended = events(&items)[3];
    assert_eq!(
        extra(ended),
        json!({"hung_up_by": "agent", "wait_s": 4, "talk_s": 56})
    );
}

#[test]
fn connect_without_enterqueue_and_bad_lines_are_skipped() {
    let items = run_text(
        "1366720000|1.1|support|SIP/201|CONNECT|4|1.2|2\n\
         1366720001|1.1|support|SIP/201|COMPLETECALLER|4|30|1\n\
         1366720002|2.1|sup\n\
         \n\
         noon|2.1|support|NONE|ENTERQUEUE||555|1\n\
         1366720010|NONE|support|NONE|ENTERQUEUE||555|1\n\
         1366720020|3.1|support|NONE|ENTERQUEUE||555|1\n\
         1366720021|3.1|support|NONE|COMPLETECALLER|1|1|1\n\
         1366720030|3.1|support|SIP/201|CONNECT|10|3.2|2\n\
         1366720031|3.1|support|SIP/201|CONNECT|11|3.2|2\n\
         1366720090|3.1|support|SIP/201|COMPLETECALLER|10|59|1\n\
         1366720095|3.1|support|NONE|ABANDON|1|1|5\n",
    );
    assert_eq!(
        kinds(&items),
        ["call.queued", "call.answered", "call.ended"]
    );
    assert_eq!(
        skipped(&items),
        [
            (1, "callid".to_owned()), // CONNECT without ENTERQUEUE
            (2, "callid".to_owned()), // …and its end
            (3, "line".to_owned()),   // torn line
            (5, "time".to_owned()),   // not an epoch
            (6, "callid".to_owned()), // no call id
            (8, "event".to_owned()),  // ended before it was answered
            (10, "event".to_owned()), // answered twice
            (12, "event".to_owned()), // abandoned after it ended
        ]
    );
}

#[test]
fn freepbx_table_export_with_local_times() {
    let f = write(
        "time,callid,queuename,agent,event,data,data1,data2,data3,data4,data5\n\
         2013-04-23 12:37:57,1366735077.2,400,NONE,ENTERQUEUE,,,5551234,1,,\n\
         2013-04-23 12:38:02,1366735077.2,400,SIP/201,CONNECT,,5,1366735082.3,4,,\n\
         2013-04-23 12:40:02,1366735077.2,400,SIP/201,COMPLETECALLER,,5,120,1,,\n\
         2013-04-31 12:41:00,1366735099.4,400,NONE,ENTERQUEUE,,,5551234,1,,\n",
    );
    let options = Options {
        tz: TimeZone::get("America/New_York").unwrap(),
    };
    let (items, rejected) = run(&[f.path().to_owned()], &options);
    assert_eq!(rejected, None);
    let evs = events(&items);
    assert_eq!(
        kinds(&items),
        ["call.queued", "call.answered", "call.ended"]
    );
    // EDT is UTC−4.
    assert_eq!(
        evs[0].at,
        "2013-04-23T16:37:57Z".parse::<Timestamp>().unwrap()
    );
    assert!(
        matches!(&evs[0].body, EventBody::CallQueued { customer: Some(c), .. }
        if c.as_str() == "ast-cid-5551234")
    );
    assert_eq!(extra(evs[2])["talk_s"], 120);
    // April has no 31st: the line is skipped, named by its line and column.
    assert_eq!(skipped(&items), [(5, "time".to_owned())]);
}

#[test]
fn a_file_that_is_not_a_queue_log_is_rejected_before_converting() {
    let f = write("name,email\nann,ann@example.com\n");
    let Err(problem) = convert(&[f.path().to_owned()], &Options::default()) else {
        panic!("accepted a file that is not a queue_log");
    };
    assert_eq!((problem.origin.line, problem.field.as_str()), (1, "file"));
    assert!(
        convert(
            &[PathBuf::from("/nonexistent/queue_log")],
            &Options::default()
        )
        .is_err()
    );
}

#[test]
fn rotated_logs_continue_each_other() {
    let a = write("1366720000|5.1|support|NONE|ENTERQUEUE||555|1\n");
    let b = write("1366720004|5.1|support|SIP/201|CONNECT|4|5.2|2\n");
    let (items, rejected) = run(
        &[a.path().to_owned(), b.path().to_owned()],
        &Options::default(),
    );
    assert_eq!(rejected, None);
    assert_eq!(kinds(&items), ["call.queued", "call.answered"]);
}

proptest::proptest! {
    /// Whatever a torn or foreign line holds, the converter reports it and does not panic.
    #[test]
    fn arbitrary_lines_never_panic(lines in proptest::collection::vec(
        "[0-9]{0,11}(\\|[A-Za-z0-9./ ]{0,12}){0,9}", 1..20)) {
        let mut text = String::from("1366720000|1.1|q|NONE|ENTERQUEUE||555|1\n");
        for l in &lines {
            text.push_str(l);
            text.push('\n');
        }
        let f = write(&text);
        for step in convert(&[f.path().to_owned()], &Options::default()).unwrap() {
            proptest::prop_assert!(step.is_ok());
        }
    }
}

#[test]
fn logins_pauses_and_membership_become_availability_events() {
    let items = run_text(
        "1366720000|NONE|NONE|Agent/1001|AGENTLOGIN|SIP/1001\n\
         1366720100|NONE|support|Agent/1001|PAUSE|Lunch\n\
         1366723700|NONE|support|Agent/1001|UNPAUSE|\n\
         1366723800|NONE|billing|Agent/1001|REMOVEMEMBER|\n\
         1366723900|NONE|NONE|NONE|PAUSE|Lunch\n",
    );
    let states: Vec<(Availability, Option<&str>, Option<&str>)> = events(&items)
        .iter()
        .map(|e| match &e.body {
            EventBody::AgentAvailability {
                state,
                queue,
                reason,
                ..
            } => (*state, queue.as_deref(), reason.as_deref()),
            other => panic!("not availability: {other:?}"),
        })
        .collect();
    assert_eq!(
        states,
        [
            (Availability::Available, None, None),
            (Availability::Paused, Some("support"), Some("Lunch")),
            (Availability::Available, Some("support"), None),
            (Availability::LoggedOut, Some("billing"), None),
        ]
    );
    let skipped: Vec<&Problem> = items
        .iter()
        .filter_map(|i| match i {
            Item::Skipped(p) => Some(p),
            _ => None,
        })
        .collect();
    assert_eq!(skipped.len(), 1, "a pause without an agent is skipped");
    assert_eq!(skipped[0].field, "agent");
}
