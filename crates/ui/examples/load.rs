//! A loopback load generator for the web UI: signs in through the form, then requests pages
//! with a fixed number of concurrent clients and prints latency percentiles and bytes per
//! page. Bounded in count; refuses any address outside the loopback range.
//!
//! ```sh
//! SANJEH_PW=... cargo run --release -p sanjeh-ui --example load -- \
//!     http://127.0.0.1:8080 ADM 200 2 '/dashboard?period=30d' '/tickets/T-000001'
//! ```
//!
//! Arguments: base URL, login (password in `SANJEH_PW`), requests per path, concurrent
//! clients, then the paths. Each path is measured on its own, after 5 warm-up requests.

use std::time::{Duration, Instant};

fn csrf_of(html: &str) -> Option<String> {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker)? + marker.len();
    Some(html[start..].split('"').next()?.to_owned())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 5 {
        eprintln!("usage: load BASE LOGIN REQUESTS CONCURRENCY PATH... (password in SANJEH_PW)");
        std::process::exit(2);
    }
    let base = args[0].trim_end_matches('/').to_owned();
    let host = reqwest::Url::parse(&base)?
        .host_str()
        .unwrap_or_default()
        .to_owned();
    let loopback = host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        return Err(format!("{host} is not a loopback address").into());
    }
    let login = &args[1];
    let requests: usize = args[2].parse()?;
    let concurrency: usize = args[3].parse::<usize>()?.max(1);
    let password = std::env::var("SANJEH_PW").map_err(|_| "set SANJEH_PW")?;

    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let page = client
        .get(format!("{base}/signin"))
        .send()
        .await?
        .text()
        .await?;
    let csrf = csrf_of(&page).ok_or("no csrf field on the sign-in page")?;
    let r = client
        .post(format!("{base}/signin"))
        .form(&[
            ("login", login.as_str()),
            ("password", password.as_str()),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await?;
    if r.status() != reqwest::StatusCode::SEE_OTHER {
        return Err(format!("sign-in answered {}", r.status()).into());
    }

    println!("path\trequests\tconcurrency\tp50_ms\tp95_ms\tp99_ms\tmax_ms\tmean_ms\tbytes\terrors");
    for path in &args[4..] {
        let url = format!("{base}{path}");
        for _ in 0..5 {
            client.get(&url).send().await?.bytes().await?;
        }
        let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..concurrency {
            let (client, url, next) = (client.clone(), url.clone(), next.clone());
            tasks.push(tokio::spawn(async move {
                let mut times = Vec::new();
                let (mut bytes, mut errors) = (0usize, 0usize);
                while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < requests {
                    let started = Instant::now();
                    match client.get(&url).send().await {
                        Ok(r) if r.status().is_success() => match r.bytes().await {
                            Ok(b) => {
                                times.push(started.elapsed());
                                bytes = b.len();
                            }
                            Err(_) => errors += 1,
                        },
                        _ => errors += 1,
                    }
                }
                (times, bytes, errors)
            }));
        }
        let (mut times, mut bytes, mut errors) = (Vec::new(), 0, 0);
        for t in tasks {
            let (t, b, e) = t.await?;
            times.extend(t);
            bytes = bytes.max(b);
            errors += e;
        }
        times.sort();
        let mean = times.iter().sum::<Duration>() / times.len().max(1) as u32;
        println!(
            "{path}\t{}\t{concurrency}\t{:.1}\t{:.1}\t{:.1}\t{:.1}\t{:.1}\t{bytes}\t{errors}",
            times.len(),
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.95)),
            ms(percentile(&times, 0.99)),
            ms(times.last().copied().unwrap_or_default()),
            ms(mean),
        );
    }
    Ok(())
}
