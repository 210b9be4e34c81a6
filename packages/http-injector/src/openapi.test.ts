import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROUTES } from './handler.js';
import { ATTACHMENT_FIELDS, CONTENT_FIELDS, RECIPIENT_FIELDS, REQUEST_FIELDS } from './inject-request.js';
import { OPENAPI } from './openapi.js';
import { PROBLEMS } from './problem.js';
import { startInjector } from './test-support.js';

type Doc = {
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown>; oneOf?: { properties?: object }[] }> };
};

test('/v1/openapi.json is the document, and it lists exactly the routes and statuses the handler has', async (t) => {
  const h = await startInjector();
  t.after(() => h.close());
  const served = (await (await fetch(`${h.url}/v1/openapi.json`)).json()) as Doc;
  assert.deepEqual(served, JSON.parse(JSON.stringify(OPENAPI)));
  const documented = Object.entries(served.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      statuses: Object.keys(op.responses).map(Number).sort(),
    })),
  );
  assert.deepEqual(
    documented,
    ROUTES.map((r) => ({ method: r.method, path: r.path, statuses: [...r.statuses].sort() })),
  );
  const injectStatuses = new Set<number>(ROUTES[0].statuses);
  for (const [name, p] of Object.entries(PROBLEMS))
    if (name !== 'not-found') assert.ok(injectStatuses.has(p.status), `${name} (${p.status}) is documented`);
});

test('the request schemas name exactly the fields the validator accepts', () => {
  const s = (OPENAPI as unknown as Doc).components.schemas;
  assert.deepEqual(Object.keys(s.InjectRequest!.properties!), [...REQUEST_FIELDS]);
  assert.deepEqual(Object.keys(s.Content!.properties!), [...CONTENT_FIELDS]);
  assert.deepEqual(Object.keys(s.Attachment!.properties!), [...ATTACHMENT_FIELDS]);
  assert.deepEqual(Object.keys(s.Recipient!.oneOf![1]!.properties!), [...RECIPIENT_FIELDS]);
});

test('every status the API answered in a run of bad requests is documented for its route', async (t) => {
  const h = await startInjector({ http: ['rate_limit = "3/1h"'] });
  t.after(() => h.close());
  const seen = new Set<number>();
  const good = { sender: 's@x.test', recipients: ['a@a.test'], content: { from: 's@x.test', subject: 's', text: 't' } };
  for (const r of [
    await h.inject(good),
    await h.inject({}),
    await h.inject('{', {}, h.tokens.app),
    await h.inject(good, {}, 'x.y'),
    await h.inject('a', { 'content-type': 'text/plain' }),
    await h.inject(good),
  ])
    seen.add(r.status);
  const documented = new Set(Object.keys(OPENAPI.paths['/v1/inject'].post.responses).map(Number));
  for (const s of seen) assert.ok(documented.has(s), `status ${s} is documented`);
  assert.ok(seen.has(429) && seen.has(201) && seen.has(422));
});
