//! A project written out whole: its own modules, the package modules they
//! import (each with its specifiers resolved), and the lockfile they came
//! from, in one JSON file that runs with no registry and no node_modules.
//! `isobox bundle DIR` writes it; `isobox run --bundle FILE` runs it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{NpmError, NpmErrorKind};
use crate::graph::{Graph, GraphModule, ModuleKind};
use crate::link::Linked;
use crate::lock::Lockfile;

/// The format's name and version, the file's first key.
pub const BUNDLE_FORMAT: &str = "isobox-bundle/1";

/// A project's modules and packages, ready to run.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// [`BUNDLE_FORMAT`].
    pub format: String,
    /// The entry module's name (one of `modules`).
    pub main: String,
    /// The project's own modules (its sources, TypeScript as written).
    pub modules: BTreeMap<String, BundleModule>,
    /// The bare specifiers the project's modules import, resolved to
    /// package modules.
    #[serde(default)]
    pub imports: BTreeMap<String, String>,
    /// The package modules, by name (`node_modules/zod/index.js`).
    #[serde(default)]
    pub packages: BTreeMap<String, BundleModule>,
    /// The lockfile the packages were installed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<Lockfile>,
    /// How the project's JSX compiles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jsx: Option<isobox::typescript::Jsx>,
}

/// One module of a bundle.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct BundleModule {
    /// `js` (also TypeScript, by the name), `json` or `text`.
    #[serde(default = "js")]
    pub kind: String,
    pub source: String,
    /// Its specifiers, resolved to module names (package modules only).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub imports: BTreeMap<String, String>,
}

fn js() -> String {
    "js".into()
}

impl Bundle {
    /// A bundle of `main` and the project's own `modules` (name, kind,
    /// source), with `linked` packages.
    pub fn new(main: String, modules: BTreeMap<String, BundleModule>, linked: Option<&Linked>) -> Bundle {
        let (imports, packages, lock) = match linked {
            Some(linked) => (
                linked.entry_imports().clone(),
                linked
                    .modules()
                    .map(|m| {
                        (
                            m.name.to_owned(),
                            BundleModule {
                                kind: if m.json { "json".into() } else { "js".into() },
                                source: m.source.to_owned(),
                                imports: m.imports.clone(),
                            },
                        )
                    })
                    .collect(),
                Some(linked.lock().clone()),
            ),
            None => (BTreeMap::new(), BTreeMap::new(), None),
        };
        Bundle {
            format: BUNDLE_FORMAT.into(),
            main,
            modules,
            imports,
            packages,
            lock,
            jsx: None,
        }
    }

    /// Reads a bundle's JSON, checking that every import names a module.
    ///
    /// # Errors
    /// [`NpmErrorKind::Parse`] saying what is wrong.
    pub fn from_json(text: &str) -> Result<Bundle, NpmError> {
        let bad = |message: String| NpmError::new(NpmErrorKind::Parse, message);
        let bundle: Bundle = serde_json::from_str(text).map_err(|e| bad(format!("not an isobox bundle: {e}")))?;
        if bundle.format != BUNDLE_FORMAT {
            return Err(bad(format!(
                "bundle format {:?} is not {BUNDLE_FORMAT:?}; write it again with this isobox",
                crate::error::clip(&bundle.format, 40)
            )));
        }
        if !bundle.modules.contains_key(&bundle.main) {
            return Err(bad(format!(
                "the main module {:?} is not among the modules",
                bundle.main
            )));
        }
        let known = |name: &String| bundle.packages.contains_key(name);
        for (specifier, target) in bundle
            .imports
            .iter()
            .chain(bundle.packages.values().flat_map(|m| m.imports.iter()))
        {
            if !known(target) {
                return Err(bad(format!(
                    "the import {specifier:?} names {target:?}, which is not in the bundle"
                )));
            }
        }
        for (name, module) in bundle.modules.iter().chain(&bundle.packages) {
            if !matches!(module.kind.as_str(), "js" | "json" | "text") {
                return Err(bad(format!(
                    "module {name:?} has kind {:?} (js, json or text)",
                    module.kind
                )));
            }
        }
        Ok(bundle)
    }

    /// The JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The packages as a linked graph.
    pub fn linked(&self) -> Option<Linked> {
        let lock = self.lock.clone()?;
        let graph = Graph {
            modules: self
                .packages
                .iter()
                .map(|(name, module)| GraphModule {
                    name: name.clone(),
                    kind: if module.kind == "json" {
                        ModuleKind::Json
                    } else {
                        ModuleKind::Js
                    },
                    source: module.source.clone(),
                    imports: module.imports.clone(),
                })
                .collect(),
            entry_imports: self.imports.clone(),
        };
        Some(Linked::from_parts(graph, lock))
    }
}
