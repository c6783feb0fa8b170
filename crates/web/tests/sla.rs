//! Calendars, holidays, SLA policies and SLA state over real HTTP, on a fresh SQLite file and,
//! when `SANJEH_TEST_POSTGRES_URL` is set, a fresh PostgreSQL database.

mod common;

use common::TestApp;
use reqwest::{Method, StatusCode};
use sanjeh_web::WebOptions;
use serde_json::{Value, json};

async fn apps() -> Vec<TestApp> {
    common::apps(WebOptions::default()).await
}

fn iran_office() -> Value {
    serde_json::to_value(sanjeh_calendar::Schedule::iran_office()).unwrap()
}

fn holidays_of(body: &Value) -> Vec<Value> {
    body["schedule"]["holidays"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn schedules_and_holidays_are_recorded_events() {
    for app in apps().await {
        let a = &app;
        let r = a.get("/api/v1/calendars", &a.agent).await;
        a.problem(r, StatusCode::NOT_FOUND, "calendars").await;
        // A group's schedule needs a default chosen first.
        let r = a
            .admin_put(
                "/api/v1/calendars/billing",
                json!({"time_zone": "UTC", "intervals": []}),
            )
            .await;
        a.problem(r, StatusCode::CONFLICT, "default").await;
        // Agents and reporters read, only admins write.
        for token in [&a.agent, &a.reporter] {
            let r = a
                .send(
                    Method::PUT,
                    "/api/v1/calendars/default",
                    token,
                    iran_office(),
                )
                .await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "[{}]", a.backend);
        }
        // Bad schedules are refused naming the field, and nothing is written.
        let before = a.events().await;
        let bad = json!({"time_zone": "Asia/Tehran",
            "intervals": [{"day": "saturday", "start": "16:00", "end": "08:00"}]});
        let r = a.admin_put("/api/v1/calendars/default", bad).await;
        a.problem(r, StatusCode::UNPROCESSABLE_ENTITY, "intervals[0].end")
            .await;
        let r = a
            .admin_put("/api/v1/calendars/default", json!({"time_zone": "Asia/Tehran", "intervals": [{"day": "caturday", "start": "08:00", "end": "16:00"}]}))
            .await;
        a.problem(r, StatusCode::UNPROCESSABLE_ENTITY, "intervals[0].day")
            .await;
        let r = a
            .admin_put(
                "/api/v1/calendars",
                json!({"groups": {"billing": {"time_zone": "Mars/Olympus", "intervals": []}}}),
            )
            .await;
        a.problem(
            r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "groups.billing.time_zone",
        )
        .await;
        assert_eq!(a.events().await, before, "[{}]", a.backend);

        // The default schedule: Tehran's office week.
        let r = a
            .admin_put("/api/v1/calendars/default", iran_office())
            .await;
        let body = a.json(r, StatusCode::OK).await;
        assert_eq!(body["name"], "default");
        assert_eq!(body["schedule"]["time_zone"], "Asia/Tehran");
        assert_eq!(a.events().await, before + 1, "[{}]", a.backend);
        // A group's own: Moscow's.
        let russia = serde_json::to_value(sanjeh_calendar::Schedule::russia_office()).unwrap();
        let r = a.admin_put("/api/v1/calendars/billing", russia).await;
        a.json(r, StatusCode::OK).await;
        let all = a
            .json(
                a.get("/api/v1/calendars", &a.reporter).await,
                StatusCode::OK,
            )
            .await;
        assert_eq!(all["default"]["time_zone"], "Asia/Tehran");
        assert_eq!(all["groups"]["billing"]["time_zone"], "Europe/Moscow");
        let r = a.get("/api/v1/calendars/support", &a.agent).await;
        a.problem(r, StatusCode::NOT_FOUND, "name").await;

        // Holidays: a Jalali day and a yearly Jalali range; the same list again adds nothing.
        let add = json!({"holidays": [
            {"name": "Sizdah Bedar", "date": "1403-01-13", "calendar": "jalali"},
            {"name": "Nowruz", "date": "01-01", "end": "01-04", "calendar": "jalali", "yearly": true}]});
        let r = a
            .admin_post("/api/v1/calendars/default/holidays", add.clone())
            .await;
        let body = a.json(r, StatusCode::OK).await;
        let n = holidays_of(&body).len();
        assert!(
            holidays_of(&body).iter().any(|h| h["date"] == "1403-01-13"),
            "[{}] {body}",
            a.backend
        );
        let events = a.events().await;
        let r = a
            .admin_post("/api/v1/calendars/default/holidays", add)
            .await;
        assert_eq!(holidays_of(&a.json(r, StatusCode::OK).await).len(), n);
        assert_eq!(a.events().await, events, "[{}]", a.backend);
        // A bad date is named within the request.
        let r = a
            .admin_post(
                "/api/v1/calendars/default/holidays",
                json!({"holidays": [
                {"date": "2025-01-01"}, {"date": "1403-13-01", "calendar": "jalali"}]}),
            )
            .await;
        a.problem(r, StatusCode::UNPROCESSABLE_ENTITY, "holidays[1].date")
            .await;
        let r = a
            .admin_post(
                "/api/v1/calendars/default/holidays",
                json!({"date": "2025-03-01", "end": "2025-02-01"}),
            )
            .await;
        a.problem(r, StatusCode::UNPROCESSABLE_ENTITY, "end").await;

        // One Gregorian holiday under an Idempotency-Key: a retry replays the first answer.
        let once = || async {
            let r = a
                .req(Method::POST, "/api/v1/calendars/billing/holidays", &a.admin)
                .header("Idempotency-Key", "h-1")
                .json(&json!({"name": "Company day", "date": "2026-12-30"}))
                .send()
                .await
                .unwrap();
            let replayed = r.headers().contains_key("idempotent-replayed");
            (r.status(), replayed, r.text().await.unwrap())
        };
        let first = once().await;
        assert_eq!(
            (first.0, first.1),
            (StatusCode::OK, false),
            "[{}] {}",
            a.backend,
            first.2
        );
        let events = a.events().await;
        let again = once().await;
        assert_eq!(
            (again.0, again.1, &again.2),
            (StatusCode::OK, true, &first.2)
        );
        assert_eq!(a.events().await, events, "[{}]", a.backend);

        // iCalendar import.
        let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:Labour day\r\n\
                   DTSTART;VALUE=DATE:20270501\r\nDTEND;VALUE=DATE:20270502\r\nEND:VEVENT\r\n\
                   BEGIN:VEVENT\r\nSUMMARY:Victory day\r\nDTSTART;VALUE=DATE:20270509\r\n\
                   RRULE:FREQ=YEARLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let post_ics = |body: &'static str, content_type: &'static str| async move {
            a.req(
                Method::POST,
                "/api/v1/calendars/billing/holidays.ics",
                &a.admin,
            )
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap()
        };
        let r = post_ics(ics, "application/json").await;
        assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let body = a
            .json(post_ics(ics, "text/calendar").await, StatusCode::OK)
            .await;
        let hs = holidays_of(&body);
        assert!(
            hs.iter()
                .any(|h| h["date"] == "2027-05-01" && h["name"] == "Labour day")
        );
        assert!(
            hs.iter()
                .any(|h| h["date"] == "2027-05-09" && h["yearly"] == true)
        );
        let bad = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270501\r\n\
                   RRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let p = a
            .problem(
                post_ics(bad, "text/calendar; charset=utf-8").await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "body",
            )
            .await;
        assert_eq!(p["line"], 4, "[{}] {p}", a.backend);

        // Removing a holiday by its first date (and calendar); a second time finds none.
        let r = a
            .admin_delete("/api/v1/calendars/default/holidays/1403-01-13?calendar=jalali")
            .await;
        let body = a.json(r, StatusCode::OK).await;
        assert!(!holidays_of(&body).iter().any(|h| h["date"] == "1403-01-13"));
        let r = a
            .admin_delete("/api/v1/calendars/default/holidays/1403-01-13?calendar=jalali")
            .await;
        a.problem(r, StatusCode::NOT_FOUND, "date").await;
        let r = a
            .admin_delete("/api/v1/calendars/default/holidays/x?calendar=lunar")
            .await;
        a.problem(r, StatusCode::BAD_REQUEST, "calendar").await;

        // What the API recorded is what the store and the CLI read.
        let stored = a.store.sla_calendars().await.unwrap().unwrap();
        assert_eq!(stored.default.holidays.len(), n - 1, "[{}]", a.backend);
        assert_eq!(
            stored.groups["billing"].holidays.len(),
            3,
            "[{}]",
            a.backend
        );

        // A group's schedule removed: it follows the default one again.
        let r = a.admin_delete("/api/v1/calendars/billing").await;
        let all = a.json(r, StatusCode::OK).await;
        assert!(all.get("groups").is_none(), "[{}] {all}", a.backend);
        let r = a.admin_delete("/api/v1/calendars/default").await;
        a.problem(r, StatusCode::CONFLICT, "name").await;
        // The whole document at once.
        let r = a
            .admin_put("/api/v1/calendars", json!({"default": iran_office(), "groups": {"vip": sanjeh_calendar::Schedule::always_open("UTC")}}))
            .await;
        let all = a.json(r, StatusCode::OK).await;
        assert_eq!(
            all["groups"]["vip"]["intervals"].as_array().unwrap().len(),
            7
        );
    }
}

#[tokio::test]
async fn policies_due_dates_and_the_overdue_list() {
    for app in apps().await {
        let a = &app;
        let r = a.get("/api/v1/sla/policies", &a.reporter).await;
        a.problem(r, StatusCode::NOT_FOUND, "policies").await;
        // Errors name the field inside the list.
        let std_policy = json!({"id": "std", "name": "Standard", "targets": {
            "normal": {"first_reply": {"minutes": 360}, "resolution": {"minutes": 60, "hours": "calendar"}}}});
        let bad = json!({"policies": [std_policy, {"id": "b", "name": "B", "targets": {}},
            {"id": "c", "name": "C", "targets": {"urgent": {"first_reply": {"minutes": "soon"}}}}]});
        let r = a.admin_put("/api/v1/sla/policies", bad).await;
        a.problem(
            r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "policies[2].targets.urgent.first_reply.minutes",
        )
        .await;
        let zero = json!({"policies": [{"id": "z", "name": "Z", "targets": {"high": {"resolution": {"minutes": 0}}}}]});
        let r = a.admin_put("/api/v1/sla/policies", zero).await;
        a.problem(
            r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "policies[0].targets.high.resolution.minutes",
        )
        .await;
        let r = a
            .admin_put("/api/v1/sla/policies", json!({"policies": {}}))
            .await;
        a.problem(r, StatusCode::UNPROCESSABLE_ENTITY, "policies")
            .await;
        let r = a
            .send(
                Method::PUT,
                "/api/v1/sla/policies",
                &a.agent,
                json!({"policies": [std_policy]}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);

        // Calendars through the API govern the due dates of tickets the policies track.
        a.json(
            a.admin_put("/api/v1/calendars/default", iran_office())
                .await,
            StatusCode::OK,
        )
        .await;
        let put = || async {
            let r = a
                .req(Method::PUT, "/api/v1/sla/policies", &a.admin)
                .header("Idempotency-Key", "p-1")
                .json(&json!({"policies": [std_policy]}))
                .send()
                .await
                .unwrap();
            let replayed = r.headers().contains_key("idempotent-replayed");
            (r.status(), replayed, r.text().await.unwrap())
        };
        let first = put().await;
        assert_eq!(
            (first.0, first.1),
            (StatusCode::OK, false),
            "[{}] {}",
            a.backend,
            first.2
        );
        let again = put().await;
        assert_eq!(
            (again.0, again.1, &again.2),
            (StatusCode::OK, true, &first.2)
        );
        let shown = a
            .json(
                a.get("/api/v1/sla/policies", &a.agent).await,
                StatusCode::OK,
            )
            .await;
        assert_eq!(shown["policies"][0]["id"], "std");
        let since: jiff::Timestamp = shown["since"].as_str().unwrap().parse().unwrap();

        // A ticket created a minute after the policies (the events carry their own instants):
        // Wednesday 12:00 in Tehran, the office closes 16:00 and works 08:00–13:00 on Thursday.
        // The first reply (6 business hours) is due Thursday 10:00; resolution (60 calendar
        // minutes) at 13:00 on Wednesday.
        let created = since + jiff::SignedDuration::from_secs(60);
        let tehran = created.to_zoned(jiff::tz::TimeZone::get("Asia/Tehran").unwrap());
        // The next Wednesday at 12:00 local, at least a minute after the policies.
        let mut day = tehran.date();
        while day.weekday() != jiff::civil::Weekday::Wednesday
            || day
                .at(12, 0, 0, 0)
                .to_zoned(tehran.time_zone().clone())
                .unwrap()
                .timestamp()
                < created
        {
            day = day.tomorrow().unwrap();
        }
        // Skip weeks whose Wednesday or Thursday is a holiday.
        let cal = sanjeh_calendar::BusinessCalendar::new(sanjeh_calendar::Schedule::iran_office())
            .unwrap();
        let at = |d: jiff::civil::Date, h: i8| {
            d.at(h, 0, 0, 0)
                .to_zoned(tehran.time_zone().clone())
                .unwrap()
                .timestamp()
        };
        while !(cal.is_in_hours(at(day, 12)) && cal.is_in_hours(at(day.tomorrow().unwrap(), 9))) {
            day = day.checked_add(jiff::Span::new().days(7)).unwrap();
        }
        let created = at(day, 12);
        let line = format!(
            "{{\"type\":\"ticket.created\",\"at\":\"{created}\",\"ticket\":\"S-1\",\"customer\":\"C-1\"}}\n"
        );
        let r = a
            .req(Method::POST, "/api/v1/events", &a.agent)
            .header("content-type", "application/x-ndjson")
            .body(line)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED, "[{}]", a.backend);

        let path = format!(
            "/api/v1/tickets/S-1/sla?at={}",
            created + jiff::SignedDuration::from_mins(30)
        );
        let sla = a
            .json(a.get(&path, &a.reporter).await, StatusCode::OK)
            .await;
        let target = |sla: &Value, metric: &str| {
            sla["targets"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["metric"] == metric)
                .cloned()
                .unwrap()
        };
        let first_reply = target(&sla, "first_reply");
        assert_eq!(first_reply["state"], "active", "[{}] {sla}", a.backend);
        assert_eq!(
            first_reply["due_at"],
            at(day.tomorrow().unwrap(), 10).to_string(),
            "[{}] {sla}",
            a.backend
        );
        assert_eq!(first_reply["hours"], "business");
        assert_eq!(first_reply["counted_s"], 1800.0);
        let resolution = target(&sla, "resolution");
        assert_eq!(resolution["due_at"], at(day, 13).to_string());

        // Two hours later the resolution target is breached, dated when its time ran out.
        let later = created + jiff::SignedDuration::from_hours(2);
        let sla = a
            .json(
                a.get(&format!("/api/v1/tickets/S-1/sla?at={later}"), &a.agent)
                    .await,
                StatusCode::OK,
            )
            .await;
        let resolution = target(&sla, "resolution");
        assert_eq!(resolution["state"], "breached", "[{}] {sla}", a.backend);
        assert_eq!(resolution["breached_at"], at(day, 13).to_string());
        let overdue = a
            .json(
                a.get(
                    &format!("/api/v1/sla/overdue?at={later}&limit=10"),
                    &a.reporter,
                )
                .await,
                StatusCode::OK,
            )
            .await;
        let items = overdue["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "[{}] {overdue}", a.backend);
        assert_eq!(items[0]["ticket"], "S-1");
        assert_eq!(items[0]["metric"], "resolution");
        assert_eq!(items[0]["due_at"], at(day, 13).to_string());
        let before = a
            .json(
                a.get(&format!("/api/v1/sla/overdue?at={created}"), &a.reporter)
                    .await,
                StatusCode::OK,
            )
            .await;
        assert_eq!(before["items"], json!([]));

        let r = a.get("/api/v1/sla/overdue?limit=0", &a.agent).await;
        a.problem(r, StatusCode::BAD_REQUEST, "limit").await;
        let r = a.get("/api/v1/sla/overdue?at=yesterday", &a.agent).await;
        a.problem(r, StatusCode::BAD_REQUEST, "at").await;
        let r = a.get("/api/v1/tickets/NOPE/sla", &a.agent).await;
        a.problem(r, StatusCode::NOT_FOUND, "ticket").await;
    }
}
