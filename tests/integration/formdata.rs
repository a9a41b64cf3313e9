//! Blob, File, FileReader and FormData (guest/src/blob.js, formdata.js):
//! what code in a run sees. Expected values are the File API's and the XHR
//! standard's (checked against Node 20, which agrees with them here). The
//! WPT run (`make wpt`, FileAPI) covers the same APIs in depth.

use serde_json::json;

use crate::common::{ok, run};

#[tokio::test]
async fn a_blob_joins_its_parts_and_slices_with_negative_indices() {
    let code = r#"
        const inner = new Blob(["\r\nx"]);
        const blob = new Blob(["héllo", new Uint8Array([33]), inner, new Uint16Array([0x4241]).buffer],
                              { type: "Text/Plain", endings: "native" });
        const slice = blob.slice(-4, -1, "A/B");
        const native = new Blob(["a\r\nb\rc\n"], { endings: "native" });
        ({ size: blob.size, type: blob.type, text: await blob.text(),
           slice: [slice.size, slice.type, [...await slice.bytes()]],
           empty: [blob.slice(5, 2).size, blob.slice(100).size, blob.slice(0, 0, "\u00e5").type],
           buffer: new Uint8Array(await blob.arrayBuffer()).length, native: await native.text(),
           tag: String(blob), keys: Object.keys(Blob.prototype),
           refused: [() => new Blob("x"), () => new Blob([], { endings: "dos" }), () => Blob()]
             .map((f) => { try { f(); return "made"; } catch (e) { return e.constructor.name; } }) })"#;
    assert_eq!(
        ok(run(code).await),
        json!({
            "size": 12, "type": "text/plain", "text": "héllo!\r\nxAB",
            "slice": [3, "a/b", [10, 120, 65]],
            "empty": [0, 0, ""],
            "buffer": 12, "native": "a\nb\nc\n",
            "tag": "[object Blob]",
            "keys": ["size", "type", "slice", "stream", "text", "arrayBuffer", "bytes"],
            "refused": ["TypeError", "TypeError", "TypeError"]
        })
    );
}

#[tokio::test]
async fn a_blob_keeps_its_own_copy_of_the_bytes() {
    let code = r#"
        const source = new Uint8Array([1, 2, 3]);
        const blob = new Blob([source]);
        source[0] = 9;
        const out = await blob.bytes();
        out[1] = 9;
        [...await blob.bytes()]"#;
    assert_eq!(ok(run(code).await), json!([1, 2, 3]));
}

#[tokio::test]
async fn a_file_has_a_name_a_time_and_the_blob_methods() {
    let code = r#"
        const before = Date.now();
        const file = new File(["abc", new Blob(["d"])], "notes.txt", { type: "TEXT/plain" });
        const dated = new File([], "a", { lastModified: 42 });
        ({ name: file.name, type: file.type, size: file.size, text: await file.text(),
           recent: file.lastModified >= before && file.lastModified <= Date.now(),
           dated: dated.lastModified, path: file.webkitRelativePath,
           isBlob: file instanceof Blob, tag: String(file), sliceIsFile: file.slice(1) instanceof File,
           cloned: await (async () => { const c = structuredClone(file); return [c instanceof File, c.name, await c.text()]; })(),
           needsName: (() => { try { new File([]); return "made"; } catch (e) { return e.constructor.name; } })() })"#;
    assert_eq!(
        ok(run(code).await),
        json!({
            "name": "notes.txt", "type": "text/plain", "size": 4, "text": "abcd",
            "recent": true, "dated": 42, "path": "",
            "isBlob": true, "tag": "[object File]", "sliceIsFile": false,
            "cloned": [true, "notes.txt", "abcd"],
            "needsName": "TypeError"
        })
    );
}

#[tokio::test]
async fn form_data_keeps_entries_in_order_and_turns_blobs_into_files() {
    let code = r#"
        const fd = new FormData();
        const file = new File(["x"], "x.bin");
        fd.append("a", "1");
        fd.append("b", new Blob(["zz"], { type: "q/r" }));
        fd.append("a", 2);
        fd.append("c", file);
        fd.append("d", file, "renamed.txt");
        fd.set("b", "replaced");
        fd.append("lone", "\uD800");
        const describe = (v) => typeof v === "string" ? v : [v.constructor.name, v.name, v.type, v.size];
        const blobEntry = new FormData();
        blobEntry.append("b", new Blob(["zz"], { type: "q/r" }));
        ({ entries: [...fd].map(([k, v]) => [k, describe(v)]),
           getAll: fd.getAll("a"), get: fd.get("missing"), has: [fd.has("c"), fd.has("z")],
           same: fd.get("c") === file, renamed: describe(fd.get("d")),
           blob: describe(blobEntry.get("b")),
           keys: [...fd.keys()], values: [...fd.values()].length,
           each: (() => { const seen = []; fd.forEach((v, k, o) => seen.push(k, o === fd)); return seen; })(),
           deleted: (() => { fd.delete("a"); return [...fd.keys()]; })(),
           tag: String(fd), iterTag: Object.prototype.toString.call(fd.entries()),
           refused: [() => new FormData(null), () => fd.append("x"), () => fd.append("x", "y", "z")]
             .map((f) => { try { f(); return "ok"; } catch (e) { return e.constructor.name; } }) })"#;
    assert_eq!(
        ok(run(code).await),
        json!({
            "entries": [["a", "1"], ["b", "replaced"], ["a", "2"], ["c", ["File", "x.bin", "", 1]],
                        ["d", ["File", "renamed.txt", "", 1]], ["lone", "\u{FFFD}"]],
            "getAll": ["1", "2"], "get": null, "has": [true, false],
            "same": true, "renamed": ["File", "renamed.txt", "", 1],
            "blob": ["File", "blob", "q/r", 2],
            "keys": ["a", "b", "a", "c", "d", "lone"], "values": 6,
            "each": ["a", true, "b", true, "a", true, "c", true, "d", true, "lone", true],
            "deleted": ["b", "c", "d", "lone"],
            "tag": "[object FormData]", "iterTag": "[object FormData Iterator]",
            "refused": ["TypeError", "TypeError", "TypeError"]
        })
    );
}

#[tokio::test]
async fn file_reader_reads_as_text_data_url_and_array_buffer() {
    let code = r#"
        const read = (how, blob, ...args) => new Promise((resolve) => {
          const reader = new FileReader();
          const events = [];
          for (const type of ["loadstart", "progress", "load", "loadend"]) reader.addEventListener(type, () => events.push(type));
          reader.onloadend = () => resolve([reader.readyState, events, reader.result]);
          reader[how](blob, ...args);
        });
        const text = await read("readAsText", new Blob(["\ufeffhi"]));
        const latin = await read("readAsText", new Blob([new Uint8Array([0xe9])]), "iso-8859-1");
        const url = await read("readAsDataURL", new Blob(["hi"], { type: "text/plain" }));
        const [, , buffer] = await read("readAsArrayBuffer", new Blob(["abc"]));
        [text, latin[2], url[2], buffer.byteLength]"#;
    assert_eq!(
        ok(run(code).await),
        json!([
            [2, ["loadstart", "progress", "load", "loadend"], "hi"],
            "é",
            "data:text/plain;base64,aGk=",
            3
        ])
    );
}
