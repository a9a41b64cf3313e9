//! Blobs in S3-compatible object storage (feature `s3`; `make test-s3`):
//! a real S3 server on loopback (moto's, installed by scripts/s3/moto.sh),
//! rows in the tests' PostgreSQL, two stores sharing both as two replicas
//! would.
#![cfg(feature = "s3")]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use isobox_store::{BlobStore, Location, Store, StoreError};

/// moto's server on a free loopback port, stopped when dropped.
struct Moto {
    child: Child,
    port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn moto() -> Moto {
    let server = std::env::var("ISOBOX_TEST_MOTO").unwrap_or_else(|_| {
        let script = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/s3/moto.sh");
        let output = Command::new("bash").arg(script).output().expect("bash runs");
        assert!(
            output.status.success(),
            "scripts/s3/moto.sh: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    });
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(server)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto_server starts");
    let moto = Moto { child, port };
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto_server did not listen within 30 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    moto
}

/// Makes `bucket` with a plain path-style `PUT /bucket`.
fn make_bucket(port: u16, bucket: &str) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "PUT /{bucket} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_rows_in_postgres_and_contents_in_s3() {
    // SAFETY: the only test of this binary, and nothing else of the process
    // reads the environment while it is set, before any store exists.
    unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", "isobox-test");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "isobox-test-secret");
    }
    let moto = moto();
    make_bucket(moto.port, "isobox-blobs");
    let url = format!(
        "s3://isobox-blobs/tenant-files?endpoint=http://127.0.0.1:{}&allow_http=true",
        moto.port
    );
    let open = || async {
        Store::open_with(
            Location::Postgres(common::pg_url()),
            Some(BlobStore::from_location(&url).expect("the S3 blob store")),
        )
        .await
        .expect("a store on PostgreSQL and S3")
    };
    let (one, two) = (open().await, open().await);
    let ns = common::unique("s3");
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    one.workspace(&ns, "ws")
        .unwrap()
        .write_file("/big.bin", &big)
        .await
        .unwrap();
    // The other replica reads it: the row from PostgreSQL, the bytes from S3.
    assert_eq!(
        two.workspace(&ns, "ws").unwrap().read_file("/big.bin").await.unwrap(),
        big
    );
    let blobs = one.blobs().unwrap().list().await.unwrap();
    assert!(blobs.contains(&isobox_store::workspace::sha256_hex(&big)), "{blobs:?}");
    // Removed and collected: the object is gone from the bucket.
    one.workspace(&ns, "ws").unwrap().rm("/big.bin", false).await.unwrap();
    let collected = one.collect_blobs(Duration::ZERO).await.unwrap();
    assert!(collected.removed >= 1, "{collected:?}");
    assert!(
        !one.blobs()
            .unwrap()
            .list()
            .await
            .unwrap()
            .contains(&isobox_store::workspace::sha256_hex(&big))
    );
    // A bad URL is a clear error; a missing bucket fails the write, not the host.
    let err = BlobStore::from_location("s3://isobox-blobs?colour=blue").unwrap_err();
    assert!(
        matches!(err, StoreError::Config(_)) && err.to_string().contains("colour"),
        "{err}"
    );
    let missing = format!(
        "s3://no-such-bucket?endpoint=http://127.0.0.1:{}&allow_http=true",
        moto.port
    );
    let store = Store::open_with(Location::Memory, Some(BlobStore::from_location(&missing).unwrap()))
        .await
        .unwrap();
    let err = store
        .workspace("t", "w")
        .unwrap()
        .write_file("/big.bin", &big)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Blob(_)), "{err}");
    assert!(!err.to_string().contains("isobox-test-secret"), "{err}");
}
