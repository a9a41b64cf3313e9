// Code an agent might write against `isobox types --grant kv --grant todo --grant workspace
// --plugin text=... --mcp-tools notes=mcp-tools.json`: it must type-check,
// and the mistakes below must not.
await env.kv.put('greeting', 'hello');
const greeting: string | null = await env.kv.get('greeting');
const keys: string[] = (await env.kv.list({ prefix: 'g' })).keys.map((k) => k.name);
const seen = await env.kv.getWithVersion('greeting');
if (seen !== null) {
  const swapped: boolean = (await env.kv.put('greeting', 'hi', { ifVersion: seen.version, ttlMs: 60_000 })).ok;
  console.log(swapped);
}
await env.workspace.writeFile({ path: '/notes/a.md', content: '# a', parents: true });
const text: string = await env.workspace.readFile({ path: '/notes/a.md' });
const page = await env.workspace.readdir({ path: '/notes' });
const names: string[] = page.entries.map((e) => e.path);
const hits = await env.workspace.grep({ pattern: 'a', include: ['*.md'], before: 1 });
const lines: number[] = hits.matches.map((m) => m.line);
const patch: string = (await env.workspace.edit({ path: '/notes/a.md', edits: [{ oldText: '# a', newText: '# b' }] })).patch;
const done = await env.workspace.batch({ ops: [{ op: 'rm', path: '/notes', recursive: true }], ifVersion: 3 });
console.log(text, names, lines, patch, done.version);
// @ts-expect-error: readFile takes an object
await env.workspace.readFile('/notes/a.md');
// @ts-expect-error: list takes options, not a prefix
await env.kv.list('g');
const added = await env.todo.add({ title: 'write tests', priority: 'high', labels: { work: true } });
const id: number | bigint = added.id;
const open = await env.todo.list({ tag: 'open' });
const high = await env.todo.list({ tag: 'by-priority', val: 'high' });
const [openCount, doneCount]: [number, number] = await env.todo.counts();
const stats = await env.text.summarize('the cat and the dog', 3);
const top: string[] = stats.top.map((w) => w.word);
const created = await env.notes.createNote({ title: 'groceries', priority: 'low', tags: ['home'] });
const noteId: number = created.note.id;
const found: env.notes.Note[] = (await env.notes.searchNotes({ query: 'gro' })).notes;
const existed: string = await env.notes.deleteNote({ id: noteId });
await env.notes.moveNote({ id: noteId, target: { kind: 'folder', path: '/archive' } });
const { byTag, idRange, oldest } = await env.notes.stats();
const first: number = idRange[0];
// @ts-expect-error: kv values are strings
await env.kv.put('n', 42);
// @ts-expect-error: no such priority
await env.todo.add({ title: 'x', priority: 'urgent' });
// @ts-expect-error: no such flag
await env.todo.add({ title: 'x', labels: { garden: true } });
// @ts-expect-error: priority is required
await env.notes.createNote({ title: 'x' });
// @ts-expect-error: no such priority
await env.notes.createNote({ title: 'x', priority: 'urgent' });
// @ts-expect-error: a folder needs a path
await env.notes.moveNote({ id: 1, target: { kind: 'folder' } });
// @ts-expect-error: the MCP name is not the method
await env.notes.create_note({ title: 'x', priority: 'low' });
// @ts-expect-error: stats takes no argument
await env.notes.stats({});
// @ts-expect-error: not a capability
await env.sql.query('select 1');
console.log(greeting, keys, id, open, high, openCount, doneCount, top, found, existed, byTag, first, oldest);
export {};
