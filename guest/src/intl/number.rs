//! `Intl.NumberFormat`, `Intl.PluralRules` and `Intl.RelativeTimeFormat`:
//! ECMA-402's rounding (fraction and significant digits, rounding modes and
//! increments, trailing zeros) on `fixed_decimal`'s exact decimals, then
//! ICU4X's decimal, percent, currency, compact and unit formatting.

use std::collections::BTreeMap;

use fixed_decimal::{
    Decimal, FloatPrecision, RoundingIncrement, SignDisplay, SignedRoundingMode, UnsignedRoundingMode,
};
use icu::decimal::options::{CompactDecimalFormatterOptions, DecimalFormatterOptions, GroupingStrategy};
use icu::decimal::{CompactDecimalFormatter, DecimalFormatter};
use icu::experimental::dimension::currency::CurrencyType;
use icu::experimental::dimension::currency::formatter::CurrencyFormatter;
use icu::experimental::dimension::currency::options::{CurrencyFormatterOptions, CurrencyUsage};
use icu::experimental::dimension::percent::formatter::PercentFormatter;
use icu::experimental::dimension::provider::units::categorized_display_names as unit_names;
use icu::experimental::dimension::provider::units::display_names::UnitsDisplayNames;
use icu::experimental::relativetime::options::Numeric;
use icu::experimental::relativetime::{RelativeTimeFormatter, RelativeTimeFormatterOptions};
use icu::locale::Locale;
use icu::plurals::{PluralCategory, PluralOperands, PluralRuleType, PluralRules, PluralRulesOptions};
use icu_provider::marker::ErasedMarker;
use icu_provider::prelude::*;
use rquickjs::class::Trace;
use rquickjs::{Array, Class, Ctx, Exception, Function, JsLifetime, Object, Value};
use writeable::{Part, Writeable};

use super::parts::{Collector, Pick};

/// ECMA-402's digit options, already checked by intl.js.
#[derive(Clone, Debug)]
pub struct Digits {
    min_integer: i16,
    min_fraction: i16,
    max_fraction: i16,
    min_significant: i16,
    max_significant: i16,
    kind: RoundingKind,
    mode: SignedRoundingMode,
    increment: u32,
    strip_if_integer: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RoundingKind {
    Fraction,
    Significant,
    MorePrecision,
    LessPrecision,
}

impl Digits {
    /// Reads the digit options from `options` (numbers and strings intl.js
    /// resolved): `minimumIntegerDigits`, `minimumFractionDigits`,
    /// `maximumFractionDigits`, `minimumSignificantDigits`,
    /// `maximumSignificantDigits`, `roundingType`, `roundingMode`,
    /// `roundingIncrement`, `trailingZeroDisplay`.
    pub fn from_js(options: &Object<'_>) -> rquickjs::Result<Digits> {
        let number = |name: &str, default: i16| -> rquickjs::Result<i16> {
            Ok(options
                .get::<_, Option<f64>>(name)?
                .map_or(default, |n| n.clamp(0.0, 100.0) as i16))
        };
        let text = |name: &str| -> rquickjs::Result<String> {
            Ok(options.get::<_, Option<String>>(name)?.unwrap_or_default())
        };
        let kind = match text("roundingType")?.as_str() {
            "significantDigits" => RoundingKind::Significant,
            "morePrecision" => RoundingKind::MorePrecision,
            "lessPrecision" => RoundingKind::LessPrecision,
            _ => RoundingKind::Fraction,
        };
        let mode = match text("roundingMode")?.as_str() {
            "ceil" => SignedRoundingMode::Ceil,
            "floor" => SignedRoundingMode::Floor,
            "expand" => SignedRoundingMode::Unsigned(UnsignedRoundingMode::Expand),
            "trunc" => SignedRoundingMode::Unsigned(UnsignedRoundingMode::Trunc),
            "halfCeil" => SignedRoundingMode::HalfCeil,
            "halfFloor" => SignedRoundingMode::HalfFloor,
            "halfTrunc" => SignedRoundingMode::Unsigned(UnsignedRoundingMode::HalfTrunc),
            "halfEven" => SignedRoundingMode::Unsigned(UnsignedRoundingMode::HalfEven),
            _ => SignedRoundingMode::Unsigned(UnsignedRoundingMode::HalfExpand),
        };
        Ok(Digits {
            min_integer: number("minimumIntegerDigits", 1)?.max(1),
            min_fraction: number("minimumFractionDigits", 0)?,
            max_fraction: number("maximumFractionDigits", 3)?,
            min_significant: number("minimumSignificantDigits", 1)?.max(1),
            max_significant: number("maximumSignificantDigits", 21)?.max(1),
            kind,
            mode,
            increment: options
                .get::<_, Option<f64>>("roundingIncrement")?
                .map_or(1, |n| n as u32),
            strip_if_integer: text("trailingZeroDisplay")? == "stripIfInteger",
        })
    }

    /// `value` rounded and padded as the options say.
    pub fn apply(&self, value: &Decimal) -> Decimal {
        let mut rounded = match self.kind {
            RoundingKind::Fraction => self.fraction(value.clone()),
            RoundingKind::Significant => self.significant(value.clone()),
            RoundingKind::MorePrecision | RoundingKind::LessPrecision => {
                let by_significant = self.significant(value.clone());
                let by_fraction = self.fraction(value.clone());
                let significant_end = *by_significant.absolute.magnitude_range().start();
                let fraction_end = *by_fraction.absolute.magnitude_range().start();
                let more = self.kind == RoundingKind::MorePrecision;
                if (significant_end <= fraction_end) == more {
                    by_significant
                } else {
                    by_fraction
                }
            }
        };
        if self.strip_if_integer && rounded.absolute.nonzero_magnitude_end() >= 0 {
            rounded.absolute.pad_end(0);
        }
        rounded.absolute.trim_start();
        rounded.absolute.pad_start(self.min_integer);
        rounded
    }

    fn fraction(&self, mut value: Decimal) -> Decimal {
        if self.increment <= 1 {
            value.round_with_mode(-self.max_fraction, self.mode);
        } else {
            let mut increment = self.increment;
            let mut shift = 0i16;
            while increment.is_multiple_of(10) && increment > 0 {
                increment /= 10;
                shift += 1;
            }
            let multiples = match increment {
                2 => RoundingIncrement::MultiplesOf2,
                5 => RoundingIncrement::MultiplesOf5,
                25 => RoundingIncrement::MultiplesOf25,
                _ => RoundingIncrement::MultiplesOf1,
            };
            value.round_with_mode_and_increment(-self.max_fraction + shift, self.mode, multiples);
        }
        value.absolute.pad_end(-self.min_fraction);
        value
    }

    fn significant(&self, mut value: Decimal) -> Decimal {
        let leading = if value.absolute.is_zero() {
            0
        } else {
            value.absolute.nonzero_magnitude_start()
        };
        value.round_with_mode(leading - self.max_significant + 1, self.mode);
        let leading = if value.absolute.is_zero() {
            0
        } else {
            value.absolute.nonzero_magnitude_start()
        };
        value.absolute.pad_end(leading - self.min_significant + 1);
        value
    }
}

/// A value to format, read once.
enum Number {
    NaN,
    Infinite { negative: bool },
    Finite(Decimal),
}

/// A finite JS number as an exact decimal, keeping the sign of -0.
fn decimal_from_f64(number: f64) -> Option<Decimal> {
    let mut decimal = Decimal::try_from_f64(number, FloatPrecision::RoundTrip).ok()?;
    if number == 0.0 && number.is_sign_negative() {
        decimal.sign = fixed_decimal::Sign::Negative;
    }
    Some(decimal)
}

/// A JS number, or a decimal string (a BigInt's digits, or a numeric string
/// intl.js checked), read once. A decimal string `fixed_decimal` cannot
/// hold (past 32,767 digits) is a RangeError, never a silent NaN.
fn to_number(ctx: &Ctx<'_>, value: &Value<'_>) -> rquickjs::Result<Number> {
    if let Some(number) = value.as_number() {
        if number.is_nan() {
            return Ok(Number::NaN);
        }
        if number.is_infinite() {
            return Ok(Number::Infinite { negative: number < 0.0 });
        }
        return Ok(decimal_from_f64(number).map_or(Number::NaN, Number::Finite));
    }
    let text = value
        .as_string()
        .map(rquickjs::String::to_string)
        .transpose()?
        .unwrap_or_default();
    Decimal::try_from_str(text.trim()).map(Number::Finite).map_err(|_| {
        Exception::throw_range(
            ctx,
            "Intl.NumberFormat: the number has more digits than Intl can format (32,767)",
        )
    })
}

/// The style-specific formatter of one NumberFormat.
enum Style {
    Decimal(DecimalFormatter),
    Percent(Box<PercentFormatter<DecimalFormatter>>),
    Currency(Box<CurrencyFormatter<DecimalFormatter>>),
    CompactCurrency(Box<CurrencyFormatter<CompactDecimalFormatter>>),
    Compact(Box<CompactDecimalFormatter>),
    Unit(Box<UnitFormat>),
}

/// A unit's plural patterns from CLDR, or (for a unit ICU4X 2.4 has no
/// names for: digital, temperature, angle, percent, speeds) the unit's
/// international symbol after the number (`5 kB`, `20 °C`, `60 km/h`).
struct UnitFormat {
    names: Option<DataPayload<ErasedMarker<UnitsDisplayNames<'static>>>>,
    plurals: PluralRules,
    decimal: DecimalFormatter,
    unit: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Notation {
    Standard,
    Scientific,
    Engineering,
    Compact,
}

/// One `Intl.NumberFormat`'s formatter, built once.
#[derive(Trace, JsLifetime)]
#[rquickjs::class(rename = "NumberFormatter")]
pub struct NativeNumberFormat {
    #[qjs(skip_trace)]
    style: Style,
    #[qjs(skip_trace)]
    digits: Digits,
    #[qjs(skip_trace)]
    notation: Notation,
    #[qjs(skip_trace)]
    sign: SignDisplay,
    #[qjs(skip_trace)]
    percent: bool,
    /// The part type the style's own text is (`currency`, `unit`,
    /// `percentSign`), for formatToParts.
    #[qjs(skip_trace)]
    style_part: &'static str,
    /// A plain decimal formatter (for scientific mantissas and NaN/∞).
    #[qjs(skip_trace)]
    plain: DecimalFormatter,
}

/// Defines the number natives on `natives`.
pub fn define<'js>(ctx: &Ctx<'js>, natives: &Object<'js>) -> rquickjs::Result<()> {
    natives.set("newNumberFormat", Function::new(ctx.clone(), new_number_format)?)?;
    natives.set(
        "formatNumber",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, this: Class<'js, NativeNumberFormat>, value: Value<'js>| {
                Ok::<_, rquickjs::Error>(this.borrow().format(&ctx, &value)?.text().to_owned())
            },
        )?,
    )?;
    natives.set(
        "formatNumberToParts",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, this: Class<'js, NativeNumberFormat>, value: Value<'js>| {
                let this = this.borrow();
                let pieces = this.pieces(&ctx, &value)?;
                super::parts::to_js(&ctx, &pieces)
            },
        )?,
    )?;
    natives.set(
        "currencies",
        Function::new(ctx.clone(), || CURRENCIES.split(' ').collect::<Vec<_>>())?,
    )?;
    natives.set("currencyDigits", Function::new(ctx.clone(), currency_digits)?)?;
    natives.set("newPluralRules", Function::new(ctx.clone(), new_plural_rules)?)?;
    natives.set("selectPlural", Function::new(ctx.clone(), select_plural)?)?;
    natives.set("pluralCategories", Function::new(ctx.clone(), plural_categories)?)?;
    natives.set(
        "newRelativeTimeFormat",
        Function::new(ctx.clone(), new_relative_time_format)?,
    )?;
    natives.set("formatRelativeTime", Function::new(ctx.clone(), format_relative_time)?)?;
    Ok(())
}

fn grouping(name: &str) -> GroupingStrategy {
    match name {
        "always" => GroupingStrategy::Always,
        "min2" => GroupingStrategy::Min2,
        "false" | "never" => GroupingStrategy::Never,
        _ => GroupingStrategy::Auto,
    }
}

fn decimal_formatter(ctx: &Ctx<'_>, locale: &Locale, grouping_name: &str) -> rquickjs::Result<DecimalFormatter> {
    let mut options = DecimalFormatterOptions::default();
    options.grouping_strategy = Some(grouping(grouping_name));
    DecimalFormatter::try_new(locale.into(), options)
        .map_err(|error| Exception::throw_range(ctx, &format!("Intl.NumberFormat: no number data ({error})")))
}

/// The ISO 4217 codes of the currencies in use (2026), for
/// `Intl.supportedValuesOf("currency")`.
const CURRENCIES: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD \
CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL \
HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD \
MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR \
SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND \
VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG";

/// The ISO 4217 minor-unit digits of `code` (CLDR's currency data; 2 for
/// a currency CLDR does not list).
fn currency_digits(code: String) -> u8 {
    use icu::experimental::dimension::provider::currency::fractions::CurrencyFractionsV1;
    let Ok(currency) = CurrencyType::try_from_str(&code) else {
        return 2;
    };
    let response: Result<DataResponse<CurrencyFractionsV1>, _> =
        icu::experimental::provider::Baked.load(DataRequest::default());
    response.map_or(2, |response| response.payload.get().resolve(currency).digits)
}

/// The CLDR names of a unit (`kilometer`, `liter`, `hour`...) in `width`,
/// from whichever category holds it.
fn unit_names(
    locale: &Locale,
    width: &str,
    unit: &str,
) -> Option<DataPayload<ErasedMarker<UnitsDisplayNames<'static>>>> {
    let attribute = format!("{width}-{unit}");
    let attributes = DataMarkerAttributes::try_from_str(&attribute).ok()?;
    let data_locale = DataLocale::from(locale);
    let request = DataRequest {
        id: DataIdentifierBorrowed::for_marker_attributes_and_locale(attributes, &data_locale),
        ..Default::default()
    };
    // A marker whose data for the locale came from the root locale only
    // (fallback) is kept as a last resort: another category may hold the
    // unit in the locale's own language.
    let mut from_root = None;
    macro_rules! try_marker {
        ($($marker:ident),*) => {
            $(
                if let Ok(response) = DataProvider::<unit_names::$marker>::load(&icu::experimental::provider::Baked, request) {
                    let root = response.metadata.locale.as_ref().is_some_and(|resolved| resolved.language.is_unknown());
                    if !root {
                        return Some(response.payload.cast());
                    }
                    from_root.get_or_insert(response.payload.cast());
                }
            )*
        };
    }
    try_marker!(
        UnitsNamesLengthCoreV1,
        UnitsNamesLengthExtendedV1,
        UnitsNamesLengthOutlierV1,
        UnitsNamesAreaCoreV1,
        UnitsNamesAreaExtendedV1,
        UnitsNamesAreaOutlierV1,
        UnitsNamesVolumeCoreV1,
        UnitsNamesVolumeExtendedV1,
        UnitsNamesVolumeOutlierV1,
        UnitsNamesMassCoreV1,
        UnitsNamesMassExtendedV1,
        UnitsNamesMassOutlierV1,
        UnitsNamesDurationCoreV1,
        UnitsNamesDurationExtendedV1,
        UnitsNamesDurationOutlierV1
    );
    from_root
}

/// The symbol written after a number for a unit without CLDR names here:
/// a simple unit's international symbol, `X/Y` for `X-per-Y`.
fn unit_symbol(unit: &str) -> String {
    fn simple(unit: &str) -> &str {
        match unit {
            "bit" => "bit",
            "byte" => "byte",
            "kilobit" => "kb",
            "kilobyte" => "kB",
            "megabit" => "Mb",
            "megabyte" => "MB",
            "gigabit" => "Gb",
            "gigabyte" => "GB",
            "terabit" => "Tb",
            "terabyte" => "TB",
            "petabyte" => "PB",
            "celsius" => "°C",
            "fahrenheit" => "°F",
            "degree" => "deg",
            "percent" => "%",
            "kilometer" => "km",
            "meter" => "m",
            "centimeter" => "cm",
            "millimeter" => "mm",
            "mile" => "mi",
            "mile-scandinavian" => "smi",
            "foot" => "ft",
            "inch" => "in",
            "yard" => "yd",
            "hour" => "h",
            "minute" => "min",
            "second" => "s",
            "millisecond" => "ms",
            "microsecond" => "μs",
            "nanosecond" => "ns",
            "day" => "d",
            "week" => "wk",
            "month" => "mth",
            "year" => "yr",
            "liter" => "L",
            "milliliter" => "mL",
            "gallon" => "gal",
            "fluid-ounce" => "fl oz",
            "gram" => "g",
            "kilogram" => "kg",
            "ounce" => "oz",
            "pound" => "lb",
            "stone" => "st",
            "acre" => "ac",
            "hectare" => "ha",
            other => other,
        }
    }
    match unit.split_once("-per-") {
        Some((numerator, denominator)) => format!("{}/{}", simple(numerator), simple(denominator)),
        None => simple(unit).to_owned(),
    }
}

/// `newNumberFormat(locale, options)`: `options` holds intl.js's resolved
/// `style`, `currency`, `currencyDisplay`, `currencySign`, `unit`,
/// `unitDisplay`, `notation`, `compactDisplay`, `useGrouping` (a string),
/// `signDisplay` and the digit options.
fn new_number_format<'js>(
    ctx: Ctx<'js>,
    locale: String,
    options: Object<'js>,
) -> rquickjs::Result<Class<'js, NativeNumberFormat>> {
    let locale = super::locale::parse(&ctx, &locale)?;
    let text =
        |name: &str| -> rquickjs::Result<String> { Ok(options.get::<_, Option<String>>(name)?.unwrap_or_default()) };
    let style_name = text("style")?;
    let notation = match text("notation")?.as_str() {
        "scientific" => Notation::Scientific,
        "engineering" => Notation::Engineering,
        "compact" => Notation::Compact,
        _ => Notation::Standard,
    };
    let grouping_name = text("useGrouping")?;
    let long_compact = text("compactDisplay")? == "long";
    let unavailable = |error: DataError| {
        Exception::throw_range(&ctx, &format!("Intl.NumberFormat: no data for these options ({error})"))
    };
    let compact = || -> rquickjs::Result<CompactDecimalFormatter> {
        let mut options = CompactDecimalFormatterOptions::default();
        options.grouping_strategy = Some(grouping(&grouping_name));
        if long_compact {
            CompactDecimalFormatter::try_new_long((&locale).into(), options)
        } else {
            CompactDecimalFormatter::try_new_short((&locale).into(), options)
        }
        .map_err(unavailable)
    };
    let (style, style_part) = match style_name.as_str() {
        "percent" => {
            let decimal = decimal_formatter(&ctx, &locale, &grouping_name)?;
            let percent =
                PercentFormatter::try_new_with_decimal_formatter((&locale).into(), decimal, Default::default())
                    .map_err(unavailable)?;
            (Style::Percent(Box::new(percent)), "percentSign")
        }
        "currency" => {
            let code = text("currency")?.to_ascii_uppercase();
            let currency = CurrencyType::try_from_str(&code)
                .map_err(|_| Exception::throw_range(&ctx, &format!("Invalid currency code: {code}")))?;
            let mut currency_options = CurrencyFormatterOptions::default();
            if text("currencySign")? == "accounting" {
                currency_options.usage = CurrencyUsage::Accounting;
            }
            let display = text("currencyDisplay")?;
            let prefs = (&locale).into();
            let style = if notation == Notation::Compact {
                let formatter = match (display.as_str(), long_compact) {
                    ("code", false) => CurrencyFormatter::try_new_compact_code(prefs, currency, currency_options),
                    ("code", true) => CurrencyFormatter::try_new_compact_long_code(prefs, currency, currency_options),
                    ("name", false) => CurrencyFormatter::try_new_compact_name(prefs, currency),
                    ("name", true) => CurrencyFormatter::try_new_compact_long_name(prefs, currency),
                    ("narrowSymbol", false) => {
                        CurrencyFormatter::try_new_compact_symbol_narrow(prefs, currency, currency_options)
                    }
                    ("narrowSymbol", true) => {
                        CurrencyFormatter::try_new_compact_long_symbol_narrow(prefs, currency, currency_options)
                    }
                    (_, false) => CurrencyFormatter::try_new_compact_symbol(prefs, currency, currency_options),
                    (_, true) => CurrencyFormatter::try_new_compact_long_symbol(prefs, currency, currency_options),
                };
                Style::CompactCurrency(Box::new(formatter.map_err(unavailable)?))
            } else {
                let formatter = match display.as_str() {
                    "code" => CurrencyFormatter::try_new_code(prefs, currency, currency_options),
                    "name" => CurrencyFormatter::try_new_name(prefs, currency),
                    "narrowSymbol" => CurrencyFormatter::try_new_symbol_narrow(prefs, currency, currency_options),
                    _ => CurrencyFormatter::try_new_symbol(prefs, currency, currency_options),
                };
                Style::Currency(Box::new(formatter.map_err(unavailable)?))
            };
            (style, "currency")
        }
        "unit" => {
            let unit = text("unit")?;
            let width = match text("unitDisplay")?.as_str() {
                "long" => "long",
                "narrow" => "narrow",
                _ => "short",
            };
            let plurals = PluralRules::try_new_cardinal((&locale).into()).map_err(unavailable)?;
            let names = unit_names(&locale, width, &unit);
            let decimal = decimal_formatter(&ctx, &locale, &grouping_name)?;
            let unit = unit_symbol(&unit);
            (
                Style::Unit(Box::new(UnitFormat {
                    names,
                    plurals,
                    decimal,
                    unit,
                })),
                "unit",
            )
        }
        _ if notation == Notation::Compact => (Style::Compact(Box::new(compact()?)), "compact"),
        _ => (
            Style::Decimal(decimal_formatter(&ctx, &locale, &grouping_name)?),
            "literal",
        ),
    };
    let sign = match text("signDisplay")?.as_str() {
        "never" => SignDisplay::Never,
        "always" => SignDisplay::Always,
        "exceptZero" => SignDisplay::ExceptZero,
        "negative" => SignDisplay::Negative,
        _ => SignDisplay::Auto,
    };
    let formatter = NativeNumberFormat {
        style,
        digits: Digits::from_js(&options)?,
        notation,
        sign,
        percent: style_name == "percent",
        style_part,
        plain: decimal_formatter(&ctx, &locale, &grouping_name)?,
    };
    Class::instance(ctx, formatter)
}

const PLUS: Part = Part {
    category: "decimal",
    value: "plusSign",
};
const MINUS: Part = Part {
    category: "decimal",
    value: "minusSign",
};
const EXPONENT_SEPARATOR: Part = Part {
    category: "number",
    value: "exponentSeparator",
};
const EXPONENT_MINUS: Part = Part {
    category: "number",
    value: "exponentMinusSign",
};
const EXPONENT_INTEGER: Part = Part {
    category: "number",
    value: "exponentInteger",
};
const NAN: Part = Part {
    category: "number",
    value: "nan",
};
const INFINITY: Part = Part {
    category: "number",
    value: "infinity",
};

/// A number that is not finite, or a scientific one, as a writeable.
struct Special<'a> {
    negative: bool,
    sign: SignDisplay,
    body: SpecialBody<'a>,
}

enum SpecialBody<'a> {
    NaN,
    Infinity,
    /// A mantissa (formatted by `formatter`) and a power of ten.
    Scientific(&'a DecimalFormatter, Decimal, i16),
}

impl Writeable for Special<'_> {
    fn write_to_parts<S: writeable::PartsWrite + ?Sized>(&self, sink: &mut S) -> core::fmt::Result {
        use core::fmt::Write as _;
        let show_minus =
            self.negative && !matches!(self.sign, SignDisplay::Never) && !matches!(self.body, SpecialBody::NaN);
        let show_plus = !self.negative
            && matches!(self.sign, SignDisplay::Always | SignDisplay::ExceptZero)
            && !matches!(self.body, SpecialBody::NaN);
        if show_minus {
            sink.with_part(MINUS, |s| s.write_str("-"))?;
        } else if show_plus {
            sink.with_part(PLUS, |s| s.write_str("+"))?;
        }
        match &self.body {
            SpecialBody::NaN => sink.with_part(NAN, |s| s.write_str("NaN")),
            SpecialBody::Infinity => sink.with_part(INFINITY, |s| s.write_str("∞")),
            SpecialBody::Scientific(formatter, mantissa, exponent) => {
                let mut unsigned = mantissa.clone();
                unsigned.sign = fixed_decimal::Sign::None;
                formatter.format(&unsigned).write_to_parts(sink)?;
                sink.with_part(EXPONENT_SEPARATOR, |s| s.write_str("E"))?;
                if *exponent < 0 {
                    sink.with_part(EXPONENT_MINUS, |s| s.write_str("-"))?;
                }
                sink.with_part(EXPONENT_INTEGER, |s| write!(s, "{}", exponent.unsigned_abs()))
            }
        }
    }
}

impl NativeNumberFormat {
    /// The formatted text of `value` with its parts.
    fn format(&self, ctx: &Ctx<'_>, value: &Value<'_>) -> rquickjs::Result<Collector> {
        let decimal = match to_number(ctx, value)? {
            Number::NaN => {
                return Ok(Collector::collect(&Special {
                    negative: false,
                    sign: self.sign,
                    body: SpecialBody::NaN,
                }));
            }
            Number::Infinite { negative } => {
                return Ok(Collector::collect(&Special {
                    negative,
                    sign: self.sign,
                    body: SpecialBody::Infinity,
                }));
            }
            Number::Finite(decimal) => decimal,
        };
        let mut decimal = decimal;
        if self.percent {
            decimal.multiply_pow10(2);
        }
        Ok(match self.notation {
            Notation::Scientific | Notation::Engineering => {
                let step: i16 = if self.notation == Notation::Engineering { 3 } else { 1 };
                let leading = if decimal.absolute.is_zero() {
                    0
                } else {
                    decimal.absolute.nonzero_magnitude_start()
                };
                let mut exponent = leading.div_euclid(step) * step;
                decimal.multiply_pow10(-exponent);
                let mut mantissa = self.digits.apply(&decimal);
                if !mantissa.absolute.is_zero() && mantissa.absolute.nonzero_magnitude_start() >= step {
                    mantissa.multiply_pow10(-step);
                    exponent += step;
                    mantissa = self.digits.apply(&mantissa);
                }
                let negative = mantissa.sign == fixed_decimal::Sign::Negative;
                Collector::collect(&Special {
                    negative,
                    sign: self.sign,
                    body: SpecialBody::Scientific(&self.plain, mantissa, exponent),
                })
            }
            Notation::Standard | Notation::Compact => {
                let rounded = if matches!(self.style, Style::Compact(_) | Style::CompactCurrency(_)) {
                    decimal
                } else {
                    self.digits.apply(&decimal)
                };
                let signed = rounded.with_sign_display(self.sign);
                match &self.style {
                    Style::Decimal(formatter) => Collector::collect(&formatter.format(&signed)),
                    Style::Percent(formatter) => Collector::collect(&formatter.format(&signed)),
                    Style::Currency(formatter) => Collector::collect(&formatter.format_fixed_decimal(&signed)),
                    Style::CompactCurrency(formatter) => Collector::collect(&formatter.format_fixed_decimal(&signed)),
                    Style::Compact(formatter) => Collector::collect(&formatter.format(&signed)),
                    Style::Unit(unit) => match &unit.names {
                        Some(names) => {
                            let pattern = names.get().get((&signed).into(), &unit.plurals);
                            Collector::collect(&pattern.interpolate((unit.decimal.format(&signed),)))
                        }
                        None => {
                            let mut collector = Collector::collect(&unit.decimal.format(&signed));
                            collector.push_literal(" ");
                            collector.push_literal(&unit.unit);
                            collector
                        }
                    },
                }
            }
        })
    }

    /// formatToParts's pieces: ICU4X's decimal parts; the text the style
    /// adds is `currency`, `unit`, `percentSign` or `compact`, spaces are
    /// `literal`.
    fn pieces(&self, ctx: &Ctx<'_>, value: &Value<'_>) -> rquickjs::Result<Vec<(&'static str, String)>> {
        let collector = self.format(ctx, value)?;
        let pieces = collector.pieces(Pick::Innermost, |part| match (part.category, part.value) {
            ("decimal" | "number", value) => match value {
                "plusSign" => "plusSign",
                "minusSign" => "minusSign",
                "integer" => "integer",
                "fraction" => "fraction",
                "group" => "group",
                "decimal" => "decimal",
                "exponentSeparator" => "exponentSeparator",
                "exponentMinusSign" => "exponentMinusSign",
                "exponentInteger" => "exponentInteger",
                "nan" => "nan",
                "infinity" => "infinity",
                _ => "literal",
            },
            _ => "literal",
        });
        Ok(pieces
            .into_iter()
            .flat_map(|(kind, text)| {
                if kind != "literal" || self.style_part == "literal" {
                    return vec![(kind, text)];
                }
                // The style's own text (`€`, `km`, `%`) apart from the spaces
                // around it, which stay literal.
                let mut runs: Vec<(&'static str, String)> = Vec::new();
                for ch in text.chars() {
                    let run_kind = if ch.is_whitespace() { "literal" } else { self.style_part };
                    match runs.last_mut() {
                        Some((last, run)) if *last == run_kind => run.push(ch),
                        _ => runs.push((run_kind, ch.to_string())),
                    }
                }
                runs
            })
            .collect())
    }
}

/// One `Intl.PluralRules`.
#[derive(Trace, JsLifetime)]
#[rquickjs::class(rename = "PluralRules")]
pub struct NativePluralRules {
    #[qjs(skip_trace)]
    rules: PluralRules,
    #[qjs(skip_trace)]
    digits: Digits,
}

fn new_plural_rules<'js>(
    ctx: Ctx<'js>,
    locale: String,
    kind: String,
    options: Object<'js>,
) -> rquickjs::Result<Class<'js, NativePluralRules>> {
    let locale = super::locale::parse(&ctx, &locale)?;
    let rule_type = if kind == "ordinal" {
        PluralRuleType::Ordinal
    } else {
        PluralRuleType::Cardinal
    };
    let rules = PluralRules::try_new((&locale).into(), PluralRulesOptions::default().with_type(rule_type))
        .map_err(|error| Exception::throw_range(&ctx, &format!("Intl.PluralRules: no data ({error})")))?;
    Class::instance(
        ctx,
        NativePluralRules {
            rules,
            digits: Digits::from_js(&options)?,
        },
    )
}

fn category_name(category: PluralCategory) -> &'static str {
    match category {
        PluralCategory::Zero => "zero",
        PluralCategory::One => "one",
        PluralCategory::Two => "two",
        PluralCategory::Few => "few",
        PluralCategory::Many => "many",
        PluralCategory::Other => "other",
    }
}

fn select_plural(this: Class<'_, NativePluralRules>, value: f64) -> &'static str {
    let this = this.borrow();
    match decimal_from_f64(value) {
        Some(decimal) => {
            let rounded = this.digits.apply(&decimal);
            category_name(this.rules.category_for(PluralOperands::from(&rounded)))
        }
        None => "other",
    }
}

fn plural_categories<'js>(ctx: Ctx<'js>, this: Class<'js, NativePluralRules>) -> rquickjs::Result<Array<'js>> {
    let this = this.borrow();
    let array = Array::new(ctx)?;
    for (index, category) in this.rules.categories().enumerate() {
        array.set(index, category_name(category))?;
    }
    Ok(array)
}

/// One `Intl.RelativeTimeFormat`: a formatter per unit, made when first used.
#[derive(Trace, JsLifetime)]
#[rquickjs::class(rename = "RelativeTimeFormatter")]
pub struct NativeRelativeTimeFormat {
    #[qjs(skip_trace)]
    locale: Locale,
    #[qjs(skip_trace)]
    style: String,
    #[qjs(skip_trace)]
    numeric: Numeric,
    #[qjs(skip_trace)]
    formatters: BTreeMap<String, RelativeTimeFormatter>,
}

fn new_relative_time_format<'js>(
    ctx: Ctx<'js>,
    locale: String,
    style: String,
    numeric: String,
) -> rquickjs::Result<Class<'js, NativeRelativeTimeFormat>> {
    let locale = super::locale::parse(&ctx, &locale)?;
    let numeric = if numeric == "auto" {
        Numeric::Auto
    } else {
        Numeric::Always
    };
    Class::instance(
        ctx,
        NativeRelativeTimeFormat {
            locale,
            style,
            numeric,
            formatters: BTreeMap::new(),
        },
    )
}

/// Formats `value` `unit`s from now (`unit` singular, checked by intl.js);
/// `parts` returns formatToParts's list instead of the text.
fn format_relative_time<'js>(
    ctx: Ctx<'js>,
    this: Class<'js, NativeRelativeTimeFormat>,
    value: f64,
    unit: String,
    parts: bool,
) -> rquickjs::Result<Value<'js>> {
    use rquickjs::IntoJs;
    let mut this = this.borrow_mut();
    let this = &mut *this;
    if !this.formatters.contains_key(&unit) {
        let prefs = (&this.locale).into();
        let options = RelativeTimeFormatterOptions::default().with_numeric(this.numeric);
        macro_rules! pick {
            ($($unit:literal => $long:ident, $short:ident, $narrow:ident;)*) => {
                match (unit.as_str(), this.style.as_str()) {
                    $(
                        ($unit, "short") => RelativeTimeFormatter::$short(prefs, options),
                        ($unit, "narrow") => RelativeTimeFormatter::$narrow(prefs, options),
                        ($unit, _) => RelativeTimeFormatter::$long(prefs, options),
                    )*
                    _ => return Err(Exception::throw_range(&ctx, &format!("Invalid unit argument: {unit}"))),
                }
            };
        }
        let formatter = pick! {
            "second" => try_new_long_second, try_new_short_second, try_new_narrow_second;
            "minute" => try_new_long_minute, try_new_short_minute, try_new_narrow_minute;
            "hour" => try_new_long_hour, try_new_short_hour, try_new_narrow_hour;
            "day" => try_new_long_day, try_new_short_day, try_new_narrow_day;
            "week" => try_new_long_week, try_new_short_week, try_new_narrow_week;
            "month" => try_new_long_month, try_new_short_month, try_new_narrow_month;
            "quarter" => try_new_long_quarter, try_new_short_quarter, try_new_narrow_quarter;
            "year" => try_new_long_year, try_new_short_year, try_new_narrow_year;
        }
        .map_err(|error| Exception::throw_range(&ctx, &format!("Intl.RelativeTimeFormat: no data ({error})")))?;
        this.formatters.insert(unit.clone(), formatter);
    }
    let Some(formatter) = this.formatters.get(&unit) else {
        return Err(Exception::throw_range(&ctx, "Intl.RelativeTimeFormat: no formatter"));
    };
    let mut decimal = decimal_from_f64(value)
        .ok_or_else(|| Exception::throw_range(&ctx, "Intl.RelativeTimeFormat: the value must be finite"))?;
    decimal.round(-3);
    decimal.absolute.pad_end(0);
    let formatted = formatter.format(decimal);
    if !parts {
        return formatted.write_to_string().into_owned().into_js(&ctx);
    }
    let collector = Collector::collect(&formatted);
    let pieces = collector.pieces(Pick::Innermost, |part| match (part.category, part.value) {
        ("decimal", "integer") => "integer",
        ("decimal", "fraction") => "fraction",
        ("decimal", "group") => "group",
        ("decimal", "decimal") => "decimal",
        _ => "literal",
    });
    super::parts::to_js(&ctx, &pieces)?.into_js(&ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digits(min_fraction: i16, max_fraction: i16) -> Digits {
        Digits {
            min_integer: 1,
            min_fraction,
            max_fraction,
            min_significant: 1,
            max_significant: 21,
            kind: RoundingKind::Fraction,
            mode: SignedRoundingMode::Unsigned(UnsignedRoundingMode::HalfExpand),
            increment: 1,
            strip_if_integer: false,
        }
    }

    #[test]
    fn fraction_digits_round_half_expand_and_pad() {
        let d = digits(2, 2);
        assert_eq!(d.apply(&Decimal::try_from_str("1.005").unwrap()).to_string(), "1.01");
        assert_eq!(d.apply(&Decimal::try_from_str("3").unwrap()).to_string(), "3.00");
        let d = digits(0, 3);
        assert_eq!(d.apply(&Decimal::try_from_str("1.50000").unwrap()).to_string(), "1.5");
        assert_eq!(d.apply(&Decimal::try_from_str("-2.0004").unwrap()).to_string(), "-2");
    }

    #[test]
    fn unit_names_come_in_every_width() {
        use writeable::Writeable as _;
        let locale: Locale = "en".parse().unwrap();
        let plurals = PluralRules::try_new_cardinal((&locale).into()).unwrap();
        let decimal = DecimalFormatter::try_new((&locale).into(), Default::default()).unwrap();
        let twelve = Decimal::from(12);
        let mut seen = Vec::new();
        for width in ["long", "short", "narrow"] {
            for unit in ["kilometer", "hour", "liter", "kilogram", "acre"] {
                let names = unit_names(&locale, width, unit).unwrap();
                let text = names
                    .get()
                    .get((&twelve).into(), &plurals)
                    .interpolate((decimal.format(&twelve),))
                    .write_to_string()
                    .into_owned();
                seen.push(text);
            }
        }
        let expected = [
            "12 kilometers",
            "12 hours",
            "12 liters",
            "12 kilograms",
            "12 acres",
            "12 km",
            "12 hr",
            "12 L",
            "12 kg",
            "12 ac",
            "12km",
            "12h",
            "12L",
            "12kg",
            "12ac",
        ];
        assert_eq!(seen, expected);
    }

    #[test]
    fn significant_digits_and_increments() {
        let mut d = digits(0, 3);
        d.kind = RoundingKind::Significant;
        d.max_significant = 3;
        assert_eq!(d.apply(&Decimal::try_from_str("123456").unwrap()).to_string(), "123000");
        assert_eq!(
            d.apply(&Decimal::try_from_str("0.0012345").unwrap()).to_string(),
            "0.00123"
        );
        let mut d = digits(2, 2);
        d.increment = 5;
        assert_eq!(d.apply(&Decimal::try_from_str("1.23").unwrap()).to_string(), "1.25");
        let mut d = digits(0, 0);
        d.increment = 25;
        assert_eq!(d.apply(&Decimal::try_from_str("112").unwrap()).to_string(), "100");
    }
}
