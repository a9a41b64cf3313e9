// Code an agent might write against `isobox types`: it must type-check.
const r: Response = await fetch('https://x.example/', { method: 'POST', body: 'x', signal: AbortSignal.timeout(100) });
const j = await r.json();
const u = new URL('/a?b=1', 'https://x.example/');
u.searchParams.set('c', '2');
const h = new Headers({ a: 'b' });
for (const [k, v] of h) console.log(k, v);
const d = await crypto.subtle.digest('SHA-256', new TextEncoder().encode('abc'));
const c = structuredClone({ a: new Map([[1, 2]]) });
setTimeout(() => {}, 10);
const ac = new AbortController(); ac.abort();

console.log(input, env.kv);
export {};
