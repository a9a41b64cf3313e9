//! [`AssetConfig`]: how requests map to files, and what is done with a
//! request no file answers.

use std::fmt;
use std::str::FromStr;

use super::error::UnknownOption;

/// How HTML files are found and which URL of a page is canonical (the
/// others redirect to it with a 307). Named and behaving as Workers static
/// assets' `html_handling`; the rules are in the [crate docs](crate).
///
/// ```
/// use isobox_assets::HtmlHandling;
/// let handling: HtmlHandling = "drop-trailing-slash".parse()?;
/// assert_eq!(handling, HtmlHandling::DropTrailingSlash);
/// assert_eq!(HtmlHandling::default().as_str(), "auto-trailing-slash");
/// # Ok::<(), isobox_assets::UnknownOption>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HtmlHandling {
    /// `auto-trailing-slash` (the default): `/about` serves `about.html`,
    /// `/about/` serves `about/index.html`; `/about.html`,
    /// `/about/index.html` and the other spellings redirect to those.
    #[default]
    AutoTrailingSlash,
    /// `force-trailing-slash`: every page's URL ends with `/` (`/about/`
    /// serves `about.html` or `about/index.html`).
    ForceTrailingSlash,
    /// `drop-trailing-slash`: no page's URL ends with `/`, but the root's
    /// (`/about` serves `about.html` or `about/index.html`).
    DropTrailingSlash,
    /// `none`: a request path names a file exactly; no redirect, no
    /// `index.html` for a directory.
    None,
}

/// What is served when no file answers a GET or HEAD. Named and behaving
/// as Workers static assets' `not_found_handling`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NotFoundHandling {
    /// `none` (the default): nothing; [`Assets::respond`](crate::Assets::respond)
    /// returns `None` and the worker handles the request.
    #[default]
    None,
    /// `404-page`: the nearest `404.html`, looked for in the request's
    /// directory and then each parent up to the root, with status 404; when
    /// there is none, as `none`.
    NotFoundPage,
    /// `single-page-application`: a navigation (`Sec-Fetch-Mode: navigate`,
    /// or without that header an `Accept` listing `text/html`) gets
    /// `/index.html` with status 200; any other request, or no
    /// `index.html`, is as `none`.
    SinglePageApplication,
}

impl HtmlHandling {
    /// Every value as written in a config.
    pub const NAMES: &'static str = "auto-trailing-slash, force-trailing-slash, drop-trailing-slash, none";

    /// The name as written in a config (`auto-trailing-slash`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            HtmlHandling::AutoTrailingSlash => "auto-trailing-slash",
            HtmlHandling::ForceTrailingSlash => "force-trailing-slash",
            HtmlHandling::DropTrailingSlash => "drop-trailing-slash",
            HtmlHandling::None => "none",
        }
    }
}

impl NotFoundHandling {
    /// Every value as written in a config.
    pub const NAMES: &'static str = "none, 404-page, single-page-application";

    /// The name as written in a config (`none`, `404-page`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            NotFoundHandling::None => "none",
            NotFoundHandling::NotFoundPage => "404-page",
            NotFoundHandling::SinglePageApplication => "single-page-application",
        }
    }
}

impl FromStr for HtmlHandling {
    type Err = UnknownOption;

    /// # Errors
    /// [`UnknownOption`] for a name not in [`HtmlHandling::NAMES`].
    fn from_str(text: &str) -> Result<Self, UnknownOption> {
        Ok(match text {
            "auto-trailing-slash" => HtmlHandling::AutoTrailingSlash,
            "force-trailing-slash" => HtmlHandling::ForceTrailingSlash,
            "drop-trailing-slash" => HtmlHandling::DropTrailingSlash,
            "none" => HtmlHandling::None,
            _ => return Err(UnknownOption::new("html_handling", text, Self::NAMES)),
        })
    }
}

impl FromStr for NotFoundHandling {
    type Err = UnknownOption;

    /// # Errors
    /// [`UnknownOption`] for a name not in [`NotFoundHandling::NAMES`].
    fn from_str(text: &str) -> Result<Self, UnknownOption> {
        Ok(match text {
            "none" => NotFoundHandling::None,
            "404-page" => NotFoundHandling::NotFoundPage,
            "single-page-application" => NotFoundHandling::SinglePageApplication,
            _ => return Err(UnknownOption::new("not_found_handling", text, Self::NAMES)),
        })
    }
}

impl fmt::Display for HtmlHandling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for NotFoundHandling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a set of assets is loaded and served. Every default is on its field.
///
/// ```
/// use isobox_assets::{AssetConfig, NotFoundHandling};
/// let config = AssetConfig {
///     not_found_handling: NotFoundHandling::SinglePageApplication,
///     ..AssetConfig::default()
/// };
/// assert_eq!(config.max_files, 20_000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetConfig {
    /// How HTML pages are found and redirected. Default
    /// [`HtmlHandling::AutoTrailingSlash`].
    pub html_handling: HtmlHandling,
    /// What a request no file answers gets. Default [`NotFoundHandling::None`].
    pub not_found_handling: NotFoundHandling,
    /// The most bytes loaded, every file (precompressed variants included)
    /// counted. Default 256 MiB.
    pub max_total_bytes: u64,
    /// The most files loaded, precompressed variants included. Default 20,000.
    pub max_files: usize,
}

impl Default for AssetConfig {
    fn default() -> Self {
        AssetConfig {
            html_handling: HtmlHandling::default(),
            not_found_handling: NotFoundHandling::default(),
            max_total_bytes: 256 << 20,
            max_files: 20_000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_from_their_config_names_and_back() {
        for handling in [
            HtmlHandling::AutoTrailingSlash,
            HtmlHandling::ForceTrailingSlash,
            HtmlHandling::DropTrailingSlash,
            HtmlHandling::None,
        ] {
            assert_eq!(handling.as_str().parse::<HtmlHandling>().unwrap(), handling);
        }
        for handling in [
            NotFoundHandling::None,
            NotFoundHandling::NotFoundPage,
            NotFoundHandling::SinglePageApplication,
        ] {
            assert_eq!(handling.to_string().parse::<NotFoundHandling>().unwrap(), handling);
        }
        let error = "spa".parse::<NotFoundHandling>().unwrap_err().to_string();
        assert_eq!(
            error,
            "not_found_handling \"spa\" is not known: use one of none, 404-page, single-page-application"
        );
        assert!("Auto-Trailing-Slash".parse::<HtmlHandling>().is_err());
    }
}
