//! `Intl.Collator` (and `localeCompare`), `Intl.ListFormat`,
//! `Intl.Segmenter`, `Intl.DisplayNames` and locale-aware case mapping.

use icu::casemap::CaseMapper;
use icu::collator::options::{AlternateHandling, CaseLevel, CollatorOptions, Strength};
use icu::collator::{Collator, CollatorBorrowed};
use icu::experimental::displaynames::multi::{
    LanguageDisplayNames, LocaleDisplayNamesFormatter, RegionDisplayNames, ScriptDisplayNames,
};
use icu::experimental::displaynames::{DisplayNamesOptions, Fallback, LanguageDisplay, Style as NameStyle};
use icu::list::ListFormatter;
use icu::list::options::{ListFormatterOptions, ListLength};
use icu::locale::Locale;
use icu::segmenter::options::{SentenceBreakInvariantOptions, WordBreakInvariantOptions};
use icu::segmenter::{GraphemeClusterSegmenter, SentenceSegmenter, WordSegmenter};
use rquickjs::class::Trace;
use rquickjs::{Array, Class, Ctx, Exception, Function, JsLifetime, Object};
use writeable::Writeable;

use super::parts::{Collector, Pick};

/// Defines the text natives on `natives`.
pub fn define<'js>(ctx: &Ctx<'js>, natives: &Object<'js>) -> rquickjs::Result<()> {
    natives.set("newCollator", Function::new(ctx.clone(), new_collator)?)?;
    natives.set(
        "compareStrings",
        Function::new(
            ctx.clone(),
            |this: Class<'js, NativeCollator>, left: String, right: String| {
                this.borrow().collator.as_borrowed().compare(&left, &right) as i32
            },
        )?,
    )?;
    natives.set("newListFormat", Function::new(ctx.clone(), new_list_format)?)?;
    natives.set("formatList", Function::new(ctx.clone(), format_list)?)?;
    natives.set("segmentBreaks", Function::new(ctx.clone(), segment_breaks)?)?;
    natives.set("displayName", Function::new(ctx.clone(), display_name)?)?;
    natives.set("changeCase", Function::new(ctx.clone(), change_case)?)?;
    Ok(())
}

/// One `Intl.Collator`.
#[derive(Trace, JsLifetime)]
#[rquickjs::class(rename = "Collator")]
pub struct NativeCollator {
    #[qjs(skip_trace)]
    collator: Collator,
}

/// `newCollator(locale, sensitivity, ignorePunctuation)`: `locale` carries
/// the `-u-co`, `-u-kn` and `-u-kf` keywords intl.js resolved.
fn new_collator<'js>(
    ctx: Ctx<'js>,
    locale: String,
    sensitivity: String,
    ignore_punctuation: bool,
) -> rquickjs::Result<Class<'js, NativeCollator>> {
    let locale = super::locale::parse(&ctx, &locale)?;
    let mut options = CollatorOptions::default();
    match sensitivity.as_str() {
        "base" => options.strength = Some(Strength::Primary),
        "accent" => options.strength = Some(Strength::Secondary),
        "case" => {
            options.strength = Some(Strength::Primary);
            options.case_level = Some(CaseLevel::On);
        }
        _ => options.strength = Some(Strength::Tertiary),
    }
    if ignore_punctuation {
        options.alternate_handling = Some(AlternateHandling::Shifted);
    }
    let collator = CollatorBorrowed::try_new((&locale).into(), options)
        .map_err(|error| Exception::throw_range(&ctx, &format!("Intl.Collator: no collation data ({error})")))?
        .static_to_owned();
    Class::instance(ctx, NativeCollator { collator })
}

/// One `Intl.ListFormat`.
#[derive(Trace, JsLifetime)]
#[rquickjs::class(rename = "ListFormatter")]
pub struct NativeListFormat {
    #[qjs(skip_trace)]
    formatter: ListFormatter,
}

fn new_list_format<'js>(
    ctx: Ctx<'js>,
    locale: String,
    kind: String,
    style: String,
) -> rquickjs::Result<Class<'js, NativeListFormat>> {
    let locale = super::locale::parse(&ctx, &locale)?;
    let length = match style.as_str() {
        "short" => ListLength::Short,
        "narrow" => ListLength::Narrow,
        _ => ListLength::Wide,
    };
    let options = ListFormatterOptions::default().with_length(length);
    let prefs = (&locale).into();
    let formatter = match kind.as_str() {
        "disjunction" => ListFormatter::try_new_or(prefs, options),
        "unit" => ListFormatter::try_new_unit(prefs, options),
        _ => ListFormatter::try_new_and(prefs, options),
    }
    .map_err(|error| Exception::throw_range(&ctx, &format!("Intl.ListFormat: no data ({error})")))?;
    Class::instance(ctx, NativeListFormat { formatter })
}

/// The list `items` joined; with `parts`, formatToParts's list.
fn format_list<'js>(
    ctx: Ctx<'js>,
    this: Class<'js, NativeListFormat>,
    items: Vec<String>,
    parts: bool,
) -> rquickjs::Result<rquickjs::Value<'js>> {
    use rquickjs::IntoJs;
    let this = this.borrow();
    let formatted = this.formatter.format(items.iter().map(String::as_str));
    if !parts {
        return formatted.write_to_string().into_owned().into_js(&ctx);
    }
    let collector = Collector::collect(&formatted);
    let pieces = collector.pieces(Pick::Outermost, |part| {
        if part.value == "element" { "element" } else { "literal" }
    });
    super::parts::to_js(&ctx, &pieces)?.into_js(&ctx)
}

/// The boundaries of `text` at `granularity` (`grapheme`, `word` or
/// `sentence`) as UTF-16 offsets, starting with 0 and ending with its
/// length; for words a second array says whether each segment is word-like.
fn segment_breaks<'js>(
    ctx: Ctx<'js>,
    text: rquickjs::String<'js>,
    granularity: String,
) -> rquickjs::Result<Array<'js>> {
    let units: Vec<u16> = text.to_string()?.encode_utf16().collect();
    let breaks = Array::new(ctx.clone())?;
    let word_like = Array::new(ctx.clone())?;
    match granularity.as_str() {
        "word" => {
            let mut iter =
                WordSegmenter::new_for_non_complex_scripts(WordBreakInvariantOptions::default()).segment_utf16(&units);
            let mut index = 0;
            while let Some(offset) = iter.next() {
                breaks.set(index, offset)?;
                if index > 0 {
                    word_like.set(index - 1, iter.is_word_like())?;
                }
                index += 1;
            }
        }
        "sentence" => {
            for (index, offset) in SentenceSegmenter::new(SentenceBreakInvariantOptions::default())
                .segment_utf16(&units)
                .enumerate()
            {
                breaks.set(index, offset)?;
            }
        }
        _ => {
            for (index, offset) in GraphemeClusterSegmenter::new().segment_utf16(&units).enumerate() {
                breaks.set(index, offset)?;
            }
        }
    }
    let result = Array::new(ctx)?;
    result.set(0, breaks)?;
    result.set(1, word_like)?;
    Ok(result)
}

/// `Intl.DisplayNames#of`: the name of `code` (a language tag, region,
/// script) in `locale`, or undefined when CLDR has none.
fn display_name(
    ctx: Ctx<'_>,
    locale: String,
    kind: String,
    code: String,
    style: String,
    dialect: bool,
) -> rquickjs::Result<Option<String>> {
    let locale = super::locale::parse(&ctx, &locale)?;
    let mut options = DisplayNamesOptions::default();
    options.style = Some(match style.as_str() {
        "short" => NameStyle::Short,
        "narrow" => NameStyle::Narrow,
        _ => NameStyle::Long,
    });
    options.fallback = Fallback::None;
    options.language_display = if dialect {
        LanguageDisplay::Dialect
    } else {
        LanguageDisplay::Standard
    };
    let prefs = (&locale).into();
    let unavailable = |error| Exception::throw_range(&ctx, &format!("Intl.DisplayNames: no data ({error})"));
    let name = match kind.as_str() {
        "region" => {
            let region = code
                .parse()
                .map_err(|_| Exception::throw_range(&ctx, &format!("invalid region code: {code}")))?;
            RegionDisplayNames::try_new(prefs, options)
                .map_err(unavailable)?
                .of(region)
                .map(str::to_owned)
        }
        "script" => {
            let script = code
                .parse()
                .map_err(|_| Exception::throw_range(&ctx, &format!("invalid script code: {code}")))?;
            ScriptDisplayNames::try_new(prefs, options)
                .map_err(unavailable)?
                .of(script)
                .map(str::to_owned)
        }
        _ => {
            let tag = super::locale::parse(&ctx, &code)?;
            if tag.id.script.is_none() && tag.id.region.is_none() && tag.id.variants.is_empty() {
                LanguageDisplayNames::try_new(prefs, options)
                    .map_err(unavailable)?
                    .of(tag.id.language)
                    .map(str::to_owned)
            } else {
                let formatter = LocaleDisplayNamesFormatter::try_new(prefs, options).map_err(unavailable)?;
                Some(formatter.of(&tag).into_owned())
            }
        }
    };
    Ok(name)
}

/// `toLocaleUpperCase`/`toLocaleLowerCase` in `locale` (Turkish dotted i,
/// Lithuanian dots, Greek accents).
fn change_case(ctx: Ctx<'_>, text: String, locale: String, upper: bool) -> rquickjs::Result<String> {
    let locale: Locale = super::locale::parse(&ctx, &locale)?;
    let mapper = CaseMapper::new();
    Ok(if upper {
        mapper.uppercase_to_string(&text, &locale.id).into_owned()
    } else {
        mapper.lowercase_to_string(&text, &locale.id).into_owned()
    })
}
