//! Everything written in the demo data: people's and companies' names, ticket topics and
//! subjects, what customers, agents and the bot say, and survey comments, in English,
//! Persian and Russian.
//!
//! Texts are short and plausible rather than varied: the demo exercises reports, search and
//! right-to-left rendering, not language models.

use crate::calendar::Region;
use crate::roster::Group;
use sanjeh_domain::Kind;

/// The language a customer writes in (and is answered in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    En,
    Fa,
    Ru,
}

impl Lang {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fa => "fa",
            Lang::Ru => "ru",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// Alternatives for one thing said, per language (indexed by [`Lang`]).
pub(crate) type Phrases = [&'static [&'static str]; 3];

/// The alternatives in `lang`.
pub(crate) fn phrases(p: &Phrases, lang: Lang) -> &'static [&'static str] {
    p[lang.index()]
}

/// A name in its own script and in Latin letters (for e-mail addresses and English profiles).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Name {
    pub native: &'static str,
    pub latin: &'static str,
}

const fn n(native: &'static str, latin: &'static str) -> Name {
    Name { native, latin }
}

pub(crate) const PERSIAN_FIRST: &[Name] = &[
    n("مریم", "Maryam"),
    n("علی", "Ali"),
    n("زهرا", "Zahra"),
    n("رضا", "Reza"),
    n("سارا", "Sara"),
    n("حسین", "Hossein"),
    n("نگار", "Negar"),
    n("امیر", "Amir"),
    n("فاطمه", "Fatemeh"),
    n("محمد", "Mohammad"),
    n("لیلا", "Leila"),
    n("مهدی", "Mahdi"),
    n("نازنین", "Nazanin"),
    n("کاوه", "Kaveh"),
    n("شیرین", "Shirin"),
    n("بهرام", "Bahram"),
    n("پریسا", "Parisa"),
    n("آرش", "Arash"),
    n("الهام", "Elham"),
    n("سینا", "Sina"),
];

pub(crate) const PERSIAN_LAST: &[Name] = &[
    n("احمدی", "Ahmadi"),
    n("محمدی", "Mohammadi"),
    n("حسینی", "Hosseini"),
    n("رضایی", "Rezaei"),
    n("کریمی", "Karimi"),
    n("موسوی", "Mousavi"),
    n("جعفری", "Jafari"),
    n("صادقی", "Sadeghi"),
    n("رحیمی", "Rahimi"),
    n("نوری", "Nouri"),
    n("تهرانی", "Tehrani"),
    n("کاظمی", "Kazemi"),
    n("شریفی", "Sharifi"),
    n("قاسمی", "Ghasemi"),
    n("یزدانی", "Yazdani"),
    n("فراهانی", "Farahani"),
];

/// Russian first names with their gender, which decides the surname's ending.
pub(crate) const RUSSIAN_FIRST: &[(Name, bool)] = &[
    (n("Иван", "Ivan"), false),
    (n("Мария", "Maria"), true),
    (n("Алексей", "Alexey"), false),
    (n("Анна", "Anna"), true),
    (n("Дмитрий", "Dmitry"), false),
    (n("Елена", "Elena"), true),
    (n("Сергей", "Sergey"), false),
    (n("Ольга", "Olga"), true),
    (n("Николай", "Nikolay"), false),
    (n("Татьяна", "Tatiana"), true),
    (n("Андрей", "Andrey"), false),
    (n("Наталья", "Natalia"), true),
    (n("Павел", "Pavel"), false),
    (n("Екатерина", "Ekaterina"), true),
    (n("Михаил", "Mikhail"), false),
    (n("Светлана", "Svetlana"), true),
];

/// Masculine surnames; the feminine form adds "а" / "a".
pub(crate) const RUSSIAN_LAST: &[Name] = &[
    n("Иванов", "Ivanov"),
    n("Смирнов", "Smirnov"),
    n("Кузнецов", "Kuznetsov"),
    n("Попов", "Popov"),
    n("Соколов", "Sokolov"),
    n("Лебедев", "Lebedev"),
    n("Козлов", "Kozlov"),
    n("Новиков", "Novikov"),
    n("Морозов", "Morozov"),
    n("Волков", "Volkov"),
    n("Васильев", "Vasiliev"),
    n("Зайцев", "Zaitsev"),
    n("Павлов", "Pavlov"),
    n("Семёнов", "Semenov"),
    n("Голубев", "Golubev"),
    n("Богданов", "Bogdanov"),
];

pub(crate) const ENGLISH_FIRST: &[&str] = &[
    "Emma", "James", "Olivia", "Liam", "Sophia", "Noah", "Ava", "Lucas", "Mia", "Ethan", "Grace",
    "Daniel", "Chloe", "Samuel", "Hannah", "Oliver",
];

pub(crate) const ENGLISH_LAST: &[&str] = &[
    "Smith", "Johnson", "Brown", "Taylor", "Wilson", "Clarke", "Walker", "Wright", "Green",
    "Hughes", "Turner", "Parker", "Evans", "Morgan", "Cooper", "Bennett",
];

/// Two halves of company names per region; combined they give 64 names, and a branch
/// number after that.
pub(crate) const ORG_PARTS: [(&[Name], &[Name]); 3] = [
    (
        &[
            n("پارس", "Pars"),
            n("آریا", "Arya"),
            n("نوین", "Novin"),
            n("سپهر", "Sepehr"),
            n("البرز", "Alborz"),
            n("کیان", "Kian"),
            n("آسمان", "Aseman"),
            n("رایان", "Rayan"),
        ],
        &[
            n("تجارت", "Tejarat"),
            n("سیستم", "System"),
            n("پرداز", "Pardaz"),
            n("داده", "Dadeh"),
            n("صنعت", "Sanat"),
            n("لجستیک", "Logistic"),
            n("پخش", "Pakhsh"),
            n("ارتباطات", "Ertebatat"),
        ],
    ),
    (
        &[
            n("Альфа", "Alfa"),
            n("Север", "Sever"),
            n("Вектор", "Vektor"),
            n("Гранит", "Granit"),
            n("Волга", "Volga"),
            n("Меридиан", "Meridian"),
            n("Орион", "Orion"),
            n("Сибирь", "Sibir"),
        ],
        &[
            n("Логистик", "Logistic"),
            n("Трейд", "Trade"),
            n("Софт", "Soft"),
            n("Строй", "Stroy"),
            n("Маркет", "Market"),
            n("Финанс", "Finance"),
            n("Медиа", "Media"),
            n("Групп", "Group"),
        ],
    ),
    (
        &[
            n("Northwind", "Northwind"),
            n("Blue Harbor", "Blueharbor"),
            n("Silverline", "Silverline"),
            n("Greenfield", "Greenfield"),
            n("Brightpath", "Brightpath"),
            n("Oakridge", "Oakridge"),
            n("Redstone", "Redstone"),
            n("Clearwater", "Clearwater"),
        ],
        &[
            n("Labs", "Labs"),
            n("Trading", "Trading"),
            n("Systems", "Systems"),
            n("Logistics", "Logistics"),
            n("Foods", "Foods"),
            n("Health", "Health"),
            n("Media", "Media"),
            n("Retail", "Retail"),
        ],
    ),
];

/// E-mail domains people of each region use for personal mail.
pub(crate) const MAIL_DOMAINS: [&[&str]; 3] = [
    &["gmail.com", "yahoo.com", "chmail.ir"],
    &["mail.ru", "yandex.ru", "gmail.com"],
    &["gmail.com", "outlook.com", "proton.me"],
];

/// The company name of organization number `n` of `region`, and a Latin slug for its domain.
pub(crate) fn organization_name(region: Region, n: u32) -> (String, String) {
    let (first, second) = ORG_PARTS[region.index()];
    let i = n as usize;
    let a = first[i % first.len()];
    let b = second[(i / first.len()) % second.len()];
    let round = i / (first.len() * second.len());
    let mut name = match region {
        Region::Tehran => format!("{} {}", a.native, b.native),
        Region::Moscow => format!("ООО «{} {}»", a.native, b.native),
        Region::Intl => format!("{} {}", a.native, b.native),
    };
    let mut slug = format!("{}{}", a.latin, b.latin).to_ascii_lowercase();
    if round > 0 {
        name.push_str(&format!(" {}", round + 1));
        slug.push_str(&format!("{}", round + 1));
    }
    (name, slug)
}

/// What a ticket is about: its tag, the group that handles it and how it is phrased.
#[derive(Debug)]
pub(crate) struct Topic {
    pub tag: &'static str,
    pub group: Group,
    /// Relative frequency within its group.
    pub weight: f64,
    /// Something broke (incidents, urgent priorities) rather than a question or a request.
    pub breakage: bool,
    /// Prone to turn into a complaint (money, outages).
    pub touchy: bool,
    /// Subject in English, Persian, Russian.
    pub subject: [&'static str; 3],
}

const fn topic(
    tag: &'static str,
    group: Group,
    weight: f64,
    breakage: bool,
    touchy: bool,
    subject: [&'static str; 3],
) -> Topic {
    Topic {
        tag,
        group,
        weight,
        breakage,
        touchy,
        subject,
    }
}

pub(crate) const TOPICS: &[Topic] = &[
    topic(
        "refund",
        Group::Billing,
        3.0,
        false,
        true,
        [
            "Refund request for my last payment",
            "درخواست بازگشت وجه آخرین پرداخت",
            "Запрос на возврат последнего платежа",
        ],
    ),
    topic(
        "invoice",
        Group::Billing,
        3.0,
        false,
        false,
        [
            "Need a corrected invoice",
            "فاکتور رسمی اصلاح‌شده می‌خواهم",
            "Нужен исправленный счёт",
        ],
    ),
    topic(
        "payment-failed",
        Group::Billing,
        2.0,
        true,
        true,
        [
            "Payment failed but money was deducted",
            "پرداخت ناموفق بود ولی پول از حسابم کسر شد",
            "Оплата не прошла, но деньги списали",
        ],
    ),
    topic(
        "subscription",
        Group::Billing,
        2.5,
        false,
        false,
        [
            "How do I change or cancel my plan?",
            "تغییر یا لغو اشتراک",
            "Как сменить или отменить тариф?",
        ],
    ),
    topic(
        "double-charge",
        Group::Billing,
        1.0,
        true,
        true,
        [
            "I was charged twice",
            "دو بار از حسابم برداشت شده",
            "Деньги списали дважды",
        ],
    ),
    topic(
        "login",
        Group::Technical,
        3.0,
        true,
        false,
        [
            "Cannot log in to my account",
            "نمی‌توانم وارد حسابم شوم",
            "Не могу войти в аккаунт",
        ],
    ),
    topic(
        "password-reset",
        Group::Technical,
        2.0,
        false,
        false,
        [
            "Password reset email never arrives",
            "ایمیل بازیابی رمز عبور نمی‌رسد",
            "Не приходит письмо для сброса пароля",
        ],
    ),
    topic(
        "bug",
        Group::Technical,
        2.5,
        true,
        false,
        [
            "Error when saving a report",
            "هنگام ذخیره گزارش خطا می‌دهد",
            "Ошибка при сохранении отчёта",
        ],
    ),
    topic(
        "integration",
        Group::Technical,
        1.5,
        true,
        false,
        [
            "API integration returns 401",
            "اتصال API خطای ۴۰۱ می‌دهد",
            "Интеграция по API возвращает 401",
        ],
    ),
    topic(
        "performance",
        Group::Technical,
        1.5,
        true,
        true,
        [
            "The dashboard is very slow",
            "داشبورد خیلی کند باز می‌شود",
            "Панель очень медленно загружается",
        ],
    ),
    topic(
        "mobile-app",
        Group::Technical,
        1.5,
        true,
        false,
        [
            "Mobile app crashes on start",
            "اپلیکیشن موبایل هنگام باز شدن بسته می‌شود",
            "Мобильное приложение вылетает при запуске",
        ],
    ),
    topic(
        "data-export",
        Group::Technical,
        1.5,
        false,
        false,
        [
            "How do I export my data to Excel?",
            "چطور داده‌ها را به اکسل خروجی بگیرم؟",
            "Как выгрузить данные в Excel?",
        ],
    ),
    topic(
        "outage",
        Group::Technical,
        0.4,
        true,
        true,
        [
            "Service is down for our whole team",
            "سرویس برای کل تیم ما از دسترس خارج شده",
            "Сервис недоступен для всей команды",
        ],
    ),
    topic(
        "pricing",
        Group::Sales,
        3.0,
        false,
        false,
        [
            "Pricing for 50 users",
            "قیمت برای ۵۰ کاربر",
            "Стоимость для 50 пользователей",
        ],
    ),
    topic(
        "upgrade",
        Group::Sales,
        2.0,
        false,
        false,
        [
            "We want to upgrade to the Business plan",
            "می‌خواهیم به پلن تجاری ارتقا دهیم",
            "Хотим перейти на тариф Business",
        ],
    ),
    topic(
        "demo-request",
        Group::Sales,
        1.5,
        false,
        false,
        [
            "Can we schedule a demo?",
            "امکان هماهنگی جلسه دمو هست؟",
            "Можно ли провести демонстрацию?",
        ],
    ),
    topic(
        "contract",
        Group::Sales,
        1.0,
        false,
        false,
        [
            "Contract renewal and annual discount",
            "تمدید قرارداد و تخفیف سالانه",
            "Продление договора и годовая скидка",
        ],
    ),
];

/// The index of the outage topic, which floods in during an outage.
pub(crate) fn outage_topic() -> usize {
    TOPICS
        .iter()
        .position(|t| t.tag == "outage")
        .expect("the outage topic exists")
}

/// Subject prefix of complaints.
pub(crate) const COMPLAINT_PREFIX: [&str; 3] = ["Complaint: ", "شکایت: ", "Жалоба: "];

/// Subject prefix of a customer's repeated request about the same thing.
pub(crate) const FOLLOW_UP_PREFIX: [&str; 3] = ["Re: ", "پیگیری: ", "Повторно: "];

pub(crate) fn subject(topic: &Topic, lang: Lang, kind: Kind, follow_up: bool) -> String {
    let i = lang.index();
    let mut s = String::new();
    if follow_up {
        s.push_str(FOLLOW_UP_PREFIX[i]);
    }
    if kind == Kind::Complaint {
        s.push_str(COMPLAINT_PREFIX[i]);
    }
    s.push_str(topic.subject[i]);
    s
}

pub(crate) const GREETING: [&str; 3] = ["Hello,", "سلام،", "Здравствуйте!"];

pub(crate) const CUSTOMER_DETAIL: Phrases = [
    &[
        "It started this morning and I can't continue my work.",
        "Could you please help as soon as possible?",
        "I've attached a screenshot.",
        "This is the second time this happens.",
        "Thanks in advance.",
    ],
    &[
        "از امروز صبح این مشکل پیش آمده و نمی‌توانم کارم را ادامه دهم.",
        "لطفاً هرچه زودتر راهنمایی کنید.",
        "تصویر صفحه را پیوست کردم.",
        "این دومین بار است که این اتفاق می‌افتد.",
        "پیشاپیش ممنونم.",
    ],
    &[
        "Началось сегодня утром, не могу продолжить работу.",
        "Помогите, пожалуйста, как можно скорее.",
        "Прикладываю скриншот.",
        "Это уже второй раз.",
        "Заранее спасибо.",
    ],
];

/// The customer's first message: a greeting, what it is about and a detail.
pub(crate) fn opening_message(subject: &str, lang: Lang, detail: &str) -> String {
    format!("{}\n{}\n{}", GREETING[lang.index()], subject, detail)
}

pub(crate) const BOT_GREETING: Phrases = [
    &[
        "Hi! I'm Sanjeh's assistant. An agent will be with you shortly; meanwhile these help articles may answer your question.",
        "Thanks for your message! During office hours we usually reply within minutes.",
    ],
    &[
        "سلام! من دستیار خودکار سنجه هستم. به‌زودی یکی از همکاران پاسخ می‌دهد؛ تا آن موقع شاید این مقاله‌ها کمک کنند.",
        "پیام شما دریافت شد. در ساعات کاری معمولاً ظرف چند دقیقه پاسخ می‌دهیم.",
    ],
    &[
        "Здравствуйте! Я виртуальный помощник Sanjeh. Скоро подключится специалист, а пока посмотрите эти статьи.",
        "Спасибо за сообщение! В рабочее время мы обычно отвечаем в течение нескольких минут.",
    ],
];

pub(crate) const BOT_ANSWER: Phrases = [
    &[
        "This help article should answer your question. If not, just reply and an agent will take over.",
    ],
    &[
        "به نظر می‌رسد این مقاله راهنما پاسخ سؤال شما را می‌دهد. اگر نه، کافی است پاسخ دهید تا یکی از همکاران پیگیری کند.",
    ],
    &[
        "Похоже, эта статья из базы знаний отвечает на ваш вопрос. Если нет — просто ответьте, и подключится специалист.",
    ],
];

pub(crate) const WANTS_HUMAN: Phrases = [
    &[
        "That didn't help, I'd like to talk to a person.",
        "The article doesn't cover my case.",
    ],
    &[
        "کمکی نکرد، می‌خواهم با یک کارشناس صحبت کنم.",
        "این مقاله مشکل من را پوشش نمی‌دهد.",
    ],
    &[
        "Не помогло, хочу поговорить с человеком.",
        "В статье нет моего случая.",
    ],
];

pub(crate) const AGENT_ACK: Phrases = [
    &[
        "Thanks for reaching out! I'm looking into this now and will update you shortly.",
        "Thank you for the details. We've reproduced the issue and are working on it.",
    ],
    &[
        "سلام، ممنون که اطلاع دادید. در حال بررسی هستم و به‌زودی نتیجه را اعلام می‌کنم.",
        "از توضیحات شما متشکریم؛ مشکل را بازتولید کردیم و در حال رفع آن هستیم.",
    ],
    &[
        "Здравствуйте! Спасибо за обращение, я уже разбираюсь и скоро вернусь с ответом.",
        "Спасибо за подробности — мы воспроизвели проблему и работаем над ней.",
    ],
];

pub(crate) const AGENT_QUESTION: Phrases = [
    &[
        "Could you send us a screenshot of the error and the e-mail address on your account?",
        "Which browser and app version are you using?",
        "Could you tell us the invoice number or the date of the payment?",
    ],
    &[
        "لطفاً تصویر خطا و ایمیل حساب کاربری‌تان را برای ما بفرستید.",
        "از کدام مرورگر و چه نسخه‌ای از برنامه استفاده می‌کنید؟",
        "لطفاً شماره فاکتور یا تاریخ پرداخت را بفرمایید.",
    ],
    &[
        "Пришлите, пожалуйста, скриншот ошибки и e-mail вашего аккаунта.",
        "Какой у вас браузер и версия приложения?",
        "Подскажите, пожалуйста, номер счёта или дату платежа.",
    ],
];

pub(crate) const CUSTOMER_ANSWER: Phrases = [
    &[
        "Here is the screenshot you asked for.",
        "I'm using Chrome on Windows, the latest version.",
        "The payment was made on the 12th, invoice attached.",
    ],
    &[
        "تصویری که خواسته بودید را فرستادم.",
        "از کروم روی ویندوز استفاده می‌کنم، آخرین نسخه.",
        "پرداخت روز دوازدهم انجام شد، فاکتور پیوست است.",
    ],
    &[
        "Отправляю скриншот, который вы просили.",
        "Chrome на Windows, последняя версия.",
        "Платёж был 12-го числа, счёт во вложении.",
    ],
];

pub(crate) const AGENT_SOLUTION: Phrases = [
    &[
        "Good news: this is fixed now. Please try again and let us know if anything is still off.",
        "I've processed this for you; you'll see the change within a few minutes.",
        "Here are the steps: Settings → Billing → Change plan. Let me know if you need anything else!",
    ],
    &[
        "خبر خوب: مشکل برطرف شد. لطفاً دوباره امتحان کنید و اگر مشکلی بود به ما بگویید.",
        "درخواستتان انجام شد؛ تا چند دقیقه دیگر تغییر را می‌بینید.",
        "مراحل: تنظیمات ← صورتحساب ← تغییر پلن. اگر سؤال دیگری بود در خدمتیم!",
    ],
    &[
        "Хорошие новости — всё исправлено. Попробуйте ещё раз и напишите, если что-то не так.",
        "Я всё оформил, изменения появятся в течение нескольких минут.",
        "Порядок такой: Настройки → Оплата → Сменить тариф. Если будут вопросы — пишите!",
    ],
];

pub(crate) const AGENT_NO_RESPONSE: Phrases = [
    &["We haven't heard back, so I'm marking this as solved. Just reply to reopen it anytime."],
    &[
        "پاسخی از شما دریافت نکردیم، بنابراین درخواست را حل‌شده علامت می‌زنیم. هر زمان پاسخ دهید دوباره باز می‌شود.",
    ],
    &[
        "Мы не получили ответа, поэтому отмечаем обращение решённым. Просто ответьте, чтобы открыть его снова.",
    ],
];

pub(crate) const CUSTOMER_REOPEN: Phrases = [
    &[
        "Unfortunately it's still not working.",
        "The problem came back today.",
        "I still haven't received it.",
    ],
    &[
        "متأسفانه هنوز درست نشده.",
        "مشکل امروز دوباره تکرار شد.",
        "هنوز چیزی به دستم نرسیده است.",
    ],
    &[
        "К сожалению, всё ещё не работает.",
        "Сегодня проблема повторилась.",
        "До сих пор ничего не пришло.",
    ],
];

pub(crate) const CALL_SUMMARY: Phrases = [
    &[
        "Phone call: went through the issue with the customer and explained the next steps.",
        "Phone call: verified the account and resolved the request on the line.",
    ],
    &[
        "تماس تلفنی: موضوع با مشتری بررسی و مراحل بعدی توضیح داده شد.",
        "تماس تلفنی: حساب کاربری تأیید و درخواست همان‌جا انجام شد.",
    ],
    &[
        "Звонок: разобрали вопрос с клиентом, объяснили дальнейшие шаги.",
        "Звонок: проверили аккаунт и решили вопрос во время разговора.",
    ],
];

/// Proactive contacts agents start: tag, subject per language, first message per language.
pub(crate) struct Outreach {
    pub tag: &'static str,
    pub subject: [&'static str; 3],
    pub message: [&'static str; 3],
}

pub(crate) const OUTREACH: &[Outreach] = &[
    Outreach {
        tag: "renewal",
        subject: [
            "Your subscription renewal",
            "تمدید اشتراک شما",
            "Продление подписки",
        ],
        message: [
            "Hello! Your subscription renews next week. Would you like to switch to annual billing with a 15% discount?",
            "سلام! اشتراک شما هفته آینده تمدید می‌شود. مایلید با ۱۵٪ تخفیف به پرداخت سالانه تغییر دهید؟",
            "Здравствуйте! На следующей неделе продлевается ваша подписка. Хотите перейти на годовую оплату со скидкой 15%?",
        ],
    },
    Outreach {
        tag: "payment-failed",
        subject: [
            "Payment failed: please update your card",
            "پرداخت ناموفق؛ لطفاً کارت را به‌روز کنید",
            "Платёж не прошёл — обновите карту",
        ],
        message: [
            "Hi! We noticed your last payment failed. Could you update your card details?",
            "سلام! آخرین پرداخت شما ناموفق بود؛ لطفاً اطلاعات کارت را به‌روز کنید.",
            "Здравствуйте! Последний платёж не прошёл — обновите, пожалуйста, данные карты.",
        ],
    },
    Outreach {
        tag: "onboarding",
        subject: [
            "How is onboarding going?",
            "راه‌اندازی چطور پیش می‌رود؟",
            "Как проходит подключение?",
        ],
        message: [
            "Hello! Following up on your onboarding: is there anything we can help your team with?",
            "سلام! در ادامه راه‌اندازی، آیا تیم شما به کمکی نیاز دارد؟",
            "Здравствуйте! Как проходит подключение? Можем чем-то помочь вашей команде?",
        ],
    },
];

pub(crate) const CUSTOMER_OUTREACH_REPLY: Phrases = [
    &[
        "Thanks for the reminder. Yes, let's do that.",
        "Done, I've updated it.",
    ],
    &["ممنون از یادآوری، بله موافقم.", "انجام شد، به‌روزش کردم."],
    &["Спасибо за напоминание, да, давайте.", "Готово, обновил."],
];

/// Internal notes, written in the agent's team language.
pub(crate) const INTERNAL_NOTE: Phrases = [
    &[
        "Checked the logs: looks like a caching issue on our side.",
        "Key account, please handle with priority.",
        "Refund approved by finance.",
        "Same root cause as last week's release bug.",
    ],
    &[
        "لاگ‌ها را بررسی کردم؛ ظاهراً مشکل از کش سمت ما است.",
        "مشتری کلیدی است، با اولویت رسیدگی شود.",
        "بازپرداخت توسط واحد مالی تأیید شد.",
    ],
    &[
        "Посмотрел логи — похоже, проблема с кешем на нашей стороне.",
        "Ключевой клиент, просьба обработать в приоритете.",
        "Возврат согласован с бухгалтерией.",
    ],
];

pub(crate) const ESCALATION_NOTE: Phrases = [
    &["Escalating to L2: reproducible, needs a developer."],
    &["ارجاع به سطح ۲: مشکل قابل تکرار است و به توسعه‌دهنده نیاز دارد."],
    &["Эскалация на L2: воспроизводится, нужен разработчик."],
];

/// Survey comments by sentiment: [negative, neutral, positive].
pub(crate) type Comments = [Phrases; 3];

pub(crate) const CSAT_COMMENTS: Comments = [
    [
        &[
            "Took three days to get an answer.",
            "The problem is still not fixed.",
            "Nobody read my first message.",
        ],
        &[
            "سه روز طول کشید تا جواب بدهید.",
            "مشکل هنوز حل نشده است.",
            "کسی پیام اولم را نخوانده بود.",
        ],
        &[
            "Ответа ждал три дня.",
            "Проблема так и не решена.",
            "Первое сообщение никто не прочитал.",
        ],
    ],
    [
        &[
            "OK, but it took a while.",
            "Solved, though I had to explain twice.",
        ],
        &[
            "حل شد ولی کمی طول کشید.",
            "بد نبود، اما مجبور شدم دوباره توضیح بدهم.",
        ],
        &[
            "Решили, но пришлось подождать.",
            "Нормально, но пришлось объяснять дважды.",
        ],
    ],
    [
        &[
            "Quick and helpful, thank you!",
            "Great support, problem solved in minutes.",
            "Very polite agent, thanks.",
            "Solved on the first try.",
        ],
        &[
            "پاسخ سریع بود، ممنون",
            "پشتیبانی عالی، مشکلم چند دقیقه‌ای حل شد.",
            "کارشناس بسیار مؤدب و دقیق بود.",
            "خیلی ممنون، همه‌چیز درست شد.",
        ],
        &[
            "Спасибо, всё решили быстро",
            "Отличная поддержка, очень вежливо.",
            "Помогли с первого раза, спасибо!",
            "Быстро и по делу.",
        ],
    ],
];

pub(crate) const NPS_COMMENTS: Comments = [
    [
        &[
            "Too expensive for what it offers.",
            "Too many outages lately.",
        ],
        &["نسبت به امکاناتش گران است.", "این اواخر قطعی زیاد داشتید."],
        &[
            "Слишком дорого за такие возможности.",
            "В последнее время много сбоев.",
        ],
    ],
    [
        &[
            "Good, but the mobile app needs work.",
            "Does the job, nothing special.",
        ],
        &[
            "خوب است ولی اپ موبایل باید بهتر شود.",
            "کار را راه می‌اندازد، چیز خاصی ندارد.",
        ],
        &[
            "Неплохо, но мобильное приложение надо доработать.",
            "Работает, но ничего особенного.",
        ],
    ],
    [
        &[
            "I recommend you to all my colleagues.",
            "Reliable product and support that listens.",
        ],
        &[
            "به همکارانم حتماً پیشنهاد می‌کنم.",
            "محصول قابل اعتماد و پشتیبانی پاسخگو.",
        ],
        &[
            "Рекомендую коллегам.",
            "Надёжный сервис и отзывчивая поддержка.",
        ],
    ],
];

pub(crate) const CES_COMMENTS: Comments = [
    [
        &["I had to contact you several times."],
        &["مجبور شدم چند بار تماس بگیرم."],
        &["Пришлось обращаться несколько раз."],
    ],
    [
        &["Took a couple of messages."],
        &["با چند پیام حل شد."],
        &["Потребовалось пару сообщений."],
    ],
    [
        &["Easy, one message was enough."],
        &["راحت بود، یک پیام کافی بود."],
        &["Легко, хватило одного сообщения."],
    ],
];

/// How many help-centre articles there are.
pub(crate) const ARTICLES: usize = 80;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_group_but_l2_has_topics_and_every_text_table_is_filled() {
        for g in [Group::Billing, Group::Technical, Group::Sales] {
            assert!(TOPICS.iter().any(|t| t.group == g), "{g:?}");
        }
        let tables = [
            &CUSTOMER_DETAIL,
            &BOT_GREETING,
            &BOT_ANSWER,
            &WANTS_HUMAN,
            &AGENT_ACK,
            &AGENT_QUESTION,
            &CUSTOMER_ANSWER,
            &AGENT_SOLUTION,
            &AGENT_NO_RESPONSE,
            &CUSTOMER_REOPEN,
            &CALL_SUMMARY,
            &CUSTOMER_OUTREACH_REPLY,
            &INTERNAL_NOTE,
            &ESCALATION_NOTE,
        ];
        for table in tables {
            for lang in [Lang::En, Lang::Fa, Lang::Ru] {
                assert!(!phrases(table, lang).is_empty());
            }
        }
    }

    #[test]
    fn organization_names_stay_unique_past_the_combinations() {
        let names: std::collections::HashSet<_> = (0..200)
            .map(|i| organization_name(Region::Moscow, i).1)
            .collect();
        assert_eq!(names.len(), 200);
    }
}
