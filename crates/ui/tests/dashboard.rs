//! The manager dashboard over real HTTP, against counts this test computes itself from the
//! events it writes: the period and channel/group/agent filters, the tickets behind a KPI
//! (and their pages), the CSV of every table, charts running right to left in Persian, and
//! who may see it.

mod common;

use common::{TestApp, browser, csrf_of, get_html as get, signed_in};
use reqwest::StatusCode;
use sanjeh_store::Request;
use std::collections::BTreeSet;

/// A written ticket: what the test needs to count.
#[derive(Debug, Clone)]
struct Written {
    id: String,
    channel: &'static str,
    group: &'static str,
    assignee: &'static str,
    /// Days before now it was created.
    days_ago: i64,
    /// The agent who solved it (an hour after creation), if solved.
    solver: Option<&'static str>,
    replied: bool,
}

/// 66 tickets over the last 40 days: three channels, two groups, two agents; most replied,
/// two thirds solved.
fn tickets() -> Vec<Written> {
    (0..66)
        .map(|i| Written {
            id: format!("D-{i:03}"),
            channel: ["email", "chat", "web"][i % 3],
            group: ["billing", "tech"][i % 2],
            assignee: ["A-1", "A-2"][(i / 2) % 2],
            days_ago: 1 + (i as i64 % 6) + if i >= 54 { 30 } else { 0 },
            solver: (i % 3 != 2).then_some(["A-1", "A-2"][(i / 3) % 2]),
            replied: i % 5 != 0,
        })
        .collect()
}

async fn write(app: &TestApp, written: &[Written]) -> jiff::Timestamp {
    let now = jiff::Timestamp::now();
    let mut lines = String::new();
    for t in written {
        let at = now - jiff::SignedDuration::from_hours(24 * t.days_ago);
        let h = |n: i64| (at + jiff::SignedDuration::from_mins(n)).to_string();
        lines += &format!(
            "{{\"type\":\"ticket.created\",\"at\":\"{}\",\"ticket\":\"{}\",\"customer\":\"C-{}\",\"channel\":\"{}\",\"group\":\"{}\",\"subject\":\"Question {}\"}}\n",
            h(0),
            t.id,
            t.id,
            t.channel,
            t.group,
            t.id
        );
        lines += &format!(
            "{{\"type\":\"ticket.assigned\",\"at\":\"{}\",\"ticket\":\"{}\",\"agent\":\"{}\"}}\n",
            h(1),
            t.id,
            t.assignee
        );
        if t.replied {
            lines += &format!(
                "{{\"type\":\"ticket.message\",\"at\":\"{}\",\"ticket\":\"{}\",\"author\":\"agent:{}\",\"public\":true}}\n",
                h(10),
                t.id,
                t.assignee
            );
        }
        if let Some(s) = t.solver {
            lines += &format!(
                "{{\"type\":\"ticket.status\",\"at\":\"{}\",\"ticket\":\"{}\",\"status\":\"solved\",\"by\":\"agent:{s}\"}}\n",
                h(60),
                t.id
            );
        }
    }
    let events = sanjeh_store::ingest::parse_lines(&lines).expect("valid events");
    app.writer
        .submit(Request::Ingest(events), None)
        .await
        .expect("ingest");
    now
}

/// The number on a KPI's card, as shown (English digits, separators removed).
fn card(html: &str, kpi: &str) -> u64 {
    let start = html
        .find(&format!("data-kpi=\"{kpi}\""))
        .unwrap_or_else(|| panic!("card {kpi}"));
    let value = &html[start..];
    let v = &value[value.find("class=\"value\"").unwrap()..];
    // The text outside tags.
    let text: String = v[..v.find("</p>").unwrap()]
        .split('>')
        .filter_map(|s| s.split('<').next())
        .collect::<String>()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    text.parse().unwrap_or_else(|_| panic!("{kpi}: {v:.200}"))
}

/// The ticket ids a drill-down page links to.
fn listed(html: &str) -> BTreeSet<String> {
    html.split("class=\"ticket\">")
        .skip(1)
        .map(|s| s[..s.find('<').unwrap()].to_owned())
        .collect()
}

/// Waits until the engine's dataset has the written tickets (the commit hook feeds it).
async fn settle(app: &TestApp, c: &reqwest::Client, expected_volume: u64) {
    for _ in 0..100 {
        let (_, html) = get(app, c, "/dashboard?period=90d").await;
        if card(&html, "ticket_volume") == expected_volume {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the dataset did not catch up");
}

#[tokio::test]
async fn filters_drill_down_and_csv_follow_the_events() {
    let app = TestApp::spawn().await;
    let written = tickets();
    write(&app, &written).await;
    let admin = signed_in(&app, "ADM").await;
    // The seed ticket (T-100, email, assigned to A-1, created now) plus ours.
    settle(&app, &admin, written.len() as u64 + 1).await;

    let recent: Vec<&Written> = written.iter().filter(|t| t.days_ago <= 7).collect();
    let count = |f: &dyn Fn(&&Written) -> bool| recent.iter().filter(|t| f(t)).count() as u64;

    // No filter, last 7 days.
    let (status, html) = get(&app, &admin, "/dashboard?period=7d").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(card(&html, "ticket_volume"), recent.len() as u64 + 1);
    assert_eq!(
        card(&html, "solved_tickets"),
        count(&|t| t.solver.is_some())
    );
    // The backlog at the end: every unsolved ticket, whenever created.
    let unsolved = written.iter().filter(|t| t.solver.is_none()).count() as u64 + 1;
    assert_eq!(card(&html, "backlog"), unsolved);

    // Each filter narrows cards (created: the ticket's channel and group; solved: its solver).
    for (query, created, solved) in [
        (
            "channel=chat",
            count(&|t| t.channel == "chat"),
            count(&|t| t.channel == "chat" && t.solver.is_some()),
        ),
        (
            "group=tech",
            count(&|t| t.group == "tech"),
            count(&|t| t.group == "tech" && t.solver.is_some()),
        ),
        (
            "agent=A-2",
            count(&|t| t.assignee == "A-2"),
            count(&|t| t.solver == Some("A-2")),
        ),
        (
            "channel=web&group=billing&agent=A-1",
            count(&|t| t.channel == "web" && t.group == "billing" && t.assignee == "A-1"),
            count(&|t| t.channel == "web" && t.group == "billing" && t.solver == Some("A-1")),
        ),
    ] {
        let (status, html) = get(&app, &admin, &format!("/dashboard?period=7d&{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(card(&html, "ticket_volume"), created, "{query}");
        assert_eq!(card(&html, "solved_tickets"), solved, "{query}");
        // Links carry the view.
        assert!(
            html.contains(&format!(
                "/dashboard/tickets?kpi=solved&#38;period=7d&#38;{}",
                query.replace('&', "&#38;")
            )),
            "{query}"
        );

        // The tickets behind "solved", all on one page here.
        let (_, list) = get(
            &app,
            &admin,
            &format!("/dashboard/tickets?kpi=solved&period=7d&{query}"),
        )
        .await;
        let expected: BTreeSet<String> = recent
            .iter()
            .filter(|t| t.solver.is_some())
            .filter(|t| match query {
                "channel=chat" => t.channel == "chat",
                "group=tech" => t.group == "tech",
                "agent=A-2" => t.solver == Some("A-2"),
                _ => t.channel == "web" && t.group == "billing" && t.solver == Some("A-1"),
            })
            .map(|t| t.id.clone())
            .collect();
        assert_eq!(listed(&list), expected, "{query}");
    }

    // A custom period: the tickets created 31 to 36 days ago, and only those.
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::UTC)
        .date();
    let day = |n: i64| {
        today
            .checked_sub(jiff::Span::new().days(n))
            .unwrap()
            .to_string()
    };
    let old: Vec<&Written> = written.iter().filter(|t| t.days_ago > 30).collect();
    let custom = format!("from={}&to={}", day(37), day(30));
    let (_, html) = get(&app, &admin, &format!("/dashboard?{custom}")).await;
    assert_eq!(card(&html, "ticket_volume"), old.len() as u64);
    assert!(
        html.contains("id=\"filter-from\" value=\""),
        "the form keeps the dates"
    );
    let (_, list) = get(
        &app,
        &admin,
        &format!("/dashboard/tickets?kpi=created&{custom}"),
    )
    .await;
    assert_eq!(
        listed(&list),
        old.iter().map(|t| t.id.clone()).collect::<BTreeSet<_>>()
    );

    // Unreplied: created in the period, no agent reply (the seed ticket too).
    let (_, list) = get(&app, &admin, "/dashboard/tickets?kpi=unreplied&period=7d").await;
    let mut unreplied: BTreeSet<String> = recent
        .iter()
        .filter(|t| !t.replied)
        .map(|t| t.id.clone())
        .collect();
    unreplied.insert("T-100".into());
    assert_eq!(listed(&list), unreplied);

    // Pages of 50: all tickets created in 90 days (67) take two pages.
    let (_, p1) = get(&app, &admin, "/dashboard/tickets?kpi=created&period=90d").await;
    let (_, p2) = get(
        &app,
        &admin,
        "/dashboard/tickets?kpi=created&period=90d&page=2",
    )
    .await;
    assert_eq!(listed(&p1).len(), 50);
    assert_eq!(listed(&p2).len(), written.len() + 1 - 50);
    assert!(listed(&p1).is_disjoint(&listed(&p2)));
    assert!(p1.contains("page=2"), "a link to the next page");

    // CSV: the KPI table, a chart's data, the drill-down list.
    let csv = |path: &'static str| {
        let admin = admin.clone();
        let url = app.url(path);
        async move {
            let r = admin.get(url).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            assert!(
                r.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/csv")
            );
            r.text().await.unwrap()
        }
    };
    let kpis = csv("/dashboard/table.csv?table=kpis&period=7d&channel=chat").await;
    let mut lines = kpis.lines();
    assert_eq!(
        lines.next().unwrap(),
        "KPI id,KPI,Value,Previous period,Change,Band"
    );
    let solved_line = kpis
        .lines()
        .find(|l| l.starts_with("solved_tickets,"))
        .unwrap();
    assert_eq!(
        solved_line.split(',').nth(2).unwrap(),
        count(&|t| t.channel == "chat" && t.solver.is_some()).to_string()
    );
    // A filtered view ranks its agents on the slice alone: each one's solved tickets in chat.
    let agents = csv("/dashboard/agents.csv?period=7d&channel=chat").await;
    let mut solved_by: Vec<(String, String)> = agents
        .lines()
        .skip(1)
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[1].to_owned(), cells[3].to_owned())
        })
        .collect();
    solved_by.sort();
    let expected: Vec<(String, String)> = ["A-1", "A-2"]
        .iter()
        .map(|a| {
            let n = count(&|t| t.channel == "chat" && t.solver == Some(*a));
            (a.to_string(), n.to_string())
        })
        .collect();
    assert_eq!(solved_by, expected, "{agents}");
    let volume = csv("/dashboard/table.csv?table=volume&period=7d").await;
    let head: Vec<&str> = volume.lines().next().unwrap().split(',').collect();
    assert_eq!(head, ["Day", "Email", "Web form", "Chat"]);
    let total: f64 = volume
        .lines()
        .skip(1)
        .flat_map(|l| l.split(',').skip(1).map(|v| v.parse::<f64>().unwrap()))
        .sum();
    assert_eq!(total as usize, recent.len() + 1, "every ticket in one cell");
    let list = csv("/dashboard/tickets.csv?kpi=backlog&period=7d").await;
    assert_eq!(list.lines().next().unwrap(), "Ticket,When");
    assert_eq!(list.lines().count() as u64 - 1, unsolved);
    for table in [
        "first_reply",
        "resolution",
        "backlog",
        "csat",
        "nps",
        "calls",
    ] {
        let r = admin
            .get(app.url(&format!("/dashboard/table.csv?table={table}&period=7d")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{table}");
        // One line per day of the period (7 or 8 calendar days) plus the header.
        let n = r.text().await.unwrap().lines().count();
        assert!((8..=9).contains(&n), "{table}: {n} lines");
    }

    // Bad parameters name what is wrong.
    for bad in [
        "/dashboard?from=yesterday",
        "/dashboard?from=2026-02-01&to=2026-01-01",
        "/dashboard?channel=pigeon",
        "/dashboard/tickets?kpi=happiness&period=7d",
        "/dashboard/table.csv?table=nothing",
    ] {
        assert_eq!(
            get(&app, &admin, bad).await.0,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
}

/// The x coordinates of a chart's bucket labels, in time order.
fn bucket_xs(html: &str, chart: &str) -> Vec<f64> {
    let start = html.find(&format!("id=\"{chart}\"")).unwrap();
    let svg = &html[start..start + html[start..].find("</svg>").unwrap()];
    svg.split("<text class=\"bucket\" x=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].parse().unwrap())
        .collect()
}

#[tokio::test]
async fn charts_run_right_to_left_in_persian_with_persian_headers() {
    let app = TestApp::spawn().await;
    let written = tickets();
    write(&app, &written).await;
    let c = signed_in(&app, "M-1").await;
    settle(&app, &c, written.len() as u64 + 1).await;

    let (_, html) = get(&app, &c, "/dashboard?period=7d").await;
    let xs = bucket_xs(&html, "chart-volume");
    assert!(xs.len() > 2);
    assert!(xs.windows(2).all(|w| w[0] < w[1]), "left to right: {xs:?}");
    assert!(html.contains("<title>"), "charts have titles");

    let csrf = csrf_of(&html);
    let r = c
        .post(app.url("/preferences/language"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("lang", "fa"),
            ("next", "/dashboard"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = get(&app, &c, "/dashboard?period=7d").await;
    assert!(html.contains("dir=\"rtl\""));
    for chart in ["chart-volume", "chart-first_reply", "chart-backlog"] {
        assert!(html.contains(&format!("id=\"{chart}\"")), "{chart}");
        let xs = bucket_xs(&html, chart);
        assert!(
            xs.windows(2).all(|w| w[0] > w[1]),
            "{chart} right to left: {xs:?}"
        );
    }
    assert!(html.contains("direction=\"rtl\""));
    // Persian digits in the chart's labels, none of the ASCII ones.
    let start = html.find("id=\"chart-volume\"").unwrap();
    let svg = &html[start..start + html[start..].find("</svg>").unwrap()];
    let labels: String = svg
        .split("<text ")
        .skip(1)
        .map(|s| &s[s.find('>').unwrap() + 1..s.find("</text>").unwrap()])
        .collect();
    assert!(
        labels.chars().any(|ch| ('۰'..='۹').contains(&ch)),
        "{labels}"
    );
    assert!(!labels.chars().any(|ch| ch.is_ascii_digit()), "{labels}");

    let r = c
        .get(app.url("/dashboard/table.csv?table=kpis&period=7d"))
        .send()
        .await
        .unwrap();
    let body = r.text().await.unwrap();
    assert!(body.starts_with("شناسهٔ شاخص,شاخص,مقدار"), "{body:.80}");
}

#[tokio::test]
async fn only_managers_and_admins_see_the_dashboard() {
    let app = TestApp::spawn().await;
    let paths = [
        "/dashboard",
        "/dashboard?period=7d&channel=email",
        "/dashboard/agents.csv",
        "/dashboard/table.csv?table=kpis",
        "/dashboard/tickets?kpi=solved",
        "/dashboard/tickets.csv?kpi=backlog",
    ];
    let anonymous = browser();
    let agent = signed_in(&app, "A-1").await;
    let manager = signed_in(&app, "M-1").await;
    let admin = signed_in(&app, "ADM").await;
    for path in paths {
        let r = anonymous.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "anonymous {path}");
        assert_eq!(r.headers()["location"], "/signin");
        assert_eq!(
            get(&app, &agent, path).await.0,
            StatusCode::FORBIDDEN,
            "agent {path}"
        );
        assert_eq!(
            get(&app, &manager, path).await.0,
            StatusCode::OK,
            "manager {path}"
        );
        assert_eq!(
            get(&app, &admin, path).await.0,
            StatusCode::OK,
            "admin {path}"
        );
    }
}

#[tokio::test]
async fn a_custom_period_is_counted_in_the_users_time_zone() {
    let app = TestApp::spawn().await;
    // 21:00 UTC on 1 March is 00:30 on 2 March in Tehran (+03:30); noon UTC is 1 March there too.
    let lines = "{\"type\":\"ticket.created\",\"at\":\"2026-03-01T21:00:00Z\",\"ticket\":\"TZ-1\",\"customer\":\"C-1\",\"channel\":\"email\",\"subject\":\"Late\"}\n\
                 {\"type\":\"ticket.created\",\"at\":\"2026-03-01T12:00:00Z\",\"ticket\":\"TZ-2\",\"customer\":\"C-2\",\"channel\":\"email\",\"subject\":\"Noon\"}\n";
    let events = sanjeh_store::ingest::parse_lines(lines).expect("valid events");
    app.writer
        .submit(Request::Ingest(events), None)
        .await
        .expect("ingest");
    let c = signed_in(&app, "M-1").await;
    let set_zone = |zone: &'static str| {
        let (c, app) = (c.clone(), &app);
        async move {
            let csrf = csrf_of(&get(app, &c, "/preferences").await.1);
            let r = c
                .post(app.url("/preferences/time-zone"))
                .form(&[("csrf", csrf.as_str()), ("time_zone", zone)])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "{zone}");
        }
    };
    let day = "/dashboard?from=2026-03-02&to=2026-03-02";
    set_zone("Asia/Tehran").await;
    let mut volume = 0;
    for _ in 0..100 {
        volume = card(&get(&app, &c, day).await.1, "ticket_volume");
        if volume == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(volume, 1, "2 March in Tehran holds the 21:00 UTC ticket");
    let (status, behind) = get(
        &app,
        &c,
        "/dashboard/tickets?kpi=created&from=2026-03-02&to=2026-03-02",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{behind}");
    assert_eq!(listed(&behind), BTreeSet::from(["TZ-1".to_owned()]));
    set_zone("UTC").await;
    assert_eq!(card(&get(&app, &c, day).await.1, "ticket_volume"), 0);
}
