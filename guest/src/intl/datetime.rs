//! `Intl.DateTimeFormat`: ICU4X's `DateTimeFormatter` over a field set made
//! from ECMA-402's options (a UTS #35 skeleton for the component options,
//! lengths for `dateStyle`/`timeStyle`), in the locale's calendar and
//! numbering system, in an IANA time zone or a fixed offset.

use icu::calendar::{Date, Iso};
use icu::datetime::DateTimeFormatter;
use icu::datetime::fieldbag::DateTimeFieldBag;
use icu::datetime::fieldsets::builder::{DateFields, FieldSetBuilder, ZoneStyle};
use icu::datetime::fieldsets::enums::CompositeFieldSet;
use icu::datetime::options::{Length, TimePrecision};
use icu::time::zone::{IanaParser, UtcOffset, ZoneNameTimestamp};
use icu::time::{Time, TimeZone, ZonedDateTime};
use rquickjs::class::Trace;
use rquickjs::{Class, Ctx, Exception, Function, JsLifetime, Object};
use writeable::{Part, Writeable};

use super::parts::{Collector, Pick};

/// The time zone of one DateTimeFormat.
enum Zone {
    /// An IANA zone: jiff gives the offset at an instant, ICU4X the names.
    Named(Box<jiff::tz::TimeZone>, TimeZone),
    /// A fixed offset from UTC, in seconds (`timeZone: "+05:30"`).
    Offset(i32),
}

/// One `Intl.DateTimeFormat`'s formatter, built once.
#[derive(Trace, JsLifetime)]
#[rquickjs::class(rename = "DateTimeFormatter")]
pub struct NativeDateTimeFormat {
    #[qjs(skip_trace)]
    formatter: DateTimeFormatter<CompositeFieldSet>,
    #[qjs(skip_trace)]
    zone: Zone,
}

/// Defines `timeZoneName(name)` (the canonical name of a time zone, or
/// undefined), `newDateTimeFormat(locale, skeleton, dateStyle, timeStyle,
/// timeZone)`, `formatDateTime(formatter, epochMilliseconds)` and
/// `formatDateTimeToParts(...)` on `natives`.
pub fn define<'js>(ctx: &Ctx<'js>, natives: &Object<'js>) -> rquickjs::Result<()> {
    natives.set(
        "timeZoneName",
        Function::new(ctx.clone(), |name: String| canonical_zone(&name))?,
    )?;
    natives.set(
        "timeZones",
        Function::new(ctx.clone(), || {
            let mut names: Vec<String> = jiff::tz::db()
                .available()
                .map(|name| name.to_string())
                .filter(|name| name.contains('/') && !name.starts_with("Etc/") && !name.starts_with("SystemV/"))
                .collect();
            names.push("UTC".into());
            names.sort();
            names.dedup();
            names
        })?,
    )?;
    natives.set("newDateTimeFormat", Function::new(ctx.clone(), new_format)?)?;
    natives.set(
        "formatDateTime",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, this: Class<'js, NativeDateTimeFormat>, time: f64| {
                let this = this.borrow();
                let input = this.input(&ctx, time)?;
                Ok::<_, rquickjs::Error>(this.formatter.format(&input).write_to_string().into_owned())
            },
        )?,
    )?;
    natives.set(
        "formatDateTimeToParts",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, this: Class<'js, NativeDateTimeFormat>, time: f64| {
                let this = this.borrow();
                let input = this.input(&ctx, time)?;
                let collector = Collector::collect(&this.formatter.format(&input));
                let pieces = split_fractional_seconds(collector.pieces(Pick::Outermost, part_type));
                super::parts::to_js(&ctx, &pieces)
            },
        )?,
    )?;
    Ok(())
}

/// ECMA-402's part type for an ICU4X date-time part.
fn part_type(part: Part) -> &'static str {
    match (part.category, part.value) {
        ("datetime", "era") => "era",
        ("datetime", "year" | "extendedYear") => "year",
        ("datetime", "relatedYear") => "relatedYear",
        ("datetime", "yearName") => "yearName",
        ("datetime", "month") => "month",
        ("datetime", "day") => "day",
        ("datetime", "weekday") => "weekday",
        ("datetime", "dayPeriod") => "dayPeriod",
        ("datetime", "hour") => "hour",
        ("datetime", "minute") => "minute",
        ("datetime", "second") => "second",
        ("datetime", "timeZoneName") => "timeZoneName",
        ("decimal", "fraction") => "fractionalSecond",
        _ => "literal",
    }
}

/// ICU4X writes fractional seconds inside the second (`05.12`); ECMA-402
/// has them as `second`, a `literal` separator and `fractionalSecond`.
fn split_fractional_seconds(pieces: Vec<(&'static str, String)>) -> Vec<(&'static str, String)> {
    let mut out = Vec::with_capacity(pieces.len() + 2);
    for (kind, text) in pieces {
        let split = (kind == "second")
            .then(|| text.char_indices().find(|(_, c)| !c.is_numeric()))
            .flatten();
        match split {
            Some((at, separator)) => {
                let after = at + separator.len_utf8();
                out.push(("second", text[..at].to_owned()));
                out.push(("literal", text[at..after].to_owned()));
                out.push(("fractionalSecond", text[after..].to_owned()));
            }
            None => out.push((kind, text)),
        }
    }
    out
}

/// The canonical spelling of a time zone ECMA-402 accepts: an IANA name
/// (any case; `Etc/UTC`, `GMT` and the like are `UTC`) or an offset
/// `±HH:MM` (`±HH` and `±HHMM` too).
pub fn canonical_zone(name: &str) -> Option<String> {
    if let Some(seconds) = parse_offset(name) {
        let sign = if seconds < 0 { '-' } else { '+' };
        let minutes = seconds.unsigned_abs() / 60;
        return Some(format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60));
    }
    if name.len() > 64 || name.starts_with('+') || name.starts_with('-') {
        return None;
    }
    let upper = name.to_ascii_uppercase();
    if matches!(
        upper.as_str(),
        "UTC"
            | "ETC/UTC"
            | "ETC/GMT"
            | "GMT"
            | "ETC/UCT"
            | "UCT"
            | "ETC/ZULU"
            | "ZULU"
            | "ETC/UNIVERSAL"
            | "UNIVERSAL"
            | "ETC/GREENWICH"
            | "GREENWICH"
            | "GMT0"
            | "ETC/GMT0"
            | "GMT+0"
            | "GMT-0"
            | "ETC/GMT+0"
            | "ETC/GMT-0"
    ) {
        return Some("UTC".into());
    }
    let zone = jiff::tz::db().get(name).ok()?;
    zone.iana_name().map(str::to_owned)
}

/// `±HH:MM`, `±HHMM` or `±HH` as seconds east of UTC.
fn parse_offset(text: &str) -> Option<i32> {
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = &text[1..];
    let digits: String = match rest.len() {
        2 | 4 => rest.to_owned(),
        5 if rest.as_bytes()[2] == b':' => format!("{}{}", &rest[..2], &rest[3..]),
        _ => return None,
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = if digits.len() == 4 {
        digits[2..].parse().ok()?
    } else {
        0
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some(sign * (hours * 3600 + minutes * 60))
}

fn style_length(style: &str) -> Option<Length> {
    match style {
        "full" | "long" => Some(Length::Long),
        "medium" => Some(Length::Medium),
        "short" => Some(Length::Short),
        _ => None,
    }
}

/// The field set for `dateStyle`/`timeStyle` (either may be empty).
fn style_field_set(date_style: &str, time_style: &str) -> Option<CompositeFieldSet> {
    let mut builder = FieldSetBuilder::new();
    builder.length = style_length(if date_style.is_empty() { time_style } else { date_style });
    builder.date_fields = match date_style {
        "" => None,
        "full" => Some(DateFields::YMDE),
        _ => Some(DateFields::YMD),
    };
    builder.time_precision = match time_style {
        "" => None,
        "short" => Some(TimePrecision::Minute),
        _ => Some(TimePrecision::Second),
    };
    builder.zone_style = match time_style {
        "full" => Some(ZoneStyle::SpecificLong),
        "long" => Some(ZoneStyle::SpecificShort),
        _ => None,
    };
    builder.build_composite().ok()
}

/// A formatter for `locale` (with its `-u-ca`, `-u-nu` and `-u-hc`
/// keywords) showing the fields of `skeleton` (UTS #35 skeleton letters
/// from ECMA-402's component options), or, if a style is given, the
/// styles' fields; in `time_zone` (a name `timeZoneName` returned).
fn new_format<'js>(
    ctx: Ctx<'js>,
    locale: String,
    skeleton: String,
    date_style: String,
    time_style: String,
    time_zone: String,
) -> rquickjs::Result<Class<'js, NativeDateTimeFormat>> {
    let locale = super::locale::parse(&ctx, &locale)?;
    let field_set = if date_style.is_empty() && time_style.is_empty() {
        let bag = DateTimeFieldBag::try_from_skeleton(&skeleton)
            .map_err(|_| Exception::throw_range(&ctx, "Intl.DateTimeFormat: invalid combination of options"))?;
        bag.to_composite_field_set()
    } else {
        style_field_set(&date_style, &time_style)
            .ok_or_else(|| Exception::throw_range(&ctx, "Intl.DateTimeFormat: invalid dateStyle or timeStyle"))?
    };
    let formatter = DateTimeFormatter::try_new((&locale).into(), field_set).map_err(|error| {
        Exception::throw_range(
            &ctx,
            &format!("Intl.DateTimeFormat: no date format for these options ({error})"),
        )
    })?;
    let zone = match parse_offset(&time_zone) {
        Some(seconds) => Zone::Offset(seconds),
        None if time_zone == "UTC" => {
            Zone::Named(Box::new(jiff::tz::TimeZone::UTC), IanaParser::new().parse("Etc/UTC"))
        }
        None => {
            let jiff_zone = jiff::tz::db()
                .get(&time_zone)
                .map_err(|_| Exception::throw_range(&ctx, &format!("Invalid time zone specified: {time_zone}")))?;
            Zone::Named(Box::new(jiff_zone), IanaParser::new().parse(&time_zone))
        }
    };
    Class::instance(ctx, NativeDateTimeFormat { formatter, zone })
}

impl NativeDateTimeFormat {
    /// The instant `time` (milliseconds since the epoch, a time value) as
    /// ICU4X's input: the local date and time in the formatter's zone.
    fn input(
        &self,
        ctx: &Ctx<'_>,
        time: f64,
    ) -> rquickjs::Result<ZonedDateTime<Iso, icu::time::TimeZoneInfo<icu::time::zone::models::AtTime>>> {
        if !time.is_finite() || time.abs() > 8.64e15 {
            return Err(Exception::throw_range(ctx, "Invalid time value"));
        }
        let milliseconds = time.floor() as i64;
        let timestamp = jiff::Timestamp::from_millisecond(milliseconds)
            .map_err(|_| Exception::throw_range(ctx, "Invalid time value: outside the range isobox formats"))?;
        let (offset_seconds, zone) = match &self.zone {
            Zone::Named(jiff_zone, icu_zone) => (jiff_zone.to_offset(timestamp).seconds(), *icu_zone),
            Zone::Offset(seconds) => (*seconds, TimeZone::UNKNOWN),
        };
        let offset = jiff::tz::Offset::from_seconds(offset_seconds)
            .map_err(|_| Exception::throw_range(ctx, "Invalid time zone offset"))?;
        let local = offset.to_datetime(timestamp);
        let date = Date::try_new_iso(i32::from(local.year()), local.month() as u8, local.day() as u8)
            .map_err(|_| Exception::throw_range(ctx, "Invalid time value"))?;
        let nanos = u32::try_from(local.subsec_nanosecond()).unwrap_or(0);
        let clock = Time::try_new(local.hour() as u8, local.minute() as u8, local.second() as u8, nanos)
            .map_err(|_| Exception::throw_range(ctx, "Invalid time value"))?;
        let zone = zone
            .with_offset(Some(UtcOffset::from_seconds_unchecked(offset_seconds)))
            .with_zone_name_timestamp(ZoneNameTimestamp::from_epoch_seconds(timestamp.as_second()));
        Ok(ZonedDateTime {
            date,
            time: clock,
            zone,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_names_are_canonical_and_offsets_are_normalised() {
        assert_eq!(canonical_zone("america/new_york").as_deref(), Some("America/New_York"));
        assert_eq!(canonical_zone("Etc/GMT").as_deref(), Some("UTC"));
        assert_eq!(canonical_zone("+0530").as_deref(), Some("+05:30"));
        assert_eq!(canonical_zone("-08").as_deref(), Some("-08:00"));
        assert_eq!(canonical_zone("Mars/Olympus"), None);
        assert_eq!(canonical_zone("+25:00"), None);
    }
}
