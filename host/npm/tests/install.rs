//! The installer against a real npm registry on loopback serving real,
//! pinned tarballs (scripts/npm/fixtures.sh fetches them once).

#[path = "../../../tests/npm/registry.rs"]
mod registry;

use std::sync::{Arc, Mutex};

use isobox_npm::{Cache, Dependency, InstallLimits, Installer, Lockfile, Npm, NpmErrorKind, Progress, Registry};
use registry::{Registry as Loopback, fixtures_dir};

fn deps(specs: &[&str]) -> Vec<Dependency> {
    specs.iter().map(|s| Dependency::parse(s).unwrap()).collect()
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("isobox-npm-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn installer(loopback: &Loopback, cache: Cache) -> Installer {
    Installer::new(Registry::new(&loopback.url()).unwrap(), cache)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflicting_ranges_nest_a_second_version_and_a_second_install_asks_nothing() {
    let loopback = Loopback::start(&fixtures_dir()).await.unwrap();
    let cache_dir = scratch("nest");
    let installer = installer(&loopback, Cache::at(&cache_dir));
    let lock = installer
        .resolve(&deps(&["postcss@^8", "nanoid@^5"]), None)
        .await
        .unwrap();
    let versions: Vec<(String, String)> = lock.versions().map(|(p, _, v)| (p.to_owned(), v.to_owned())).collect();
    assert!(
        versions.contains(&("node_modules/nanoid".into(), "5.1.16".into())),
        "{versions:?}"
    );
    assert!(
        versions.contains(&("node_modules/postcss/node_modules/nanoid".into(), "3.3.20".into())),
        "{versions:?}"
    );
    let installed = installer.install(&lock).await.unwrap();
    assert_eq!(installed.package_count(), 5);
    let asked = loopback.requests();
    assert!(loopback.tarball_requests() == 5, "{}", loopback.tarball_requests());

    // The same dependencies again, in a new installer with the same disk
    // cache: the cached resolution and tarballs serve, nothing is asked.
    let again = Installer::new(Registry::new(&loopback.url()).unwrap(), Cache::at(&cache_dir));
    let second = again.resolve(&deps(&["nanoid@^5", "postcss@^8"]), None).await.unwrap();
    assert_eq!(second, lock);
    again.install(&second).await.unwrap();
    assert_eq!(loopback.requests(), asked, "no request the second time");
    let _ = std::fs::remove_dir_all(&cache_dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lockfile_installs_the_same_tree_without_the_registry() {
    let loopback = Loopback::start(&fixtures_dir()).await.unwrap();
    let cache_dir = scratch("lock");
    let installer = installer(&loopback, Cache::at(&cache_dir));
    let lock = installer.resolve(&deps(&["ajv@^8"]), None).await.unwrap();
    installer.install(&lock).await.unwrap();
    let file = cache_dir.join("isobox-lock.json");
    lock.write(&file).unwrap();
    let read = Lockfile::read(&file).unwrap().unwrap();
    assert_eq!(read, lock);
    let url = loopback.url();
    loopback.shutdown().await;
    // The registry is gone: the lockfile and the cached tarballs suffice.
    let offline = Installer::new(Registry::new(&url).unwrap(), Cache::at(&cache_dir));
    let again = offline.resolve(&deps(&["ajv@^8"]), Some(&read)).await.unwrap();
    assert_eq!(again, lock);
    let installed = offline.install(&again).await.unwrap();
    assert_eq!(installed.package_count(), lock.package_count());
    // A changed dependency needs the registry, and says so.
    let error = offline
        .resolve(&deps(&["ajv@^8", "zod@^4"]), Some(&read))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), NpmErrorKind::Registry, "{error}");
    let _ = std::fs::remove_dir_all(&cache_dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_pinned_package_links_for_its_imports() {
    let loopback = Loopback::start(&fixtures_dir()).await.unwrap();
    let cache_dir = scratch("link");
    let npm = Npm::new(installer(&loopback, Cache::at(&cache_dir)));
    for (dependencies, imports, expected) in [
        ("zod@^4", "zod", "node_modules/zod/index.js"),
        ("ajv@^8", "ajv", "node_modules/ajv/dist/ajv.js?esm"),
        ("papaparse@^5", "papaparse", "?esm"),
        ("fast-xml-parser@^5", "fast-xml-parser", "node_modules/fast-xml-parser/"),
        ("date-fns@^4", "date-fns", "node_modules/date-fns/index.js"),
        ("lodash-es@^4", "lodash-es", "node_modules/lodash-es/lodash.js"),
        ("hono@^4", "hono", "node_modules/hono/dist/index.js"),
        ("preact@^10", "preact", "node_modules/preact/dist/preact.module.js"),
        ("marked", "marked", "node_modules/marked/"),
        ("yaml@^2", "yaml", "node_modules/yaml/browser/"),
        ("csv-parse", "csv-parse/sync", "node_modules/csv-parse/"),
        ("uuid", "uuid", "node_modules/uuid/"),
        ("nanoid@^5", "nanoid", "node_modules/nanoid/index.browser.js"),
        ("decimal.js", "decimal.js", "node_modules/decimal.js/decimal.mjs"),
    ] {
        let linked = npm
            .link(&deps(&[dependencies]), None, &[imports.to_owned()])
            .await
            .unwrap_or_else(|e| panic!("{dependencies}: {e}"));
        let target = &linked.entry_imports()[imports];
        assert!(target.contains(expected), "{dependencies}: {target}");
        // Every import of every module names a module of the graph.
        let names: std::collections::BTreeSet<&str> = linked.modules().map(|m| m.name).collect();
        for module in linked.modules() {
            for (specifier, target) in module.imports {
                assert!(
                    names.contains(target.as_str()),
                    "{}: {specifier} -> {target}",
                    module.name
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(&cache_dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tarball_that_does_not_match_its_integrity_is_refused() {
    let loopback = Loopback::start(&fixtures_dir()).await.unwrap();
    loopback.set_integrity("uuid", "14.0.3", &registry::integrity(b"something else"));
    let installer = installer(&loopback, Cache::disabled());
    let lock = installer.resolve(&deps(&["uuid@14.0.3"]), None).await.unwrap();
    let error = installer.install(&lock).await.unwrap_err();
    assert_eq!(error.kind(), NpmErrorKind::Integrity, "{error}");
    assert!(error.message().contains("uuid@14.0.3"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsafe_tarballs_are_refused_with_clear_errors() {
    let loopback = Loopback::start_empty().await.unwrap();
    let package_json = br#"{"name":"evil","version":"1.0.0"}"#;
    let cases: [(&str, Vec<u8>, &str); 5] = [
        (
            "1.0.0",
            registry::tarball_with_entry_path(&[("package.json", package_json)], "package/../../escape.js", b"x"),
            "..",
        ),
        (
            "1.0.1",
            registry::tarball_with_symlink(&[("package.json", package_json)], "passwd", "/etc/passwd"),
            "link",
        ),
        (
            "1.0.2",
            registry::tarball_with_hard_link(&[("package.json", package_json)], "copy", "package/package.json"),
            "link",
        ),
        ("1.0.3", registry::gzip_bomb(200 << 20), "cap"),
        (
            "1.0.4",
            registry::tarball_with_entry_path(&[("package.json", package_json)], "/abs.js", b"x"),
            "absolute",
        ),
    ];
    for (version, tgz, word) in cases {
        loopback.add_tarball("evil", version, tgz, serde_json::Value::Null);
        let installer = installer(&loopback, Cache::disabled())
            .with_limits(InstallLimits::default().with_max_package_bytes(64 << 20));
        let lock = installer
            .resolve(&deps(&[&format!("evil@{version}")]), None)
            .await
            .unwrap();
        let error = installer.install(&lock).await.unwrap_err();
        assert_eq!(error.kind(), NpmErrorKind::UnsafeTarball, "{version}: {error}");
        assert!(error.message().contains(word), "{version}: {error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn package_count_and_bytes_are_capped() {
    let loopback = Loopback::start(&fixtures_dir()).await.unwrap();
    let few = installer(&loopback, Cache::disabled()).with_limits(InstallLimits::default().with_max_packages(3));
    let error = few.resolve(&deps(&["ajv@^8"]), None).await.unwrap_err();
    assert_eq!(error.kind(), NpmErrorKind::Limit, "{error}");
    assert!(error.message().contains("more than 3 packages"), "{error}");
    let small =
        installer(&loopback, Cache::disabled()).with_limits(InstallLimits::default().with_max_tarball_bytes(100_000));
    let lock = small.resolve(&deps(&["date-fns@^4"]), None).await.unwrap();
    let error = small.install(&lock).await.unwrap_err();
    assert_eq!(error.kind(), NpmErrorKind::Limit, "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_packages_and_versions_say_what_is_wrong() {
    let loopback = Loopback::start(&fixtures_dir()).await.unwrap();
    let installer = installer(&loopback, Cache::disabled());
    let error = installer.resolve(&deps(&["no-such-package"]), None).await.unwrap_err();
    assert_eq!(error.kind(), NpmErrorKind::NotFound, "{error}");
    let error = installer.resolve(&deps(&["zod@^99"]), None).await.unwrap_err();
    assert_eq!(error.kind(), NpmErrorKind::NoMatchingVersion, "{error}");
    assert!(error.message().contains("latest is 4.6.7"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_registry_gets_its_token_and_the_policy_decides_the_hosts() {
    let loopback = Loopback::start(&fixtures_dir()).await.unwrap();
    loopback.require_token("t0ken");
    let without = installer(&loopback, Cache::disabled());
    let error = without.resolve(&deps(&["uuid"]), None).await.unwrap_err();
    assert_eq!(error.kind(), NpmErrorKind::Registry);
    assert!(error.message().contains("token"), "{error}");
    let with = Installer::new(
        Registry::new(&loopback.url()).unwrap().with_token("t0ken"),
        Cache::disabled(),
    );
    let lock = with.resolve(&deps(&["uuid"]), None).await.unwrap();
    with.install(&lock).await.unwrap();
    assert!(!error.message().contains("t0ken"));

    // The operator's policy that does not allow the registry refuses it.
    let policy = isobox::egress::EgressPolicyBuilder::from_toml_str("[[allow]]\nhost = \"registry.example\"\n")
        .unwrap()
        .build()
        .unwrap();
    let pinned = Installer::new(
        Registry::new(&loopback.url())
            .unwrap()
            .with_egress(isobox::egress::Egress::new(policy)),
        Cache::disabled(),
    );
    let error = pinned.resolve(&deps(&["uuid"]), None).await.unwrap_err();
    assert_eq!(error.kind(), NpmErrorKind::Egress, "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_reports_each_package() {
    let loopback = Loopback::start(&fixtures_dir()).await.unwrap();
    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let sink = Arc::clone(&seen);
    let installer = installer(&loopback, Cache::disabled()).on_progress(move |p| sink.lock().unwrap().push(p.clone()));
    let lock = installer.resolve(&deps(&["fast-xml-parser@^5"]), None).await.unwrap();
    installer.install(&lock).await.unwrap();
    let seen = seen.lock().unwrap();
    let resolved = seen.iter().filter(|p| matches!(p, Progress::Resolved { .. })).count();
    let fetched = seen.iter().filter(|p| matches!(p, Progress::Fetched { .. })).count();
    assert_eq!(resolved, lock.package_count());
    assert_eq!(fetched, lock.package_count());
    // A scoped dependency came through.
    assert!(lock.versions().any(|(_, name, _)| name == "@nodable/entities"));
}
