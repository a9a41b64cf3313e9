//! crypto.subtle beyond digest (guest/src/subtle.js, guest/src/crypto/):
//! HMAC JWTs as hono/jwt makes them, and the published vectors of each
//! algorithm (RFC 7515, RFC 4231, the GCM spec, RFC 6979, RFC 8032,
//! RFC 6070, RFC 7914, RFC 5869), plus an RSA key and signatures made by
//! OpenSSL. The WPT run (`make wpt`) covers the API's edges in depth.

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::common::{ok, run};

/// Helpers every test's code starts with.
const HELPERS: &str = r#"
    const subtle = crypto.subtle;
    const enc = new TextEncoder();
    const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
    const unhex = (text) => new Uint8Array(text.match(/../g).map((h) => parseInt(h, 16)));
    const b64url = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
      .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const unb64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    const failure = async (promise) => { try { await promise; return "resolved"; } catch (e) { return e.name; } };
"#;

async fn run_crypto(code: &str) -> Value {
    ok(run(&format!("{HELPERS}\n{code}")).await)
}

/// A 2048-bit RSA key (PKCS#8 and SPKI) and signatures of `isobox webcrypto`
/// with SHA-256 made by OpenSSL 3: RSA-PSS with a 32-byte salt, and
/// RSASSA-PKCS1-v1_5.
const RSA_PKCS8: &str = "\
    MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQDkY4JVBmUBkhhpYoQkpw5gY1QPSL7kQU2jyRWR3bvHN/rk\
    zfP+s47F4Z5V7O9AKgu/YPexPcgQu6r523s/7/c8TDOxrT8VHTbf8pw62l0yzFSdnVc4CLkfmtE7fnZbo9yOjMQ4/DDJtY9Z\
    J+7sF73O3TiAaKqOXZRhtUdv3ulD2O917fcrJTl2qGfkZukhhhPmXJD6IhtLEm/kkXU536w50feQQYvBORztrVxWYr8s84YB\
    ijkYfkyGsNdogYON5R6PXBa9iFLc6mMBofhr+EPeZFgIToh0eM0QsUF3gFe37a/ewhP7CJkfu2KeewvruvCLOsNBU1Ke44Y9\
    h7/CztTrAgMBAAECggEAEtMEdPEA4t2OTb1bfYPkoo6W6QDKqLI2bbeb8Gv+V3/zM4GpyNM26aapFmIsuoHcrWqW79DTGSH5\
    7sjBQpAktVKyKt5hmS8EjPY7ta22FpysPfN85iokTAkTXs9GsexYuDBWo6KRr0Z1aSVQwyMWN2//Z+h4lyEtowhxU2fkAeRX\
    +CYbuSehajIQG+rf5g0NKKJ7vuFGsGtG/Um05/nIWwiDNspR+CYXksU28DRiJMqjXXTTf8RdqcQzZ9IcT83exGCdB8EXm0jX\
    lK8QG2pB6HxUkoXuZHTXnZxgk/PY3npXs5WYU6btiOcM82yMusuIdZKrfEfF7N/CsY24YLIkUQKBgQDyjFn4SsekcTADv6Yf\
    pqf3hPaMtPpkbzzPx/N24ZfM4B2sMgZp063RC5f4U11s6VaQULk6bj87IYbDJx8e65nv+cGhrh+CUGldXvqPuMnNX9JEvEmg\
    15smvamnHrIh2S8RtqzlOxxerbGUs0pWNJy1II/CqIslm+yQoK3+k27g0QKBgQDxDh+etGDHHmUhcvTJCbmkUl0ViXX9O2hi\
    pm4SDmRDiZFE5OZdDmX/WwP6b0TZQ0cKCVr+jTXsrIeZnLMNtybnhZchRF6Vn0OtxydP8Dq8hjVdCreFhACIKn2RblNDiXJx\
    4GIAJXytLmVMOvm6LXREDliVgtdXVegt4shFImvo+wKBgCw7zGyrtp0Wx1rnqLQ9AITzisM+fiuy3bRHEu+rVLPYa5Drzp+e\
    KyTkqGJxUah7JX5MOnudf4qZIqqUh+hrrzdEpTuHNdfeMlkE6U0stiDuSLqgXA0pRPJbxITl5DaoFR114zIrBZF+u9QSnov6\
    LFocBhvKARZqyUnXA+RZnu8BAoGAfOJlTVKEBQThPfgRi4nnTJODOCI0J5K8nMc+pUohdb/yq++uzS0leKsNn5Q/5hNt3WxF\
    YTWFZ21m/xVoykVF+ZKDXq/OFNQjOwe/fTGnLH6XbPGdbKWbpO/miA7RQl8WFJs8CnlhY1NzFZBESsk7v/pyuFrF97BBDmy8\
    dtzDbTsCgYBaJaV76cFXyBIgKxEmFr9nTk9cP7EtcPA9uCsYv7upxvWTeJOBDhtvtvUh33vim8gCbjd9UvNwCGBfA6yxRFcG\
    ontNkSL9XPTBA+epzveuwAKc4VYNM557fbx7rBLDSMA+hAJ6A0SRvpP1CYhQhYl8pqdUWsJp3Eb+TrhBgZqHmA==";
const RSA_SPKI: &str = "\
    MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA5GOCVQZlAZIYaWKEJKcOYGNUD0i+5EFNo8kVkd27xzf65M3z/rOO\
    xeGeVezvQCoLv2D3sT3IELuq+dt7P+/3PEwzsa0/FR023/KcOtpdMsxUnZ1XOAi5H5rRO352W6PcjozEOPwwybWPWSfu7Be9\
    zt04gGiqjl2UYbVHb97pQ9jvde33KyU5dqhn5GbpIYYT5lyQ+iIbSxJv5JF1Od+sOdH3kEGLwTkc7a1cVmK/LPOGAYo5GH5M\
    hrDXaIGDjeUej1wWvYhS3OpjAaH4a/hD3mRYCE6IdHjNELFBd4BXt+2v3sIT+wiZH7tinnsL67rwizrDQVNSnuOGPYe/ws7U\
    6wIDAQAB";
const RSA_PSS_SIGNATURE: &str = "\
    YL+X5aV2sYkNfRRDm3XvxJ2AYxRUvyTSWdcYQiB6w6/ntzSSkL7v4fUZmavdQZeB7PpxHUZmPuJ/HVTPIHxaxjkoJ9pLV5Yi\
    HlzfnAAriO5NQlUWudYFthwVJ9DKwm4HPj0tm9o9FD8m7/UBoV8xXwjwQ/PPEoLsXbA7swKjmCbe3aEeAnCO1DHru7MJFL1U\
    YcrNAJRS7FdH8SlRVABV6hTI6zjIfe23zdpUuRKDeyTxgCHp6FF4SdB9HHgfLBHI0gjJsNjwN0uG4SOZ/JJQFbxG4sRVB/oY\
    NvRCxt6rfwt9BOLAVLHL4kfzqMr+yWqfeYcwzILDQSwCpCOlhFZ8AA==";
const RSA_PKCS1_SIGNATURE: &str = "\
    VuHX+iscJ8ZQD2iZzNvuBzWUgRelXQdkGIxK6WIada1DkficOFRN9Xv0FZ9L1rAOKwEJVAf9QN7CtbJBEYdFjQhQgKouZUDc\
    khlJ6ZS+zzhepslYzmegEFG/rWITOI8JTRYWn9U2CNVeueTfXHglzQVnnwsDUyJoLlg4X+d8RQ0PnMwwlqrjMun3WsT3tp/D\
    iflgGEfNe2m8+tEMtuHLax81x/xhzH+yDoCTxoXtEVfXx+WALnYaXA2G1bYilktGZm2ZKAbW5EnI5Sgza0ZlHboeA8TEkZj/\
    z350Rk5ExQSne/ECdK4oEvmMN/swNQmmBoI2xUEBdpghjKV1mjr9/w==";

#[tokio::test]
async fn hs256_jwt_signed_as_hono_does_verifies_here() {
    let secret = "a secret that hono/jwt would be given";
    let code = format!(
        r#"
        const key = await subtle.importKey("raw", enc.encode({secret:?}), {{ name: "HMAC", hash: "SHA-256" }}, false, ["sign", "verify"]);
        const header = b64url(enc.encode(JSON.stringify({{ alg: "HS256", typ: "JWT" }})));
        const payload = b64url(enc.encode(JSON.stringify({{ sub: "1234567890", name: "isobox", iat: 1516239022 }})));
        const input = `${{header}}.${{payload}}`;
        const signature = await subtle.sign("HMAC", key, enc.encode(input));
        const tampered = new Uint8Array(signature.slice(0));
        tampered[0] ^= 1;
        ({{
          input,
          signature: hex(signature),
          token: `${{input}}.${{b64url(signature)}}`,
          verified: await subtle.verify("HMAC", key, signature, enc.encode(input)),
          tampered: await subtle.verify("HMAC", key, tampered, enc.encode(input)),
          short: await subtle.verify("HMAC", key, new Uint8Array(signature).slice(0, 31), enc.encode(input)),
          algorithm: key.algorithm, usages: key.usages, extractable: key.extractable, type: key.type,
          exported: await failure(subtle.exportKey("raw", key)),
        }})"#
    );
    let value = run_crypto(&code).await;
    let input = value["input"].as_str().expect("input");
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(input.as_bytes());
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(value["signature"], json!(expected));
    assert!(
        value["token"]
            .as_str()
            .expect("token")
            .starts_with("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.")
    );
    assert_eq!(value["verified"], json!(true));
    assert_eq!(value["tampered"], json!(false));
    assert_eq!(value["short"], json!(false));
    assert_eq!(
        value["algorithm"],
        json!({"name": "HMAC", "hash": {"name": "SHA-256"}, "length": 296})
    );
    assert_eq!(value["usages"], json!(["sign", "verify"]));
    assert_eq!(value["extractable"], json!(false));
    assert_eq!(value["type"], json!("secret"));
    assert_eq!(value["exported"], json!("InvalidAccessError"));
}

#[tokio::test]
async fn hmac_matches_rfc_7515_and_rfc_4231() {
    let code = r#"
        // RFC 7515 appendix A.1: an HS256 JWS with a JWK key.
        const jwk = { kty: "oct", k: "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow" };
        const key = await subtle.importKey("jwk", jwk, { name: "HMAC", hash: "SHA-256" }, true, ["sign", "verify"]);
        const input = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
        const jws = b64url(await subtle.sign("HMAC", key, enc.encode(input)));
        const exported = await subtle.exportKey("jwk", key);
        // RFC 4231 test case 2.
        const rfc4231 = {};
        for (const hash of ["SHA-256", "SHA-384", "SHA-512"]) {
          const k = await subtle.importKey("raw", enc.encode("Jefe"), { name: "HMAC", hash }, false, ["sign"]);
          rfc4231[hash] = hex(await subtle.sign({ name: "hmac" }, k, enc.encode("what do ya want for nothing?")));
        }
        ({ jws, exported, rfc4231 })"#;
    assert_eq!(
        run_crypto(code).await,
        json!({
            "jws": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            "exported": {
                "kty": "oct", "alg": "HS256", "ext": true, "key_ops": ["sign", "verify"],
                "k": "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"
            },
            "rfc4231": {
                "SHA-256": "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                "SHA-384": "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
                "SHA-512": "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
            }
        })
    );
}

#[tokio::test]
async fn aes_gcm_round_trips_and_matches_the_gcm_spec_vectors() {
    let code = r#"
        // "The Galois/Counter Mode of Operation", test cases 3 and 4.
        const key = await subtle.importKey("raw", unhex("feffe9928665731c6d6a8f9467308308"), "AES-GCM", false, ["encrypt", "decrypt"]);
        const iv = unhex("cafebabefacedbaddecaf888");
        const p = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
        const case3 = hex(await subtle.encrypt({ name: "AES-GCM", iv }, key, unhex(p)));
        const aad = unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        const case4 = hex(await subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad }, key, unhex(p.slice(0, 120))));
        const opened = hex(await subtle.decrypt({ name: "AES-GCM", iv, additionalData: aad }, key, unhex(case4)));
        const forged = unhex(case4); forged[3] ^= 0x80;
        // A generated key, a random IV, a 96-bit tag.
        const fresh = await subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt", "decrypt"]);
        const freshIv = crypto.getRandomValues(new Uint8Array(12));
        const sealed = await subtle.encrypt({ name: "AES-GCM", iv: freshIv, tagLength: 96 }, fresh, enc.encode("hello, isobox"));
        const back = new TextDecoder().decode(await subtle.decrypt({ name: "AES-GCM", iv: freshIv, tagLength: 96 }, fresh, sealed));
        const cut = new Uint8Array(sealed); cut[cut.length - 1] ^= 1;
        ({
          case3, case4, opened: opened === p.slice(0, 120),
          forged: await failure(subtle.decrypt({ name: "AES-GCM", iv, additionalData: aad }, key, forged)),
          back, sealedLength: sealed.byteLength, lengthBits: fresh.algorithm.length,
          shortTagForged: await failure(subtle.decrypt({ name: "AES-GCM", iv: freshIv, tagLength: 96 }, fresh, cut)),
          badTag: await failure(subtle.encrypt({ name: "AES-GCM", iv, tagLength: 100 }, key, unhex(p))),
          wrongUsage: await failure(subtle.sign("HMAC", key, unhex(p))),
        })"#;
    assert_eq!(
        run_crypto(code).await,
        json!({
            "case3": "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f59854d5c2af327cd64a62cf35abd2ba6fab4",
            "case4": "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e0915bc94fbc3221a5db94fae95ae7121a47",
            "opened": true,
            "forged": "OperationError",
            "back": "hello, isobox",
            "sealedLength": 25,
            "lengthBits": 256,
            "shortTagForged": "OperationError",
            "badTag": "OperationError",
            "wrongUsage": "InvalidAccessError"
        })
    );
}

#[tokio::test]
async fn ecdsa_p256_signs_and_verifies_and_checks_rfc_6979() {
    let code = r#"
        const pair = await subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
        const data = enc.encode("isobox");
        const signature = await subtle.sign({ name: "ECDSA", hash: "SHA-256" }, pair.privateKey, data);
        const verified = await subtle.verify({ name: "ECDSA", hash: "SHA-256" }, pair.publicKey, signature, data);
        const other = await subtle.verify({ name: "ECDSA", hash: "SHA-256" }, pair.publicKey, signature, enc.encode("isobox!"));
        const jwk = await subtle.exportKey("jwk", pair.publicKey);
        const raw = await subtle.exportKey("raw", pair.publicKey);
        // RFC 6979 A.2.5: P-256, SHA-256, "sample".
        const fixed = await subtle.importKey("jwk", {
          kty: "EC", crv: "P-256",
          x: b64url(unhex("60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6")),
          y: b64url(unhex("7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299")),
        }, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
        const rs = unhex("efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"
          + "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8");
        const vector = await subtle.verify({ name: "ECDSA", hash: "SHA-256" }, fixed, rs, enc.encode("sample"));
        rs[40] ^= 1;
        const broken = await subtle.verify({ name: "ECDSA", hash: "SHA-256" }, fixed, rs, enc.encode("sample"));
        ({
          signatureLength: signature.byteLength, verified, other, vector, broken,
          jwk: [jwk.kty, jwk.crv, jwk.d, jwk.key_ops], rawLength: raw.byteLength, rawPrefix: new Uint8Array(raw)[0],
          privateUsages: pair.privateKey.usages, publicUsages: pair.publicKey.usages,
          algorithm: pair.privateKey.algorithm,
          wrongType: await failure(subtle.sign({ name: "ECDSA", hash: "SHA-256" }, pair.publicKey, data)),
          p192: await failure(subtle.generateKey({ name: "ECDSA", namedCurve: "P-192" }, true, ["sign"])),
        })"#;
    assert_eq!(
        run_crypto(code).await,
        json!({
            "signatureLength": 64, "verified": true, "other": false, "vector": true, "broken": false,
            "jwk": ["EC", "P-256", null, ["verify"]], "rawLength": 65, "rawPrefix": 4,
            "privateUsages": ["sign"], "publicUsages": ["verify"],
            "algorithm": {"name": "ECDSA", "namedCurve": "P-256"},
            "wrongType": "InvalidAccessError",
            "p192": "NotSupportedError"
        })
    );
}

#[tokio::test]
async fn ed25519_matches_rfc_8032() {
    let code = r#"
        const prefix = "302e020100300506032b657004220420";
        const results = [];
        // RFC 8032 section 7.1, tests 1 and 2.
        for (const [secret, publicKey, message, expected] of [
          ["9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
           "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
           "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"],
          ["4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
           "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
           "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"],
        ]) {
          const priv = await subtle.importKey("pkcs8", unhex(prefix + secret), "Ed25519", true, ["sign"]);
          const pub = await subtle.importKey("raw", unhex(publicKey), { name: "Ed25519" }, true, ["verify"]);
          const msg = message ? unhex(message) : new Uint8Array(0);
          const signature = hex(await subtle.sign("Ed25519", priv, msg));
          const jwk = await subtle.exportKey("jwk", priv);
          results.push({
            matches: signature === expected,
            verified: await subtle.verify("Ed25519", pub, unhex(expected), msg),
            wrong: await subtle.verify("Ed25519", pub, unhex(expected), enc.encode("x")),
            jwkX: hex(unb64(jwk.x.replace(/-/g, "+").replace(/_/g, "/") + "=")) === publicKey,
          });
        }
        results"#;
    let expected = json!({"matches": true, "verified": true, "wrong": false, "jwkX": true});
    assert_eq!(run_crypto(code).await, json!([expected, expected]));
}

#[tokio::test]
async fn pbkdf2_and_hkdf_match_their_rfc_vectors() {
    let code = r#"
        const pbkdf2 = async (password, salt, iterations, hash, bits) => {
          const key = await subtle.importKey("raw", enc.encode(password), "PBKDF2", false, ["deriveBits"]);
          return hex(await subtle.deriveBits({ name: "PBKDF2", salt: enc.encode(salt), iterations, hash }, key, bits));
        };
        const ikm = await subtle.importKey("raw", new Uint8Array(22).fill(0x0b), "HKDF", false, ["deriveBits", "deriveKey"]);
        const hkdfParams = { name: "HKDF", hash: "SHA-256", salt: unhex("000102030405060708090a0b0c"), info: unhex("f0f1f2f3f4f5f6f7f8f9") };
        const derived = await subtle.deriveKey(hkdfParams, ikm, { name: "AES-GCM", length: 128 }, true, ["encrypt"]);
        ({
          // RFC 6070 (PBKDF2-HMAC-SHA1).
          sha1c1: await pbkdf2("password", "salt", 1, "SHA-1", 160),
          sha1c4096: await pbkdf2("password", "salt", 4096, "SHA-1", 160),
          // RFC 7914 section 11 (PBKDF2-HMAC-SHA256).
          sha256: await pbkdf2("passwd", "salt", 1, "SHA-256", 512),
          // RFC 5869 test case 1.
          hkdf: hex(await subtle.deriveBits(hkdfParams, ikm, 336)),
          derivedKey: hex(await subtle.exportKey("raw", derived)),
          zeroIterations: await failure(pbkdf2("p", "s", 0, "SHA-256", 256)),
          oddLength: await failure(pbkdf2("p", "s", 1, "SHA-256", 7)),
          extractable: await failure(subtle.importKey("raw", enc.encode("p"), "PBKDF2", true, ["deriveBits"])),
        })"#;
    assert_eq!(
        run_crypto(code).await,
        json!({
            "sha1c1": "0c60c80f961f0e71f3a9b524af6012062fe037a6",
            "sha1c4096": "4b007901b765489abead49d926f721d065a429c1",
            "sha256": "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783",
            "hkdf": "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
            "derivedKey": "3cb25f25faacd57a90434f64d0362f2a",
            "zeroIterations": "OperationError",
            "oddLength": "OperationError",
            "extractable": "SyntaxError"
        })
    );
}

#[tokio::test]
async fn rsa_pss_and_pkcs1_with_an_imported_pkcs8_key_agree_with_openssl() {
    let code = format!(
        r#"
        const pkcs8 = unb64({RSA_PKCS8:?});
        const spki = unb64({RSA_SPKI:?});
        const data = enc.encode("isobox webcrypto");
        const pss = {{ name: "RSA-PSS", hash: "SHA-256" }};
        const privateKey = await subtle.importKey("pkcs8", pkcs8, pss, true, ["sign"]);
        const publicKey = await subtle.importKey("spki", spki, pss, true, ["verify"]);
        const signature = await subtle.sign({{ name: "RSA-PSS", saltLength: 32 }}, privateKey, data);
        const pkcs1 = {{ name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }};
        const pkcs1Private = await subtle.importKey("pkcs8", pkcs8, pkcs1, false, ["sign"]);
        const pkcs1Public = await subtle.importKey("spki", spki, pkcs1, false, ["verify"]);
        const jwk = await subtle.exportKey("jwk", privateKey);
        const fromJwk = await subtle.importKey("jwk", jwk, pss, true, ["sign"]);
        ({{
          verified: await subtle.verify({{ name: "RSA-PSS", saltLength: 32 }}, publicKey, signature, data),
          openssl: await subtle.verify({{ name: "RSA-PSS", saltLength: 32 }}, publicKey, unb64({RSA_PSS_SIGNATURE:?}), data),
          wrongSalt: await subtle.verify({{ name: "RSA-PSS", saltLength: 20 }}, publicKey, signature, data),
          pkcs1: hex(await subtle.sign("RSASSA-PKCS1-v1_5", pkcs1Private, data)) === hex(unb64({RSA_PKCS1_SIGNATURE:?})),
          pkcs1Verified: await subtle.verify("RSASSA-PKCS1-v1_5", pkcs1Public, unb64({RSA_PKCS1_SIGNATURE:?}), data),
          exportedPkcs8: hex(await subtle.exportKey("pkcs8", privateKey)) === hex(pkcs8),
          exportedSpki: hex(await subtle.exportKey("spki", publicKey)) === hex(spki),
          jwk: [jwk.kty, jwk.alg, jwk.e, typeof jwk.qi],
          jwkRoundTrip: hex(await subtle.exportKey("pkcs8", fromJwk)) === hex(pkcs8),
          algorithm: {{ ...privateKey.algorithm, publicExponent: Array.from(privateKey.algorithm.publicExponent) }},
          spkiAsPrivate: await failure(subtle.importKey("spki", spki, pss, true, ["sign"])),
          garbage: await failure(subtle.importKey("pkcs8", new Uint8Array(40), pss, true, ["sign"])),
        }})"#
    );
    assert_eq!(
        run_crypto(&code).await,
        json!({
            "verified": true, "openssl": true, "wrongSalt": false, "pkcs1": true, "pkcs1Verified": true,
            "exportedPkcs8": true, "exportedSpki": true,
            "jwk": ["RSA", "PS256", "AQAB", "string"], "jwkRoundTrip": true,
            "algorithm": {"name": "RSA-PSS", "modulusLength": 2048, "publicExponent": [1, 0, 1], "hash": {"name": "SHA-256"}},
            "spkiAsPrivate": "SyntaxError",
            "garbage": "DataError"
        })
    );
}

#[tokio::test]
async fn key_agreement_wrapping_and_errors_follow_the_standard() {
    let code = r#"
        const a = await subtle.generateKey({ name: "ECDH", namedCurve: "P-384" }, false, ["deriveBits"]);
        const b = await subtle.generateKey({ name: "ECDH", namedCurve: "P-384" }, false, ["deriveBits"]);
        const ab = hex(await subtle.deriveBits({ name: "ECDH", public: b.publicKey }, a.privateKey, 384));
        const ba = hex(await subtle.deriveBits({ name: "ECDH", public: a.publicKey }, b.privateKey, null));
        const x = await subtle.generateKey("X25519", false, ["deriveBits"]);
        const y = await subtle.generateKey("X25519", false, ["deriveBits"]);
        const xy = hex(await subtle.deriveBits({ name: "X25519", public: y.publicKey }, x.privateKey, 256));
        const yx = hex(await subtle.deriveBits({ name: "X25519", public: x.publicKey }, y.privateKey, 256));
        const kek = await subtle.generateKey({ name: "AES-KW", length: 128 }, false, ["wrapKey", "unwrapKey"]);
        const hmac = await subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, true, ["sign"]);
        const wrapped = await subtle.wrapKey("raw", hmac, kek, "AES-KW");
        const unwrapped = await subtle.unwrapKey("raw", wrapped, kek, "AES-KW", { name: "HMAC", hash: "SHA-256" }, true, ["sign"]);
        const same = hex(await subtle.exportKey("raw", hmac)) === hex(await subtle.exportKey("raw", unwrapped));
        const cbc = await subtle.generateKey({ name: "AES-CBC", length: 128 }, false, ["wrapKey", "unwrapKey"]);
        const iv = new Uint8Array(16);
        const wrappedJwk = await subtle.wrapKey("jwk", hmac, cbc, { name: "AES-CBC", iv });
        const unwrappedJwk = await subtle.unwrapKey("jwk", wrappedJwk, cbc, { name: "AES-CBC", iv }, { name: "HMAC", hash: "SHA-256" }, true, ["sign"]);
        const rsaOaep = await subtle.generateKey({ name: "RSA-OAEP", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, false, ["encrypt", "decrypt"]);
        const label = enc.encode("label");
        const sealed = await subtle.encrypt({ name: "RSA-OAEP", label }, rsaOaep.publicKey, enc.encode("secret"));
        const opened = new TextDecoder().decode(await subtle.decrypt({ name: "RSA-OAEP", label }, rsaOaep.privateKey, sealed));
        const promise = subtle.importKey("bad format", new Uint8Array(16), "AES-GCM", true, ["encrypt"]);
        ({
          ecdh: ab === ba && ab.length === 96, x25519: xy === yx && xy.length === 64,
          same, jwk: hex(await subtle.exportKey("raw", unwrappedJwk)) === hex(await subtle.exportKey("raw", hmac)),
          opened,
          isPromise: promise instanceof Promise, badFormat: await failure(promise),
          unknown: await failure(subtle.generateKey("RSA-FOO", true, ["sign"])),
          noUsages: await failure(subtle.generateKey({ name: "AES-GCM", length: 128 }, true, [])),
          badUsage: await failure(subtle.generateKey({ name: "AES-GCM", length: 128 }, true, ["sign"])),
          badLength: await failure(subtle.generateKey({ name: "AES-GCM", length: 100 }, true, ["encrypt"])),
          badKeyData: await failure(subtle.importKey("raw", new Uint8Array(5), "AES-GCM", true, ["encrypt"])),
          noName: await failure(subtle.encrypt({}, kek, new Uint8Array(1))),
          notAKey: await failure(subtle.encrypt("AES-GCM", {}, new Uint8Array(1))),
          notExtractable: await failure(subtle.exportKey("raw", kek)),
          badJwk: await failure(subtle.importKey("jwk", { kty: "oct", k: "!!" }, "AES-GCM", true, ["encrypt"])),
          missingHash: await failure(subtle.importKey("raw", new Uint8Array(16), { name: "HMAC" }, true, ["sign"])),
          illegal: (() => { try { new CryptoKey(); return "constructed"; } catch (e) { return e.name; } })(),
          tag: Object.prototype.toString.call(kek),
        })"#;
    assert_eq!(
        run_crypto(code).await,
        json!({
            "ecdh": true, "x25519": true, "same": true, "jwk": true, "opened": "secret",
            "isPromise": true, "badFormat": "TypeError", "unknown": "NotSupportedError",
            "noUsages": "SyntaxError", "badUsage": "SyntaxError", "badLength": "OperationError",
            "badKeyData": "DataError", "noName": "TypeError", "notAKey": "TypeError",
            "notExtractable": "InvalidAccessError", "badJwk": "DataError", "missingHash": "TypeError",
            "illegal": "TypeError", "tag": "[object CryptoKey]"
        })
    );
}

#[tokio::test]
async fn digest_copies_its_data_when_called() {
    let code = r#"
        const data = new Uint8Array([97, 98, 99]);
        const promise = subtle.digest("SHA-256", data);
        data.fill(0);
        hex(await promise)"#;
    assert_eq!(
        run_crypto(code).await,
        json!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    );
}
