//! Parsing hand-written raw messages: every legacy charset the issue names, encoded-word
//! subjects, multipart/alternative, attachments, and the loop-protection classes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use encoding_rs::{Encoding, ISO_2022_JP, ISO_8859_6, KOI8_R, UTF_8, WINDOWS_1251, WINDOWS_1256};
use sanjeh_email::parse::{Limits, MailClass, parse};

fn encode(enc: &'static Encoding, s: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = enc.encode(s);
    assert!(!unmappable, "{s:?} does not fit {}", enc.name());
    bytes.into_owned()
}

/// `=?charset?B?…?=`
fn encoded_word(enc: &'static Encoding, s: &str) -> String {
    format!("=?{}?B?{}?=", enc.name(), B64.encode(encode(enc, s)))
}

/// Quoted-printable, the simple way: every byte that is not plain ASCII text escaped.
fn qp(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut col = 0;
    for &b in bytes {
        let piece = if b == b'\n' {
            col = 0;
            out.push_str("\r\n");
            continue;
        } else if (33..=126).contains(&b) && b != b'=' || b == b' ' {
            (b as char).to_string()
        } else {
            format!("={b:02X}")
        };
        if col + piece.len() > 72 {
            out.push_str("=\r\n");
            col = 0;
        }
        col += piece.len();
        out.push_str(&piece);
    }
    out
}

fn message(headers: &str, body: &[u8]) -> Vec<u8> {
    let mut raw = headers.replace('\n', "\r\n").into_bytes();
    raw.extend_from_slice(b"\r\n");
    raw.extend_from_slice(body);
    raw
}

#[test]
fn windows_1256_persian_8bit_body_and_encoded_subject() {
    // windows-1256 has no Farsi yeh (U+06CC): Persian mail in it is written with the Arabic
    // yeh (U+064A), as here.
    let subject = "درخواست بازپرداخت";
    let body =
        "سلام، پرداخت من دو بار کسر شد.\n\nدر تاريخ 1404/10/15، پشتيباني نوشت:\n> پاسخ قبلي\n";
    let raw = message(
        &format!(
            "From: =?windows-1256?B?{}?= <Customer@Example.IR>\nTo: support@sanjeh.test\nSubject: {}\nMessage-ID: <fa-1@example.ir>\nDate: Mon, 5 Jan 2026 09:00:00 +0330\nMIME-Version: 1.0\nContent-Type: text/plain; charset=windows-1256\nContent-Transfer-Encoding: 8bit\n",
            B64.encode(encode(WINDOWS_1256, "مشتري")),
            encoded_word(WINDOWS_1256, subject)
        ),
        &encode(WINDOWS_1256, body),
    );
    let m = parse(&raw, &Limits::default()).unwrap();
    assert_eq!(m.subject, subject);
    assert_eq!(m.from.address, "customer@example.ir");
    assert_eq!(m.from.name.as_deref(), Some("مشتري"));
    assert_eq!(m.message_id, "fa-1@example.ir");
    assert_eq!(m.reply_text, "سلام، پرداخت من دو بار کسر شد.");
    assert!(m.text.contains("پاسخ قبلي"));
    assert_eq!(m.class, MailClass::Personal);
    assert_eq!(m.date_ms, Some(1_767_591_000_000));
}

#[test]
fn iso_8859_6_arabic_quoted_printable() {
    let body = "مرحبا، لدي مشكلة في الفاتورة.\n";
    let raw = message(
        &format!(
            "From: ahmad@example.com\nTo: billing@sanjeh.test\nSubject: {}\nMessage-ID: <ar-1@example.com>\nContent-Type: text/plain; charset=\"ISO-8859-6\"\nContent-Transfer-Encoding: quoted-printable\n",
            encoded_word(ISO_8859_6, "الفاتورة")
        ),
        qp(&encode(ISO_8859_6, body)).as_bytes(),
    );
    let m = parse(&raw, &Limits::default()).unwrap();
    assert_eq!(m.subject, "الفاتورة");
    assert_eq!(m.reply_text, body.trim());
}

#[test]
fn koi8_r_base64_body_and_q_encoded_subject() {
    let body = "Здравствуйте! Не приходит счёт.\n\n-- \nИван Петров\n";
    // Q encoding by hand: every byte escaped.
    let q: String = encode(KOI8_R, "Счёт")
        .iter()
        .map(|b| format!("={b:02X}"))
        .collect();
    let raw = message(
        &format!(
            "From: \"Ivan\" <ivan@example.ru>\nTo: support@sanjeh.test\nSubject: Re: =?KOI8-R?Q?{q}?=\nMessage-ID: <ru-1@example.ru>\nIn-Reply-To: <out-1@sanjeh.test>\nReferences: <first@example.ru>\n <out-1@sanjeh.test>\nContent-Type: text/plain; charset=koi8-r\nContent-Transfer-Encoding: base64\n"
        ),
        B64.encode(encode(KOI8_R, body)).as_bytes(),
    );
    let m = parse(&raw, &Limits::default()).unwrap();
    assert_eq!(m.subject, "Re: Счёт");
    assert_eq!(m.reply_text, "Здравствуйте! Не приходит счёт.");
    assert_eq!(m.in_reply_to, ["out-1@sanjeh.test"]);
    assert_eq!(m.references, ["first@example.ru", "out-1@sanjeh.test"]);
    assert_eq!(m.thread_ids(), ["out-1@sanjeh.test", "first@example.ru"]);
}

#[test]
fn windows_1251_alternative_prefers_plain_and_keeps_sanitized_html() {
    let plain = "Добрый день, заказ не доставлен.\n";
    let html = "<html><body><p onclick=\"steal()\">Добрый день, <b>заказ</b> не доставлен.</p><script>alert(1)</script></body></html>";
    let body = [
        b"--b1\r\nContent-Type: text/plain; charset=windows-1251\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".to_vec(),
        encode(WINDOWS_1251, plain),
        b"\r\n--b1\r\nContent-Type: text/html; charset=windows-1251\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".to_vec(),
        encode(WINDOWS_1251, html),
        b"\r\n--b1--\r\n".to_vec(),
    ]
    .concat();
    let raw = message(
        &format!(
            "From: olga@example.ru\nTo: Support <support@sanjeh.test>\nCc: boss@example.ru\nSubject: {}\nMessage-ID: <ru-2@example.ru>\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"b1\"\n",
            encoded_word(WINDOWS_1251, "Заказ")
        ),
        &body,
    );
    let m = parse(&raw, &Limits::default()).unwrap();
    assert_eq!(m.subject, "Заказ");
    assert_eq!(m.reply_text, plain.trim());
    let h = m.html.expect("html kept");
    assert!(h.contains("<b>заказ</b>"), "{h}");
    assert!(!h.contains("script") && !h.contains("onclick"), "{h}");
    assert_eq!(m.to[0].address, "support@sanjeh.test");
    assert_eq!(m.cc[0].address, "boss@example.ru");
}

#[test]
fn iso_2022_jp_body_and_subject() {
    let body = "お世話になっております。請求書が届きません。\n";
    let raw = message(
        &format!(
            "From: taro@example.jp\nTo: support@sanjeh.test\nSubject: {}\nMessage-ID: <jp-1@example.jp>\nContent-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: 7bit\n",
            encoded_word(ISO_2022_JP, "請求書について")
        ),
        &encode(ISO_2022_JP, body),
    );
    let m = parse(&raw, &Limits::default()).unwrap();
    assert_eq!(m.subject, "請求書について");
    assert_eq!(m.reply_text, body.trim());
}

#[test]
fn utf8_with_inline_image_and_attachments_sniffed_and_limited() {
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR0000";
    let pdf_named_txt = b"%PDF-1.7 fake";
    let big = vec![b'a'; 2048];
    let body = format!(
        "--mix\r\nContent-Type: multipart/related; boundary=\"rel\"\r\n\r\n--rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>See <img src=\"cid:shot@x\"> — ошибка</p>\r\n--rel\r\nContent-Type: image/png\r\nContent-ID: <shot@x>\r\nContent-Disposition: inline; filename=\"shot.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--rel--\r\n--mix\r\nContent-Type: text/plain; name=\"../../notes.txt\"\r\nContent-Disposition: attachment; filename=\"../../notes.txt\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--mix\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"big.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--mix--\r\n",
        B64.encode(png),
        B64.encode(pdf_named_txt),
        B64.encode(&big)
    );
    let raw = message(
        "From: a@example.com\nTo: support@sanjeh.test\nSubject: =?UTF-8?B?0J7RiNC40LHQutCwIPCfmJ4=?=\nMessage-ID: <u-1@example.com>\nContent-Type: multipart/mixed; boundary=\"mix\"\n",
        body.as_bytes(),
    );
    let limits = Limits {
        max_attachment_bytes: 1024,
        ..Limits::default()
    };
    let m = parse(&raw, &limits).unwrap();
    assert_eq!(m.subject, "Ошибка 😞");
    assert!(m.reply_text.contains("ошибка"), "{}", m.reply_text);
    assert!(m.html.as_deref().unwrap().contains("cid:shot@x"));
    assert_eq!(m.attachments.len(), 3, "{:?}", m.attachments);
    let shot = &m.attachments[0];
    assert!(shot.inline);
    assert_eq!(shot.content_id.as_deref(), Some("shot@x"));
    assert_eq!(shot.sniffed_type, Some("image/png"));
    let notes = &m.attachments[1];
    assert_eq!(notes.filename.as_deref(), Some("notes.txt"));
    assert_eq!(notes.declared_type, "text/plain");
    assert_eq!(notes.sniffed_type, Some("application/pdf"));
    assert!(!notes.over_limit);
    assert!(m.attachments[2].over_limit);
    assert_eq!(m.attachments[2].size, 2048);
}

#[test]
fn a_message_without_message_id_gets_a_stable_one() {
    let raw = message("From: a@example.com\nSubject: hi\n", b"hello\r\n");
    let a = parse(&raw, &Limits::default()).unwrap();
    let b = parse(&raw, &Limits::default()).unwrap();
    assert!(a.message_id_synthesized);
    assert_eq!(a.message_id, b.message_id);
    assert!(a.message_id.ends_with("@sanjeh.invalid"));
}

#[test]
fn too_large_and_senderless_messages_are_refused() {
    let raw = message("From: a@example.com\nSubject: hi\n", &[b'x'; 100]);
    let limits = Limits {
        max_message_bytes: 50,
        ..Limits::default()
    };
    assert!(parse(&raw, &limits).is_err());
    let raw = message("Subject: hi\n", b"x");
    assert!(parse(&raw, &Limits::default()).is_err());
}

#[test]
fn loop_protection_classes() {
    let cases: &[(&str, MailClass)] = &[
        ("Auto-Submitted: auto-replied\n", MailClass::AutoSubmitted),
        ("Auto-Submitted: no\n", MailClass::Personal),
        ("X-Autoreply: yes\n", MailClass::AutoSubmitted),
        ("Precedence: bulk\n", MailClass::Bulk),
        ("Precedence: list\n", MailClass::Bulk),
        ("List-Id: <news.example.com>\n", MailClass::Bulk),
        ("", MailClass::Personal),
    ];
    for (extra, class) in cases {
        let raw = message(
            &format!("From: a@example.com\nSubject: Out of office\n{extra}"),
            b"away\r\n",
        );
        assert_eq!(
            parse(&raw, &Limits::default()).unwrap().class,
            *class,
            "{extra}"
        );
    }
    let raw = message(
        "From: MAILER-DAEMON@mx.example.com\nSubject: Undelivered Mail Returned to Sender\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\n",
        b"--r\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\nFinal-Recipient: rfc822; Gone@Example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n--r--\r\n",
    );
    let m = parse(&raw, &Limits::default()).unwrap();
    assert_eq!(m.class, MailClass::Bounce);
    assert_eq!(m.bounced_recipient.as_deref(), Some("gone@example.org"));
    assert!(!m.class.may_auto_reply());
    let _ = UTF_8;
}
