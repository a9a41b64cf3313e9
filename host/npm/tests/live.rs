//! Opt-in: the real npm registry (`ISOBOX_NPM_LIVE=1 cargo test -p
//! isobox-npm --test live -- --ignored`). Not part of `make test`, which
//! sends traffic to loopback only. `ISOBOX_NPM_LIVE_POLICY` may name an
//! egress policy file for the registry (a machine behind a proxy needs its
//! CA and `allow_private`).

use isobox_npm::{Cache, Dependency, Installer, Npm, Registry};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "reaches registry.npmjs.org; run with ISOBOX_NPM_LIVE=1 and --ignored"]
async fn zod_and_ajv_install_and_link_from_the_real_registry() {
    if std::env::var_os("ISOBOX_NPM_LIVE").is_none() {
        eprintln!("set ISOBOX_NPM_LIVE=1 to reach registry.npmjs.org");
        return;
    }
    let mut registry = Registry::npmjs();
    if let Some(file) = std::env::var_os("ISOBOX_NPM_LIVE_POLICY") {
        let policy = isobox::egress::EgressPolicy::from_toml_file(std::path::Path::new(&file)).expect("policy");
        registry = registry.with_egress(isobox::egress::Egress::new(policy));
    }
    let cache = std::env::temp_dir().join(format!("isobox-npm-live-{}", std::process::id()));
    let npm = Npm::new(Installer::new(registry, Cache::at(&cache)));
    let dependencies = [
        Dependency::parse("zod@^4").unwrap(),
        Dependency::parse("ajv@^8").unwrap(),
    ];
    let linked = npm
        .link(&dependencies, None, &["zod".to_owned(), "ajv".to_owned()])
        .await
        .expect("installing from registry.npmjs.org");
    assert!(linked.lock().package_count() >= 6, "{:?}", linked.lock());
    assert!(linked.entry_imports().contains_key("zod") && linked.entry_imports().contains_key("ajv"));
    assert!(linked.lock().to_json().contains("\"integrity\": \"sha512-"));
    let _ = std::fs::remove_dir_all(&cache);
}
