//! Language tags: canonicalisation (UTS #35, with CLDR's alias data),
//! likely subtags (`Intl.Locale#maximize` and `#minimize`) and whether
//! isobox has locale data for a tag.

use icu::locale::{Locale, LocaleCanonicalizer, LocaleExpander, TransformResult};
use rquickjs::{Ctx, Exception, Function, Object};

/// Defines `canonicalizeLocale`, `maximizeLocale`, `minimizeLocale` and
/// `localeSupported` on `natives`.
pub fn define<'js>(ctx: &Ctx<'js>, natives: &Object<'js>) -> rquickjs::Result<()> {
    natives.set("canonicalizeLocale", Function::new(ctx.clone(), canonicalize)?)?;
    natives.set("maximizeLocale", Function::new(ctx.clone(), maximize)?)?;
    natives.set("minimizeLocale", Function::new(ctx.clone(), minimize)?)?;
    natives.set("localeSupported", Function::new(ctx.clone(), supported)?)?;
    Ok(())
}

/// Parses a BCP 47 language tag as ECMA-402 allows it (hyphens only; no
/// extlang or irregular grandfathered tags), or a RangeError naming it.
pub fn parse(ctx: &Ctx<'_>, tag: &str) -> rquickjs::Result<Locale> {
    let bounded: String = tag.chars().take(64).collect();
    if tag.is_empty() || tag.contains('_') || tag.len() > 255 {
        return Err(Exception::throw_range(
            ctx,
            &format!("Incorrect locale information provided: {bounded:?}"),
        ));
    }
    Locale::try_from_str(tag)
        .map_err(|_| Exception::throw_range(ctx, &format!("Incorrect locale information provided: {bounded:?}")))
}

/// The canonical form of `tag` (aliases replaced, case normalised, subtags
/// and extensions ordered).
fn canonicalize(ctx: Ctx<'_>, tag: String) -> rquickjs::Result<String> {
    let mut locale = parse(&ctx, &tag)?;
    LocaleCanonicalizer::new_extended().canonicalize(&mut locale);
    Ok(locale.to_string())
}

fn maximize(ctx: Ctx<'_>, tag: String) -> rquickjs::Result<String> {
    let mut locale = parse(&ctx, &tag)?;
    LocaleExpander::new_extended().maximize(&mut locale.id);
    Ok(locale.to_string())
}

fn minimize(ctx: Ctx<'_>, tag: String) -> rquickjs::Result<String> {
    let mut locale = parse(&ctx, &tag)?;
    LocaleExpander::new_extended().minimize(&mut locale.id);
    Ok(locale.to_string())
}

/// Whether CLDR knows the language of `tag` (it has likely subtags for the
/// language alone): such a locale has data of its own or through its parent
/// chain. `und`, private-use and unknown languages are not supported.
pub fn is_supported(locale: &Locale) -> bool {
    let language = locale.id.language;
    if language.is_unknown() {
        return false;
    }
    let mut alone = icu::locale::LanguageIdentifier::from((language, None, None));
    LocaleExpander::new_extended().maximize(&mut alone) == TransformResult::Modified
}

fn supported(ctx: Ctx<'_>, tag: String) -> rquickjs::Result<bool> {
    Ok(is_supported(&parse(&ctx, &tag)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_languages_are_supported_and_unknown_ones_are_not() {
        for tag in ["en", "en-US", "de-CH", "ja", "zh-Hant-TW", "sr-Latn", "ar-EG"] {
            assert!(is_supported(&Locale::try_from_str(tag).unwrap()), "{tag}");
        }
        for tag in ["und", "zxx", "qaa", "qq-ZZ"] {
            assert!(!is_supported(&Locale::try_from_str(tag).unwrap()), "{tag}");
        }
    }
}
