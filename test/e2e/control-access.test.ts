import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { scenario } from '../lib/scenario.js';
import { startScenarioPetrel } from '../lib/petrel.js';
import { petrelCli } from '../lib/cli.js';
import { freePort } from '@petrel/testkit';

async function httpGet(url: string, token?: string): Promise<{ status: number; body: string }> {
  const r = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: r.status, body: await r.text() };
}

test("the control socket is the owner's only; TCP needs the bearer token", async (t) => {
  const s = await scenario(t);
  const tcpPort = await freePort();
  const p = await startScenarioPetrel(s, {
    extra: `[control]\nlisten = "127.0.0.1:${tcpPort}"\ntoken = "s3cret-token"\n`,
  });

  assert.equal((await petrelCli(p, ['status'])).code, 0);
  // The socket itself is 0600, not only its 0700 directory (defence in depth).
  assert.equal(statSync(join(p.dir, 'spool', 'control.sock')).mode & 0o777, 0o600);
  // The test wrote the config 0644: the token in it is flagged at start.
  assert.match(
    p.output(),
    /petrel\.toml contains the \[control\] token and is world-readable \(mode 644\); chmod o-r it/,
  );
  const other = await petrelCli(p, ['status'], { asUser: 'nobody' });
  assert.equal(other.code, 1, `another local user must be refused: ${other.stdout}${other.stderr}`);
  assert.match(other.stderr, /^petrel: permission denied on \S+control\.sock/);

  assert.equal((await httpGet(`http://127.0.0.1:${tcpPort}/v1/status`)).status, 401);
  assert.equal((await httpGet(`http://127.0.0.1:${tcpPort}/v1/status`, 'wrong-token')).status, 401);
  const good = await httpGet(`http://127.0.0.1:${tcpPort}/v1/status`, 's3cret-token');
  assert.equal(good.status, 200);
  assert.equal(typeof (JSON.parse(good.body) as { pid: number }).pid, 'number');
});
