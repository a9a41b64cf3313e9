// Workers runtime APIs in the sandbox: streams, compression, WebCrypto,
// Blob and FormData, MessageChannel, Intl. A snippet with a top-level `return`
// is the body of an async function.
// What it does, as tests/integration/examples.rs checks it:
// $ isobox run examples/web-runtime.js
// exit 0
// stdout "shout": "HELLO, STREAMS"
// stdout "gzipRoundTrip": true
// stdout "signatureValid": true
// stdout "tampered": false
// stdout "notes.txt"
// stdout "message": "over the channel"
// stdout "price": "$1,234.50"
// stdout "when": "Thursday, January 15, 2026"
// stdout "tags": "a, b, and c"

// A TransformStream upper-casing text as it flows.
const upper = new TransformStream({
  transform(chunk, controller) { controller.enqueue(chunk.toUpperCase()); },
});
const shout = await new Response(
  new Blob(['hello, ', 'streams']).stream()
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(upper)
    .pipeThrough(new TextEncoderStream()),
).text();

// gzip and back.
const text = 'the same line, again and again. '.repeat(50);
const zipped = await new Response(
  new Blob([text]).stream().pipeThrough(new CompressionStream('gzip')),
).arrayBuffer();
const unzipped = await new Response(
  new Blob([zipped]).stream().pipeThrough(new DecompressionStream('gzip')),
).text();

// HMAC-SHA-256: sign, verify, and refuse a tampered message.
const key = await crypto.subtle.importKey(
  'raw', new TextEncoder().encode('a secret key'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'],
);
const data = new TextEncoder().encode('pay 10 to bob');
const signature = await crypto.subtle.sign('HMAC', key, data);
const signatureValid = await crypto.subtle.verify('HMAC', key, signature, data);
const tampered = await crypto.subtle.verify('HMAC', key, signature, new TextEncoder().encode('pay 99 to bob'));

// A multipart form, serialised by Request and parsed back.
const form = new FormData();
form.append('name', 'Ada');
form.append('upload', new File(['file body'], 'notes.txt', { type: 'text/plain' }));
const parsed = await new Request('https://example.test/', { method: 'POST', body: form }).formData();
const upload = parsed.get('upload');

// A message through a MessageChannel.
const { port1, port2 } = new MessageChannel();
const message = new Promise((resolve) => { port2.onmessage = (event) => resolve(event.data.text); });
port1.postMessage({ text: 'over the channel' });

// Intl: a price, a day in New York, a list.
const price = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(1234.5);
const when = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', dateStyle: 'full' })
  .format(Date.UTC(2026, 0, 16, 3, 0));
const tags = new Intl.ListFormat('en').format(['a', 'b', 'c']);

return {
  shout,
  gzipRoundTrip: unzipped === text && zipped.byteLength < text.length / 5,
  signatureValid,
  tampered,
  form: [parsed.get('name'), upload.name, upload.size],
  message: await message,
  price,
  when,
  tags,
};
