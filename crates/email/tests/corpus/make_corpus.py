#!/usr/bin/env python3
"""Writes the .eml corpus next to this script. The files are committed; this script records
how they were made (legacy charsets are easier to get right from Python's codecs than by hand).
Run: python3 make_corpus.py"""
import base64, os, quopri

HERE = os.path.dirname(os.path.abspath(__file__))

def ew(text, charset, enc="B"):
    raw = text.encode(charset)
    if enc == "B":
        return "=?%s?B?%s?=" % (charset, base64.b64encode(raw).decode())
    return "=?%s?Q?%s?=" % (charset, quopri.encodestring(raw, header=True).decode())

def write(name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)

def crlf(s):
    return s.replace("\r\n", "\n").replace("\n", "\r\n")

# --- charsets -------------------------------------------------------------------------------

fa = "سلام، فاکتور این ماه هنوز نرسیده است. لطفا بررسی کنید."
# windows-1256 has no Farsi yeh (U+06CC) or keheh (U+06A9): Persian mail in it uses the Arabic ones.
fa1256 = fa.replace("\u06cc", "\u064a").replace("\u06a9", "\u0643")
head = crlf(f"""From: {ew("مریم رضایی".replace(chr(0x6cc), chr(0x64a)), "windows-1256")} <maryam@example.ir>
To: support@sanjeh.test
Subject: {ew("فاکتور ماه".replace(chr(0x6a9), chr(0x643)), "windows-1256")}
Date: Mon, 05 Jan 2026 09:00:00 +0330
Message-ID: <cp1256-1@example.ir>
MIME-Version: 1.0
Content-Type: text/plain; charset=windows-1256
Content-Transfer-Encoding: quoted-printable

""").encode()
write("windows-1256.eml", head + quopri.encodestring(fa1256.encode("cp1256")) + b"\r\n")

ar = "مرحبا، لم تصل الفاتورة بعد."
head = crlf(f"""From: Ahmad <ahmad@example.jo>
To: support@sanjeh.test
Subject: {ew("الفاتورة", "iso-8859-6")}
Date: Mon, 05 Jan 2026 09:00:00 +0300
Message-ID: <iso88596-1@example.jo>
MIME-Version: 1.0
Content-Type: text/plain; charset="ISO-8859-6"
Content-Transfer-Encoding: base64

""").encode()
write("iso-8859-6.eml", head + base64.encodebytes(ar.encode("iso-8859-6")).replace(b"\n", b"\r\n"))

ru = "Здравствуйте! Счёт за декабрь не пришёл."
head = crlf(f"""From: {ew("Анна Петрова", "koi8-r")} <anna@example.ru>
To: support@sanjeh.test
Subject: {ew("Счёт", "koi8-r")}
Date: Mon, 05 Jan 2026 09:00:00 +0300
Message-ID: <koi8-1@example.ru>
MIME-Version: 1.0
Content-Type: text/plain; charset=koi8-r
Content-Transfer-Encoding: 8bit

""").encode()
write("koi8-r.eml", head + ru.encode("koi8-r") + b"\r\n")

# Outlook in windows-1251: a reply above an underscore rule and a From:/Sent: block.
ru_body = crlf("""Добрый день, оплата прошла, спасибо.

С уважением,
Игорь

________________________________
От: Поддержка <support@sanjeh.test>
Отправлено: 5 января 2026 г. 9:00
Кому: Игорь
Тема: RE: Оплата [#T-100]

Пожалуйста, проверьте оплату.
""")
head = crlf(f"""From: {ew("Игорь", "windows-1251")} <igor@example.ru>
To: support@sanjeh.test
Subject: {ew("RE: Оплата [#T-100]", "windows-1251", "Q")}
Date: Mon, 05 Jan 2026 10:00:00 +0300
Message-ID: <cp1251-outlook-1@example.ru>
In-Reply-To: <sanjeh.T-100.aa@sanjeh.test>
Thread-Index: AQHbXyz1234567890
X-Mailer: Microsoft Outlook 16.0
MIME-Version: 1.0
Content-Type: text/plain; charset="windows-1251"
Content-Transfer-Encoding: quoted-printable

""").encode()
write("windows-1251-outlook.eml", head + quopri.encodestring(ru_body.encode("cp1251")))

jp = "お世話になっております。請求書が届いていません。"
head = crlf(f"""From: {ew("山田太郎", "iso-2022-jp")} <taro@example.jp>
To: support@sanjeh.test
Subject: {ew("請求書について", "iso-2022-jp")}
Date: Mon, 05 Jan 2026 09:00:00 +0900
Message-ID: <iso2022jp-1@example.jp>
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-2022-JP
Content-Transfer-Encoding: 7bit

""").encode()
write("iso-2022-jp.eml", head + jp.encode("iso-2022-jp") + b"\r\n")

# Gmail reply in Persian (UTF-8), multipart/alternative, quoted history below the attribution.
write("utf-8-gmail-fa.eml", crlf("""From: Sara Ahmadi <sara@example.ir>
To: support@sanjeh.test
Subject: =?UTF-8?B?UmU6INmF2LTaqdmEINmI2LHZiNivIFsjVC0yMDBd?=
Date: Tue, 06 Jan 2026 12:00:00 +0330
Message-ID: <CAB+gmail-fa-1@mail.gmail.com>
In-Reply-To: <sanjeh.T-200.bb@sanjeh.test>
References: <first-200@example.ir> <sanjeh.T-200.bb@sanjeh.test>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="000000000000abcdef"

--000000000000abcdef
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: base64

""") + base64.encodebytes("""ممنون، الان درست شد.

در تاریخ سه‌شنبه ۱۶ دی ۱۴۰۴، پشتیبانی <support@sanjeh.test> نوشت:
> لطفا دوباره امتحان کنید.
""".encode()).decode().replace("\n", "\r\n") + crlf("""
--000000000000abcdef
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<div dir=3D"rtl">=D9=85=D9=85=D9=86=D9=88=D9=86</div><script>alert(1)</script>
--000000000000abcdef--
"""))

# Gmail in English, quoted history with a wrapped attribution.
write("utf-8-gmail-en.eml", crlf("""From: "Bob Stone" <Bob.Stone@Example.com>
To: Support <support@sanjeh.test>
Cc: ops@example.com
Subject: Re: Cannot log in [#T-300]
Date: Wed, 07 Jan 2026 08:00:00 +0000
Message-ID: <CAC+gmail-en-1@mail.gmail.com>
In-Reply-To: <sanjeh.T-300.cc@sanjeh.test>
MIME-Version: 1.0
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

Still failing after the reset =E2=80=94 same error.

On Tue, 6 Jan 2026 at 17:00, Support <support@sanjeh.test>
wrote:

> ##- Please type your reply above this line -##
>
> Please reset your password.
"""))

# Outlook in English: reply, signature, underscore block.
write("outlook-en.eml", crlf("""From: Carol King <carol@corp.example>
To: support@sanjeh.test
Subject: RE: VPN access [#T-400]
Date: Thu, 08 Jan 2026 09:30:00 +0000
Message-ID: <DM6PR11MB0001@namprd11.prod.outlook.com>
Thread-Topic: VPN access
Thread-Index: AQHbYY2k
X-MS-Has-Attach:
Content-Language: en-US
MIME-Version: 1.0
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: 7bit

It works now, thank you.

________________________________
From: Support <support@sanjeh.test>
Sent: Wednesday, January 7, 2026 4:00 PM
To: Carol King <carol@corp.example>
Subject: VPN access [#T-400]

Try the new profile.
"""))

# A forward: the customer forwards a vendor's mail, inline and as an attached message/rfc822.
write("forwarded.eml", crlf("""From: Dan <dan@example.org>
To: support@sanjeh.test
Subject: Fwd: Your invoice 42
Date: Fri, 09 Jan 2026 10:00:00 +0000
Message-ID: <fwd-1@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="fwdb"

--fwdb
Content-Type: text/plain; charset=utf-8

Please look at the invoice below, the amount is wrong.

---------- Forwarded message ---------
From: Billing <billing@vendor.example>
Date: Thu, 8 Jan 2026
Subject: Your invoice 42

Amount due: 120 EUR
--fwdb
Content-Type: message/rfc822

From: Billing <billing@vendor.example>
To: dan@example.org
Subject: Your invoice 42
Message-ID: <inv-42@vendor.example>

Amount due: 120 EUR
--fwdb--
"""))

# Attachments: an inline PNG (cid), a PDF, and an executable that says it is a JPEG.
png = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5e2fb8b0000000049454e44ae426082")
pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
exe = b"MZ\x90\x00" + b"\x00" * 60
def b64(b):
    return base64.encodebytes(b).decode().replace("\n", "\r\n")
write("attachments.eml", crlf("""From: Eve <eve@example.com>
To: support@sanjeh.test
Subject: Screenshot and invoice
Date: Sat, 10 Jan 2026 11:00:00 +0000
Message-ID: <att-1@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8

See the screenshot and the invoice.
--alt
Content-Type: text/html; charset=utf-8

<p>See the screenshot <img src="cid:shot@eve"> and the invoice.</p>
--alt--
--rel
Content-Type: image/png; name="shot.png"
Content-Disposition: inline; filename="shot.png"
Content-ID: <shot@eve>
Content-Transfer-Encoding: base64

""") + b64(png) + crlf("""--rel--
--outer
Content-Type: application/pdf; name="invoice.pdf"
Content-Disposition: attachment; filename="../../invoice.pdf"
Content-Transfer-Encoding: base64

""") + b64(pdf) + crlf("""--outer
Content-Type: image/jpeg; name="photo.jpg"
Content-Disposition: attachment; filename="photo.jpg"
Content-Transfer-Encoding: base64

""") + b64(exe) + "--outer--\r\n")

# A Postfix bounce (RFC 3464) of a mail Sanjeh sent.
write("bounce-postfix.eml", crlf("""Return-Path: <>
From: MAILER-DAEMON@mx.sanjeh.test (Mail Delivery System)
To: support@sanjeh.test
Subject: Undelivered Mail Returned to Sender
Date: Sun, 11 Jan 2026 12:00:00 +0000
Message-ID: <20260111120000.AAAA1@mx.sanjeh.test>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B1/mx"

--B1/mx
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<gone@example.org>: host mx.example.org said: 550 5.1.1 User unknown

--B1/mx
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.sanjeh.test
Arrival-Date: Sun, 11 Jan 2026 11:59:58 +0000

Final-Recipient: rfc822; gone@example.org
Original-Recipient: rfc822;gone@example.org
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.org
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--B1/mx
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: Support <support@sanjeh.test>
To: gone@example.org
Subject: Re: Refund [#T-500]
Message-ID: <sanjeh.T-500.0123456789@sanjeh.test>

--B1/mx--
"""))

write("auto-reply-ooo.eml", crlf("""From: Frank <frank@example.com>
To: support@sanjeh.test
Subject: Automatic reply: Refund [#T-600]
Date: Mon, 12 Jan 2026 08:00:00 +0000
Message-ID: <ooo-1@example.com>
Auto-Submitted: auto-replied
X-Auto-Response-Suppress: All

I am out of the office until Monday.
"""))

write("bulk-list.eml", crlf("""From: News <news@lists.example.com>
To: support@sanjeh.test
Subject: Weekly digest
Date: Mon, 12 Jan 2026 08:00:00 +0000
Message-ID: <digest-1@lists.example.com>
List-Id: <news.lists.example.com>
List-Unsubscribe: <mailto:leave@lists.example.com>
Precedence: bulk

This week's news.
"""))

# --- malformed ------------------------------------------------------------------------------

write("malformed-missing-boundary.eml", crlf("""From: Gus <gus@example.com>
To: support@sanjeh.test
Subject: no boundary
Message-ID: <mal-1@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed

--something
Content-Type: text/plain

Hello without a declared boundary.
--something--
"""))

write("malformed-unclosed-boundary.eml", crlf("""From: Gus <gus@example.com>
To: support@sanjeh.test
Subject: unclosed
Message-ID: <mal-2@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="never"

--never
Content-Type: text/plain

The closing boundary never comes.
--never
Content-Type: application/pdf; name="x.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQK
"""))

write("malformed-bad-base64.eml", crlf("""From: Gus <gus@example.com>
To: support@sanjeh.test
Subject: =?UTF-8?B?!!!not base64!!!?=
Message-ID: <mal-3@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

SGVsbG8g%%%%$$$$d29ybGQ=====
@@@@
"""))

full = open(os.path.join(HERE, "attachments.eml"), "rb").read()
write("malformed-truncated.eml", full[: len(full) * 2 // 3])

write("malformed-header-only.eml", b"From: Hal <hal@example.com>\r\nSubject: only headers\r\nMessage-ID: <mal-5@example.com>")

write("malformed-nul-bytes.eml", b"From: Ida <ida@example.com>\r\nTo: support@sanjeh.test\r\nSubject: nul\x00bytes\r\nMessage-ID: <mal-6@example.com>\r\n\r\nbody\x00with\x00nuls\r\n\x00\x00\x00")

huge = "From: Jay <jay@example.com>\r\nTo: support@sanjeh.test\r\n"
huge += "".join("Received: from relay%d.example.net by relay%d.example.net; Mon, 12 Jan 2026 08:00:00 +0000\r\n" % (i, i + 1) for i in range(3000))
huge += "Subject: " + ("very long subject " * 5000) + "\r\n"
huge += "X-Folded: " + "\r\n ".join(["x" * 70] * 2000) + "\r\n"
huge += "Message-ID: <mal-7@example.com>\r\n\r\nA message with huge headers.\r\n"
write("malformed-huge-headers.eml", huge)

write("malformed-no-from.eml", crlf("""To: support@sanjeh.test
Subject: who am I
Message-ID: <mal-8@example.com>

No sender.
"""))

write("malformed-nested-parts.eml", crlf("From: Kim <kim@example.com>\nTo: support@sanjeh.test\nSubject: deep\nMessage-ID: <mal-9@example.com>\nMIME-Version: 1.0\n" + "".join('Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i) for i in range(200)) + "Content-Type: text/plain\n\ndeep text\n"))

write("malformed-binary-garbage.eml", bytes((i * 7919) % 256 for i in range(4096)))
