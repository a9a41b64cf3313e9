//! Intl and the locale-sensitive built-in methods (guest/src/intl/): what
//! code in a run sees. Expected strings are CLDR's as ICU4X 2.4 formats
//! them; each one here is also what V8 (Node 22, ICU 76) prints for the
//! same call, narrow no-break spaces (U+202F) included, but one: an
//! all-numeric German date, where ICU4X uses CLDR's medium date pattern
//! (`01.01.1970`) and V8 the `yMd` skeleton's (`1.1.1970`).

use serde_json::json;

use crate::common::{err, ok, run};

#[tokio::test]
async fn numbers_format_by_locale_style_and_digit_options() {
    let code = r#"
        const f = (locale, options, value) => new Intl.NumberFormat(locale, options).format(value);
        [
          f("en-US", {}, 1234567.891), f("de-DE", {}, 1234567.891), f("fr-FR", {}, 1234567.891),
          f("en-IN", {}, 12345678), f("ar-EG", {}, 1234.5),
          f("en-US", { style: "currency", currency: "USD" }, 1234.5),
          f("de-DE", { style: "currency", currency: "EUR" }, 1234.5),
          f("ja-JP", { style: "currency", currency: "JPY" }, 1234.5),
          f("en-US", { style: "currency", currency: "EUR", currencyDisplay: "code" }, 2),
          f("en-US", { style: "currency", currency: "USD", currencySign: "accounting" }, -5),
          f("en-US", { style: "percent" }, 0.256),
          f("en-US", { style: "percent", minimumFractionDigits: 1 }, 0.256),
          f("en-US", { notation: "compact" }, 1234567),
          f("en-US", { notation: "compact", compactDisplay: "long" }, 1234567),
          f("en-US", { notation: "scientific" }, 123456),
          f("en-US", { notation: "engineering" }, 123456),
          f("en-US", { style: "unit", unit: "kilometer", unitDisplay: "long" }, 12),
          f("en-US", { style: "unit", unit: "liter", unitDisplay: "narrow" }, 12),
          f("de-DE", { style: "unit", unit: "hour", unitDisplay: "long" }, 1),
          f("en-US", { signDisplay: "always" }, 5),
          f("en-US", { signDisplay: "exceptZero" }, 0),
          f("en-US", { maximumSignificantDigits: 3 }, 123456),
          f("en-US", { minimumIntegerDigits: 3 }, 7),
          f("en-US", { maximumFractionDigits: 0, roundingMode: "floor" }, 2.9),
          f("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2, roundingIncrement: 5 }, 1.23),
          f("en-US", { minimumFractionDigits: 2, trailingZeroDisplay: "stripIfInteger" }, 5),
          f("en-US", { useGrouping: false }, 1234567),
          f("en-US", {}, NaN), f("en-US", {}, -Infinity),
        ]"#;
    assert_eq!(
        ok(run(code).await),
        json!([
            "1,234,567.891",
            "1.234.567,891",
            "1\u{202f}234\u{202f}567,891",
            "1,23,45,678",
            "١٬٢٣٤٫٥",
            "$1,234.50",
            "1.234,50\u{a0}€",
            "￥1,235",
            "EUR\u{a0}2.00",
            "($5.00)",
            "26%",
            "25.6%",
            "1.2M",
            "1.2 million",
            "1.235E5",
            "123.456E3",
            "12 kilometers",
            "12L",
            "1 Stunde",
            "+5",
            "0",
            "123,000",
            "007",
            "2",
            "1.25",
            "5",
            "1234567",
            "NaN",
            "-∞"
        ])
    );
}

#[tokio::test]
async fn numbers_are_exact_and_come_apart_into_parts() {
    let code = r#"
        const nf = new Intl.NumberFormat("en-US", { maximumFractionDigits: 20 });
        ({ parts: new Intl.NumberFormat("en-US").formatToParts(-1234.5).map((p) => `${p.type}:${p.value}`),
           currency: new Intl.NumberFormat("de-DE", { style: "currency", currency: "EUR" })
             .formatToParts(3.5).map((p) => p.type),
           big: (12345678901234567890n).toLocaleString("en-US"),
           string: nf.format("12345678901234567890.123456789"),
           float: nf.format(0.1 + 0.2),
           resolved: new Intl.NumberFormat("de", { style: "currency", currency: "jpy" }).resolvedOptions(),
           bound: ["1", "22"].map(new Intl.NumberFormat("en").format) })"#;
    let value = ok(run(code).await);
    assert_eq!(
        value["parts"],
        json!([
            "minusSign:-",
            "integer:1",
            "group:,",
            "integer:234",
            "decimal:.",
            "fraction:5"
        ])
    );
    assert_eq!(
        value["currency"],
        json!(["integer", "decimal", "fraction", "literal", "currency"])
    );
    assert_eq!(value["big"], json!("12,345,678,901,234,567,890"));
    assert_eq!(value["string"], json!("12,345,678,901,234,567,890.123456789"));
    assert_eq!(value["float"], json!("0.30000000000000004"));
    assert_eq!(value["bound"], json!(["1", "22"]));
    let resolved = &value["resolved"];
    assert_eq!(resolved["locale"], json!("de"));
    assert_eq!(resolved["currency"], json!("JPY"));
    assert_eq!(resolved["minimumFractionDigits"], json!(0));
    assert_eq!(resolved["maximumFractionDigits"], json!(0));
}

#[tokio::test]
async fn dates_format_in_iana_time_zones_across_daylight_saving() {
    let code = r#"
        const winter = Date.UTC(2026, 0, 15, 17, 30, 5);
        const summer = Date.UTC(2026, 6, 1, 12);
        const f = (locale, options, time) => new Intl.DateTimeFormat(locale, options).format(time);
        [
          f("en-US", { timeZone: "America/New_York", timeStyle: "long" }, winter),
          f("en-US", { timeZone: "America/New_York", timeStyle: "long" }, summer),
          f("en-US", { timeZone: "America/New_York", dateStyle: "short", timeStyle: "short" }, winter),
          f("en-GB", { timeZone: "Asia/Kolkata", dateStyle: "medium", timeStyle: "short" }, winter),
          f("de-DE", { dateStyle: "full" }, winter),
          f("en-US", { month: "long", year: "numeric" }, winter),
          f("en-US", { weekday: "long", timeZone: "Pacific/Auckland" }, winter),
          f("en-US", { hour: "numeric", minute: "2-digit", hour12: false, timeZone: "Europe/Paris" }, winter),
          f("en-US", { hour: "numeric", timeZone: "+05:30", timeZoneName: "shortOffset" }, winter),
          f("en-US", {}, winter),
        ]"#;
    assert_eq!(
        ok(run(code).await),
        json!([
            "12:30:05\u{202f}PM EST",
            "8:00:00\u{202f}AM EDT",
            "1/15/26, 12:30\u{202f}PM",
            "15 Jan 2026, 23:00",
            "Donnerstag, 15. Januar 2026",
            "January 2026",
            "Friday",
            "18:30",
            "11\u{202f}PM GMT+5:30",
            "1/15/2026"
        ])
    );
}

#[tokio::test]
async fn date_parts_and_resolved_options_follow_ecma_402() {
    let code = r#"
        const dtf = new Intl.DateTimeFormat("en-US", { timeZone: "utc", hour: "numeric", minute: "numeric",
          second: "numeric", fractionalSecondDigits: 2 });
        const zoned = new Intl.DateTimeFormat("en", { timeZone: "america/new_york" }).resolvedOptions();
        ({ parts: dtf.formatToParts(Date.UTC(2026, 0, 15, 17, 30, 5, 123)).map((p) => `${p.type}:${p.value}`),
           resolved: dtf.resolvedOptions(),
           zone: zoned.timeZone,
           defaultZone: new Intl.DateTimeFormat().resolvedOptions().timeZone,
           range: new Intl.DateTimeFormat("en-US", { timeZone: "UTC" }).formatRange(0, 86400000 * 2) })"#;
    let value = ok(run(code).await);
    assert_eq!(
        value["parts"],
        json!([
            "hour:5",
            "literal::",
            "minute:30",
            "literal::",
            "second:05",
            "literal:.",
            "fractionalSecond:12",
            "literal:\u{202f}",
            "dayPeriod:PM"
        ])
    );
    assert_eq!(value["resolved"]["timeZone"], json!("UTC"));
    assert_eq!(value["resolved"]["hourCycle"], json!("h12"));
    assert_eq!(value["resolved"]["hour12"], json!(true));
    assert_eq!(value["resolved"]["fractionalSecondDigits"], json!(2));
    assert_eq!(value["zone"], json!("America/New_York"));
    assert_eq!(value["defaultZone"], json!("UTC"));
    assert_eq!(value["range"], json!("1/1/1970 – 1/3/1970"));
}

#[tokio::test]
async fn the_built_in_locale_methods_go_through_intl() {
    let code = r#"
        const time = new Date(Date.UTC(2026, 0, 15, 17, 30, 5));
        [
          time.toLocaleString(),
          time.toLocaleString("en-US", { timeZone: "America/Los_Angeles" }),
          time.toLocaleDateString("fr-FR", { day: "numeric", month: "long" }),
          time.toLocaleTimeString("de-DE", { timeZone: "Europe/Berlin" }),
          new Date(NaN).toLocaleString(),
          (1234.5).toLocaleString("de-DE"),
          (0.5).toLocaleString("en-US", { style: "percent" }),
          [1234.5, new Date(0)].toLocaleString("de-DE", { timeZone: "UTC" }),
          ["item10", "item9", "Item1"].sort((a, b) => a.localeCompare(b, "en", { numeric: true })),
          "a".localeCompare("B"), "résumé".localeCompare("resume", "en", { sensitivity: "base" }),
          "istanbul".toLocaleUpperCase("tr"), "I".toLocaleLowerCase("tr"), "i".toLocaleUpperCase("en"),
        ]"#;
    assert_eq!(
        ok(run(code).await),
        json!([
            "1/15/2026, 5:30:05\u{202f}PM",
            "1/15/2026, 9:30:05\u{202f}AM",
            "15 janvier",
            "18:30:05",
            "Invalid Date",
            "1.234,5",
            "50%",
            "1.234,5,01.01.1970, 00:00:00",
            ["Item1", "item9", "item10"],
            -1,
            0,
            "İSTANBUL",
            "ı",
            "I"
        ])
    );
}

#[tokio::test]
async fn collation_plurals_relative_times_and_lists_are_the_locales() {
    let code = r#"
        ({ german: ["z", "ä", "a"].sort(new Intl.Collator("de").compare),
           swedish: ["z", "ä", "a"].sort(new Intl.Collator("sv").compare),
           numeric: ["10", "9", "1"].sort(new Intl.Collator("en", { numeric: true }).compare),
           base: new Intl.Collator("en", { sensitivity: "base" }).compare("a", "A"),
           punctuation: new Intl.Collator("en", { ignorePunctuation: true }).compare("a-b", "ab"),
           ordinal: [1, 2, 3, 4, 11, 21].map((n) => new Intl.PluralRules("en", { type: "ordinal" }).select(n)),
           cardinal: [0, 1, 2, 5].map((n) => new Intl.PluralRules("ru").select(n)),
           fraction: new Intl.PluralRules("en", { minimumFractionDigits: 1 }).select(1),
           categories: new Intl.PluralRules("ar").resolvedOptions().pluralCategories,
           relative: [new Intl.RelativeTimeFormat("en").format(-1, "day"),
                      new Intl.RelativeTimeFormat("en", { numeric: "auto" }).format(-1, "day"),
                      new Intl.RelativeTimeFormat("fr").format(2, "hours"),
                      new Intl.RelativeTimeFormat("en", { style: "short" }).format(3, "month")],
           relativeParts: new Intl.RelativeTimeFormat("en").formatToParts(100, "day"),
           lists: [new Intl.ListFormat("en").format(["a", "b", "c"]),
                   new Intl.ListFormat("en", { type: "disjunction" }).format(["a", "b", "c"]),
                   new Intl.ListFormat("de").format(["a", "b", "c"]),
                   new Intl.ListFormat("en", { style: "narrow", type: "unit" }).format(["1", "2"])],
           listParts: new Intl.ListFormat("en").formatToParts(["x", "y"]).map((p) => p.type) })"#;
    assert_eq!(
        ok(run(code).await),
        json!({
            "german": ["a", "ä", "z"], "swedish": ["a", "z", "ä"], "numeric": ["1", "9", "10"],
            "base": 0, "punctuation": 0,
            "ordinal": ["one", "two", "few", "other", "other", "one"],
            "cardinal": ["many", "one", "few", "many"],
            "fraction": "other",
            "categories": ["zero", "one", "two", "few", "many", "other"],
            "relative": ["1 day ago", "yesterday", "dans 2 heures", "in 3 mo."],
            "relativeParts": [
                { "type": "literal", "value": "in " },
                { "type": "integer", "value": "100", "unit": "day" },
                { "type": "literal", "value": " days" }
            ],
            "lists": ["a, b, and c", "a, b, or c", "a, b und c", "1 2"],
            "listParts": ["element", "literal", "element"]
        })
    );
}

#[tokio::test]
async fn segments_names_and_locales() {
    let code = r#"
        const words = new Intl.Segmenter("en", { granularity: "word" }).segment("Hello, world!");
        ({ graphemes: [...new Intl.Segmenter().segment("👨‍👩‍👧e\u0301x")].map((s) => s.segment),
           words: [...words].map((s) => [s.segment, s.index, s.isWordLike]),
           containing: words.containing(8),
           sentences: [...new Intl.Segmenter("en", { granularity: "sentence" }).segment("Hi there. How are you? Fine.")]
             .map((s) => s.segment),
           names: [new Intl.DisplayNames("en", { type: "region" }).of("DE"),
                   new Intl.DisplayNames("de", { type: "region" }).of("US"),
                   new Intl.DisplayNames("en", { type: "language" }).of("fr"),
                   new Intl.DisplayNames("en", { type: "language" }).of("en-GB"),
                   new Intl.DisplayNames("en", { type: "script" }).of("Cyrl"),
                   new Intl.DisplayNames("en", { type: "region", fallback: "none" }).of("QZ")],
           locale: (() => {
             const l = new Intl.Locale("en-latn-us-u-ca-gregory-hc-h12", { numeric: true });
             return [l.toString(), l.baseName, l.language, l.script, l.region, l.calendar, l.hourCycle, l.numeric];
           })(),
           likely: [new Intl.Locale("zh").maximize().toString(), new Intl.Locale("en-Latn-US").minimize().toString()],
           canonical: Intl.getCanonicalLocales(["EN-us", "zh-hant-tw", "en-US"]),
           supported: Intl.DateTimeFormat.supportedLocalesOf(["fr-CA", "qq-ZZ"]),
           zones: Intl.supportedValuesOf("timeZone").includes("America/New_York"),
           tags: [Object.prototype.toString.call(Intl), String(new Intl.Collator())] })"#;
    assert_eq!(
        ok(run(code).await),
        json!({
            "graphemes": ["👨‍👩‍👧", "e\u{301}", "x"],
            "words": [["Hello", 0, true], [",", 5, false], [" ", 6, false], ["world", 7, true], ["!", 12, false]],
            "containing": { "segment": "world", "index": 7, "input": "Hello, world!", "isWordLike": true },
            "sentences": ["Hi there. ", "How are you? ", "Fine."],
            "names": ["Germany", "Vereinigte Staaten", "French", "British English", "Cyrillic", null],
            "locale": ["en-Latn-US-u-ca-gregory-hc-h12-kn", "en-Latn-US", "en", "Latn", "US", "gregory", "h12", true],
            "likely": ["zh-Hans-CN", "en"],
            "canonical": ["en-US", "zh-Hant-TW"],
            "supported": ["fr-CA"],
            "zones": true,
            "tags": ["[object Intl]", "[object Intl.Collator]"]
        })
    );
}

#[tokio::test]
async fn bad_locales_and_options_are_range_and_type_errors() {
    let code = r#"
        const attempts = {
          underscore: () => new Intl.NumberFormat("en_US"),
          notATag: () => Intl.getCanonicalLocales("a-very-long-subtag-x"),
          style: () => new Intl.NumberFormat("en", { style: "money" }),
          noCurrency: () => new Intl.NumberFormat("en", { style: "currency" }),
          badCurrency: () => new Intl.NumberFormat("en", { style: "currency", currency: "US" }),
          badUnit: () => new Intl.NumberFormat("en", { style: "unit", unit: "parsec" }),
          digits: () => new Intl.NumberFormat("en", { minimumFractionDigits: 3, maximumFractionDigits: 1 }),
          zone: () => new Intl.DateTimeFormat("en", { timeZone: "Mars/Olympus" }),
          styleAndField: () => new Intl.DateTimeFormat("en", { dateStyle: "short", year: "numeric" }),
          badDate: () => new Intl.DateTimeFormat("en").format(NaN),
          relativeUnit: () => new Intl.RelativeTimeFormat("en").format(1, "fortnight"),
          listItem: () => new Intl.ListFormat("en").format(["a", 1]),
          displayType: () => new Intl.DisplayNames("en", {}),
          nullOptions: () => new Intl.Collator("en", null),
        };
        Object.fromEntries(Object.entries(attempts).map(([name, attempt]) => {
          try { attempt(); return [name, "no error"]; } catch (e) { return [name, e.constructor.name]; }
        }))"#;
    assert_eq!(
        ok(run(code).await),
        json!({
            "underscore": "RangeError", "notATag": "RangeError", "style": "RangeError",
            "noCurrency": "TypeError", "badCurrency": "RangeError", "badUnit": "RangeError",
            "digits": "RangeError", "zone": "RangeError", "styleAndField": "TypeError",
            "badDate": "RangeError", "relativeUnit": "RangeError", "listItem": "TypeError",
            "displayType": "TypeError", "nullOptions": "TypeError"
        })
    );
    let error = err(run(r#"new Intl.DateTimeFormat("en", { timeZone: "Mars/Olympus" })"#).await);
    assert!(
        error.message.contains("Invalid time zone specified: Mars/Olympus"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn lone_surrogates_and_numbers_past_the_decimal_range_are_handled() {
    let code = r#"
        const attempt = (f) => { try { return f(); } catch (e) { return e.name; } };
        [
          [...new Intl.Segmenter("en", { granularity: "word" }).segment("\ud800x")].map((s) => s.segment.length),
          typeof new Intl.Collator("en").compare("\ud800", "a"),
          "i\ud800".toLocaleUpperCase("tr").length,
          new Intl.ListFormat("en").format(["a", "\udc00"]).length,
          attempt(() => new Intl.NumberFormat("en").format(10n ** 40000n)),
          new Intl.NumberFormat("en").format(10n ** 300n).length,
        ]"#;
    assert_eq!(ok(run(code).await), json!([[1, 1], "number", 2, 7, "RangeError", 401]));
}
