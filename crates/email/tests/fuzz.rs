//! A fuzz harness for the inbound path that needs no nightly compiler: the corpus
//! (`tests/corpus/*.eml`) is mutated at random — bit flips, byte insertions and deletions,
//! spliced chunks of other messages, MIME-ish tokens (`--`, `=?`, `boundary=`, NULs, CRLFs)
//! dropped in, truncation, duplicated lines — and every mutant goes through parsing and every
//! pure threading step (tokens, subjects, addresses, `decide`). A panic is caught, its input
//! written to a file, and the run fails at the end.
//!
//! Long run (ignored by default):
//!   SANJEH_FUZZ_SECS=180 cargo test --release -p sanjeh-email --test fuzz -- --ignored --nocapture
//! `SANJEH_FUZZ_SEED` fixes the seed; `SANJEH_FUZZ_OUT` is where crashing inputs go (the
//! system temp directory by default). `fuzz_smoke` runs a few hundred mutants in every test run.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sanjeh_domain::{Id, Status};
use sanjeh_email::parse::{Limits, parse, strip_reply};
use sanjeh_email::thread::{
    Evidence, Found, base_address, decide, normalize_subject, subject_with_token, token_address,
    token_in_address, token_in_subject,
};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

fn corpus() -> Vec<Vec<u8>> {
    let dir = format!("{}/tests/corpus", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

const TOKENS: &[&[u8]] = &[
    b"--",
    b"\r\n",
    b"\r\n\r\n",
    b"\n",
    b"\0",
    b"=?",
    b"?=",
    b"=?UTF-8?B?",
    b"=?windows-1256?Q?",
    b"=?ISO-2022-JP?B?GyRC",
    b"\x1b$B",
    b"boundary=",
    b"Content-Type: multipart/mixed; boundary=\"x\"\r\n",
    b"Content-Type: message/rfc822\r\n\r\n",
    b"Content-Transfer-Encoding: base64\r\n",
    b"Content-Transfer-Encoding: quoted-printable\r\n",
    b"=\r\n",
    b"=FF",
    b"[#T-1]",
    b"[#",
    b"<>",
    b"<a@b>",
    b"In-Reply-To: <",
    b"References: <x@y> <",
    b"From: \"",
    b"@",
    b"+T-",
    b"\xff\xfe",
    b"\xd9\x85",
    b"\xe2\x80\x8f",
    b"> ",
    b"wrote:",
    b"________________________________\r\nFrom:",
    b"Final-Recipient: rfc822; ",
    b"Diagnostic-Code: smtp; 550",
    b"Message-ID: <",
];

fn mutate(rng: &mut StdRng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut data = seeds[rng.random_range(0..seeds.len())].clone();
    for _ in 0..rng.random_range(1..=8) {
        let len = data.len();
        match rng.random_range(0..9) {
            0 if len > 0 => {
                let i = rng.random_range(0..len);
                data[i] ^= 1 << rng.random_range(0..8);
            }
            1 if len > 0 => {
                let i = rng.random_range(0..len);
                data[i] = rng.random();
            }
            2 => {
                let i = rng.random_range(0..=len);
                let t = TOKENS[rng.random_range(0..TOKENS.len())];
                data.splice(i..i, t.iter().copied());
            }
            3 if len > 0 => {
                let a = rng.random_range(0..len);
                let b = (a + rng.random_range(0..64)).min(len);
                data.drain(a..b);
            }
            4 if len > 0 => {
                data.truncate(rng.random_range(0..len));
            }
            5 => {
                // Splice a chunk of another message in.
                let other = &seeds[rng.random_range(0..seeds.len())];
                if !other.is_empty() {
                    let a = rng.random_range(0..other.len());
                    let b = (a + rng.random_range(1..512)).min(other.len());
                    let i = rng.random_range(0..=len);
                    data.splice(i..i, other[a..b].iter().copied());
                }
            }
            6 if len > 0 => {
                // Repeat a chunk (long headers, deep nesting).
                let a = rng.random_range(0..len);
                let b = (a + rng.random_range(1..80)).min(len);
                let chunk = data[a..b].to_vec();
                for _ in 0..rng.random_range(1..50) {
                    data.splice(a..a, chunk.iter().copied());
                }
            }
            7 => {
                let i = rng.random_range(0..=len);
                let n = rng.random_range(1..16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.random()).collect();
                data.splice(i..i, bytes);
            }
            _ => {
                // Swap the line endings style.
                if rng.random_bool(0.5) {
                    data = String::from_utf8_lossy(&data)
                        .replace("\r\n", "\n")
                        .into_bytes();
                } else {
                    data.retain(|b| *b != b'\r');
                }
            }
        }
    }
    data
}

/// Everything the inbound path does with a message before the store.
fn exercise(raw: &[u8]) {
    let limits = Limits {
        max_attachment_bytes: 64,
        ..Limits::default()
    };
    let Ok(mail) = parse(raw, &limits) else {
        return;
    };
    let key = normalize_subject(&mail.subject);
    let token = token_in_subject(&mail.subject);
    let _ = strip_reply(&mail.text);
    let _ = mail.reply_address();
    for m in mail.recipients() {
        let _ = base_address(&m.address);
        let _ = token_in_address(&m.address);
    }
    let _ = base_address(&mail.from.address);
    let ids = mail.thread_ids();
    let found = |t: &str, status| {
        Id::parse("id", t).ok().map(|ticket| Found {
            ticket,
            status,
            merged_into: None,
            sender_is_customer: !ids.is_empty(),
        })
    };
    let evidence = Evidence {
        stored: None,
        by_reference: ids.first().and_then(|_| found("T-ref", Status::Open)),
        by_token: token.as_deref().and_then(|t| found(t, Status::Closed)),
        recent_same_subject: (!key.is_empty())
            .then(|| found("T-subj", Status::Solved))
            .flatten(),
    };
    let _ = decide(&evidence);
    if let Some(t) = &token {
        let _ = subject_with_token(&mail.subject, t);
        let _ = token_address(&mail.from.address, t);
    }
    for a in &mail.attachments {
        assert_eq!(a.content.is_empty(), a.over_limit || a.size == 0);
    }
}

struct Run {
    iterations: u64,
    crashes: Vec<String>,
}

fn run(seed: u64, budget: Duration, max_iterations: u64) -> Run {
    let seeds = corpus();
    let mut rng = StdRng::seed_from_u64(seed);
    let out = std::env::var("SANJEH_FUZZ_OUT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir());
    let start = Instant::now();
    let mut r = Run {
        iterations: 0,
        crashes: Vec::new(),
    };
    std::panic::set_hook(Box::new(|_| {}));
    while start.elapsed() < budget && r.iterations < max_iterations {
        let input = mutate(&mut rng, &seeds);
        if catch_unwind(AssertUnwindSafe(|| exercise(&input))).is_err() {
            let path = out.join(format!("sanjeh-fuzz-{seed}-{}.eml", r.iterations));
            std::fs::write(&path, &input).unwrap();
            r.crashes.push(path.display().to_string());
        }
        r.iterations += 1;
    }
    let _ = std::panic::take_hook();
    r
}

fn seed() -> u64 {
    std::env::var("SANJEH_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs()
        })
}

#[test]
fn fuzz_smoke() {
    let r = run(7, Duration::from_secs(60), 300);
    assert!(r.iterations > 0);
    assert!(r.crashes.is_empty(), "crashing inputs: {:?}", r.crashes);
}

#[test]
#[ignore = "long: SANJEH_FUZZ_SECS=180 cargo test --release -p sanjeh-email --test fuzz -- --ignored"]
fn fuzz_parse_and_thread() {
    let secs: u64 = std::env::var("SANJEH_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let seed = seed();
    let started = Instant::now();
    let r = run(seed, Duration::from_secs(secs), u64::MAX);
    println!(
        "fuzz: seed {seed}, {:.1} s, {} iterations, {} crashing input(s) {:?}",
        started.elapsed().as_secs_f64(),
        r.iterations,
        r.crashes.len(),
        r.crashes
    );
    assert!(r.crashes.is_empty(), "crashing inputs: {:?}", r.crashes);
}
