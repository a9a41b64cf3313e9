use isobox_npm::*;
#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let deps: Vec<Dependency> = args[0].split(',').map(|d| Dependency::parse(d).unwrap()).collect();
    let imports: Vec<String> = args[1].split(',').map(str::to_owned).collect();
    let policy = isobox::egress::EgressPolicyBuilder::from_toml_str("[limits]\nmax_requests = 10000\nmax_concurrent = 8\nmax_response_body_bytes = 268435456\n[[allow]]\nhost = \"registry.npmjs.org\"\nallow_private = true\n[tls]\nca_files = [\"/etc/ssl/certs/ca-certificates.crt\"]\n").unwrap().build().unwrap();
    let installer = Installer::new(
        Registry::npmjs().with_egress(isobox::egress::Egress::new(policy)),
        Cache::at("/tmp/npmcache"),
    )
    .on_progress(|p| eprintln!("{p:?}"));
    let npm = Npm::new(installer);
    let t = std::time::Instant::now();
    match npm.link(&deps, None, &imports).await {
        Ok(linked) => {
            eprintln!(
                "linked in {:?}: {} modules, {} bytes",
                t.elapsed(),
                linked.modules().count(),
                linked.source_bytes()
            );
            for m in linked.modules().take(400) {
                println!("{} {} {:?}", m.name, m.source.len(), m.imports.len());
            }
            println!("entry {:?}", linked.entry_imports());
            if let Ok(dir) = std::env::var("DUMP") {
                for m in linked.modules() {
                    let p = format!("{dir}/{}", m.name);
                    std::fs::create_dir_all(std::path::Path::new(&p).parent().unwrap()).unwrap();
                    std::fs::write(p, m.source).unwrap();
                }
            }
        }
        Err(e) => eprintln!("error {:?}: {e}", e.kind()),
    }
}
