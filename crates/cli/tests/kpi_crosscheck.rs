//! The KPI engine against an independent computation: the same KPIs computed with SQL over the
//! store's tables (the SQL lives here, not in the product), on the same demo history.

use serde_json::Value;
use sqlx::sqlite::SqlitePool;
use std::process::Command;

const FROM: i64 = 1_735_689_600_000; // 2025-01-01T00:00:00Z
const TO: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn sanjeh(db: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sanjeh"))
        .args(["--database", db])
        .args(args)
        .env("SANJEH_LOG", "error")
        .output()
        .expect("run sanjeh");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `sanjeh report` over 2025 as JSON, without the previous period, with `extra` flags.
fn year_report(db: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "report",
        "--from",
        "2025-01-01",
        "--to",
        "2026-01-01",
        "--no-previous",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    serde_json::from_str(&sanjeh(db, &args)).unwrap()
}

/// Percentile with linear interpolation between closest ranks.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = p * (sorted.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64)
}

async fn durations(pool: &SqlitePool, sql: &str) -> Vec<f64> {
    let mut v: Vec<f64> = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(FROM)
        .bind(TO)
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .map(|ms| ms as f64 / 1000.0)
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

async fn count(pool: &SqlitePool, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(FROM)
        .bind(TO)
        .fetch_one(pool)
        .await
        .unwrap()
}

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-6 * b.abs().max(1.0),
        "{what}: engine {a} vs SQL {b}"
    );
}

fn check_duration(kpi: &Value, samples: &[f64], what: &str) {
    assert_eq!(
        kpi["n"].as_u64().unwrap() as usize,
        samples.len(),
        "{what}: n"
    );
    let mean = samples.iter().sum::<f64>() / samples.len() as f64;
    close(
        kpi["mean_s"].as_f64().unwrap(),
        mean,
        &format!("{what} mean"),
    );
    close(
        kpi["median_s"].as_f64().unwrap(),
        percentile(samples, 0.5),
        &format!("{what} median"),
    );
    close(
        kpi["p90_s"].as_f64().unwrap(),
        percentile(samples, 0.9),
        &format!("{what} p90"),
    );
}

fn check_rate(kpi: &Value, num: i64, den: i64, what: &str) {
    assert_eq!(
        (kpi["num"].as_i64(), kpi["den"].as_i64()),
        (Some(num), Some(den)),
        "{what}: {kpi}"
    );
}

#[tokio::test]
async fn engine_agrees_with_sql_on_demo_history() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db").to_string_lossy().into_owned();
    sanjeh(
        &db,
        &["demo", "--tickets", "3000", "--seed", "7", "--no-serve"],
    );
    let report = year_report(&db, &[]);
    let k = &report["kpis"];
    let pool = SqlitePool::connect(&format!("sqlite:{db}?mode=ro"))
        .await
        .unwrap();

    let volume = count(
        &pool,
        "SELECT COUNT(*) FROM tickets WHERE created_at >= $1 AND created_at < $2",
    )
    .await;
    assert!(volume > 2500, "the demo made {volume} tickets");
    assert_eq!(k["ticket_volume"]["value"].as_i64(), Some(volume));

    let last_solved = "FROM ticket_facts WHERE last_solved_at >= $1 AND last_solved_at < $2 AND merged_at IS NULL";
    let solved = count(&pool, &format!("SELECT COUNT(*) {last_solved}")).await;
    assert_eq!(k["solved_tickets"]["value"].as_i64(), Some(solved));

    let frt = durations(
        &pool,
        "SELECT first_reply_at - created_at FROM ticket_facts \
        WHERE NOT outbound AND first_reply_at >= $1 AND first_reply_at < $2",
    )
    .await;
    check_duration(&k["first_reply_time"], &frt, "first_reply_time");
    let full = durations(
        &pool,
        &format!("SELECT last_solved_at - created_at {last_solved}"),
    )
    .await;
    check_duration(&k["full_resolution_time"], &full, "full_resolution_time");
    let first = durations(
        &pool,
        "SELECT first_solved_at - created_at FROM ticket_facts \
        WHERE first_solved_at >= $1 AND first_solved_at < $2 AND merged_at IS NULL",
    )
    .await;
    check_duration(&k["first_resolution_time"], &first, "first_resolution_time");
    let wait = durations(&pool, &format!("SELECT requester_wait_ms {last_solved}")).await;
    check_duration(&k["requester_wait_time"], &wait, "requester_wait_time");
    let replies = durations(
        &pool,
        "SELECT replied_at - waiting_since FROM reply_intervals \
        WHERE replied_at >= $1 AND replied_at < $2",
    )
    .await;
    check_duration(&k["reply_time"], &replies, "reply_time");

    let reopened = count(
        &pool,
        &format!("SELECT COUNT(*) {last_solved} AND reopens > 0"),
    )
    .await;
    check_rate(&k["reopen_rate"], reopened, solved, "reopen_rate");
    let fcr = count(
        &pool,
        &format!("SELECT COUNT(*) {last_solved} AND agent_replies = 1 AND reopens = 0"),
    )
    .await;
    check_rate(&k["fcr_rate"], fcr, solved, "fcr_rate");

    let surveys = "FROM surveys WHERE at >= $1 AND at < $2 AND survey =";
    let csat_all = count(&pool, &format!("SELECT COUNT(*) {surveys} 'csat'")).await;
    let csat_good = count(
        &pool,
        &format!("SELECT COUNT(*) {surveys} 'csat' AND (score >= 4 OR rating = 'good')"),
    )
    .await;
    check_rate(&k["csat"], csat_good, csat_all, "csat");
    let nps_n = count(&pool, &format!("SELECT COUNT(*) {surveys} 'nps'")).await;
    let promoters = count(
        &pool,
        &format!("SELECT COUNT(*) {surveys} 'nps' AND score >= 9"),
    )
    .await;
    let detractors = count(
        &pool,
        &format!("SELECT COUNT(*) {surveys} 'nps' AND score <= 6"),
    )
    .await;
    close(
        k["nps"]["value"].as_f64().unwrap(),
        100.0 * (promoters - detractors) as f64 / nps_n as f64,
        "nps",
    );

    let queued = count(
        &pool,
        "SELECT COUNT(*) FROM calls WHERE queued_at >= $1 AND queued_at < $2",
    )
    .await;
    let abandoned = count(
        &pool,
        "SELECT COUNT(*) FROM calls WHERE queued_at >= $1 AND queued_at < $2 \
        AND abandoned_at IS NOT NULL",
    )
    .await;
    check_rate(
        &k["abandonment_rate"],
        abandoned,
        queued,
        "abandonment_rate",
    );
    let within = count(
        &pool,
        "SELECT COUNT(*) FROM calls WHERE queued_at >= $1 AND queued_at < $2 \
        AND answered_at IS NOT NULL AND answered_at - queued_at <= 20000",
    )
    .await;
    check_rate(&k["service_level"], within, queued, "service_level");
    let answer = durations(
        &pool,
        "SELECT answered_at - queued_at FROM calls WHERE queued_at >= $1 AND queued_at < $2 \
        AND answered_at IS NOT NULL",
    )
    .await;
    check_duration(&k["speed_of_answer"], &answer, "speed_of_answer");
    let views = count(
        &pool,
        "SELECT COUNT(*) FROM article_views WHERE at >= $1 AND at < $2",
    )
    .await;
    assert_eq!(k["page_views"]["value"].as_i64(), Some(views));
    let votes = count(
        &pool,
        "SELECT COUNT(*) FROM votes WHERE at >= $1 AND at < $2",
    )
    .await;
    let helpful = count(
        &pool,
        "SELECT COUNT(*) FROM votes WHERE at >= $1 AND at < $2 AND helpful",
    )
    .await;
    check_rate(&k["helpful_rate"], helpful, votes, "helpful_rate");
    let complaints = count(
        &pool,
        "SELECT COUNT(*) FROM tickets WHERE created_at >= $1 AND created_at < $2 \
        AND kind = 'complaint'",
    )
    .await;
    assert_eq!(k["complaints"]["value"].as_i64(), Some(complaints));

    // Filtered to one channel and one agent: the items of that channel credited to that agent.
    let top_solver = "(SELECT solved_by FROM ticket_facts WHERE solved_by IS NOT NULL \
        GROUP BY solved_by ORDER BY COUNT(*) DESC, solved_by LIMIT 1)";
    let agent: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT {top_solver}")))
        .fetch_one(&pool)
        .await
        .unwrap();
    let filtered = year_report(&db, &["--channel", "email", "--agent", &agent]);
    let f = &filtered["kpis"];
    let email = "JOIN tickets t ON t.id = f.ticket AND t.channel = 'email'";
    let solved = count(
        &pool,
        &format!(
            "SELECT COUNT(*) FROM ticket_facts f {email} WHERE f.last_solved_at >= $1 \
            AND f.last_solved_at < $2 AND f.merged_at IS NULL AND f.solved_by = {top_solver}"
        ),
    )
    .await;
    assert!(solved > 0, "{agent} solved no email ticket");
    assert_eq!(f["solved_tickets"]["value"].as_i64(), Some(solved));
    let frt = durations(
        &pool,
        &format!(
            "SELECT f.first_reply_at - f.created_at FROM ticket_facts f {email} \
            WHERE NOT f.outbound AND f.first_reply_at >= $1 AND f.first_reply_at < $2 \
            AND f.first_reply_by = {top_solver}"
        ),
    )
    .await;
    check_duration(&f["first_reply_time"], &frt, "first_reply_time, filtered");
    pool.close().await;
}
