// An itty-router app: AutoRouter with cors (preflight and corsify), params,
// JSON bodies and errors.
import { AutoRouter, cors, error } from 'itty-router';

const { preflight, corsify } = cors({ origin: 'https://app.example' });
const router = AutoRouter({ before: [preflight], finally: [corsify] });

router.get('/', () => 'hello from itty');
router.get('/items/:id', ({ params, query }) => ({ id: params.id, sort: query.sort ?? null }));
router.post('/echo', async (request) => ({ got: await request.json() }));
router.get('/missing', () => error(404, 'no such thing'));

export default router;
