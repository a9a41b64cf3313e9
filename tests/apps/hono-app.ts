// A Hono app with the middleware real apps stack: cors, etag, a header set
// after next(), jwt (sign and verify), a multipart form, streaming.
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { etag } from 'hono/etag';
import { jwt, sign } from 'hono/jwt';
import { streamText } from 'hono/streaming';

const SECRET = 'a-test-secret-of-reasonable-length';

const app = new Hono();
app.use('*', cors({ origin: 'https://app.example', exposeHeaders: ['x-after'] }));
app.use('/etag/*', etag());
app.use('/after/*', async (c, next) => {
  await next();
  c.header('x-after', 'set after next');
});
// The token travels in x-token: `isobox serve` keeps Authorization for its own keys.
app.use('/secure/*', jwt({ secret: SECRET, alg: 'HS256', headerName: 'x-token' }));

app.get('/', (c) => c.text('hello from hono'));
app.get('/json', (c) => c.json({ ok: true, n: 42 }));
app.get('/after/page', (c) => c.text('the body survives'));
app.get('/etag/page', (c) => c.text('tagged content'));
app.post('/form', async (c) => {
  const body = await c.req.parseBody();
  const file = body.upload;
  return c.json({
    name: body.name,
    file: file instanceof File ? { name: file.name, type: file.type, text: await file.text() } : null,
  });
});
app.get('/token', async (c) => {
  const token = await sign({ sub: 'user-1', role: 'admin' }, SECRET, 'HS256');
  return c.json({ token });
});
app.get('/secure/me', (c) => c.json(c.get('jwtPayload')));
app.get('/stream', (c) =>
  streamText(c, async (stream) => {
    await stream.write('one ');
    await stream.sleep(5);
    await stream.write('two ');
    await stream.write('three');
  }),
);

export default app;
