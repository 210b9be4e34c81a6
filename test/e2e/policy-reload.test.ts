import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scenario } from '../lib/scenario.js';
import { swaksVia } from '../lib/submit.js';
import { sinkBody, startSink, waitFor, run } from '@petrel/testkit';
import { startScenarioPetrel } from '../lib/petrel.js';
import { petrelCli } from '../lib/cli.js';

const version = (v: string): string =>
  `export default { data(ctx) { ctx.headers.add('X-Policy-Version', '${v}'); } };\n`;

/** The pid listening on 127.0.0.1:port (ss), to signal exactly the daemon this test started. */
async function pidOf(port: number): Promise<number> {
  const r = await run('ss', ['-Hltnp', `sport = :${port}`]);
  const m = /pid=(\d+)/.exec(r.stdout);
  assert.ok(m, `no pid for port ${port}: ${r.stdout}`);
  return Number(m[1]);
}

// A session opened before the reload: EHLO and MAIL, then it waits for a marker file before RCPT
// and DATA, so its message is finished after the new module is in.
const IN_FLIGHT = `
import os, smtplib, sys, time
port, marker = int(sys.argv[1]), sys.argv[2]
s = smtplib.SMTP('127.0.0.1', port)
s.ehlo('inflight.test')
s.mail('inflight@x.test')
for _ in range(600):
    if os.path.exists(marker): break
    time.sleep(0.05)
s.rcpt('inflight@reload.test')
code, text = s.data(b'Subject: in flight\\r\\n\\r\\nbody\\r\\n')
print(code, text.decode())
s.quit()
`;

test('reload swaps the module under load: no refused or lost message; sessions in flight finish on the old code; a bad module is refused and the old set stays', {
  timeout: 240_000,
}, async (t) => {
  const s = await scenario(t, ['mx-host=reload.test,sink.reload.test,10', 'host-record=sink.reload.test,127.0.0.5']);
  const sink = s.stopAfter(await startSink(s.dir, '127.0.0.5', s.mxPort));
  const dir = join(s.dir, 'petrel');
  const module = join(dir, 'policy', 'version.mjs');
  mkdirSync(join(dir, 'policy'), { recursive: true });
  writeFileSync(module, version('1'));
  const petrel = await startScenarioPetrel(
    s,
    {
      extra: '\n[[policy]]\nmodule = "policy/version.mjs"\n',
    },
    dir,
  );

  const marker = join(s.dir, 'go-on');
  const inflight = run('/usr/bin/python3', ['-c', IN_FLIGHT, String(s.listenPort), marker], { timeoutMs: 60_000 });

  // Load: three clients sending back to back while the module changes under them.
  let sending = true;
  const results: { code: number | null; out: string }[] = [];
  const client = async (n: number): Promise<void> => {
    for (let i = 0; sending && i < 200; i++) {
      results.push(await swaksVia(s.listenPort, `c${n}@x.test`, `r${n}-${i}@reload.test`));
    }
  };
  const clients = [client(1), client(2), client(3)];
  await waitFor('a few messages under version 1', () => results.length >= 6 || undefined, 60_000, 50);

  writeFileSync(module, version('2'));
  const reload = await petrelCli(petrel, ['config', 'reload']);
  assert.equal(reload.code, 0, reload.stderr);
  assert.match(reload.stdout + reload.stderr, /policy modules \(1 loaded\)/);
  const afterReload = results.length;
  writeFileSync(marker, '');
  await waitFor('a few messages under version 2', () => results.length >= afterReload + 6 || undefined, 60_000, 50);

  // A module that does not validate: refused with file and reason; the old set (version 2) stays.
  writeFileSync(module, 'export default { rcptto() {} };\n');
  const bad = await petrelCli(petrel, ['config', 'reload']);
  assert.notEqual(bad.code, 0);
  assert.match(
    bad.stderr + bad.stdout,
    new RegExp(`${module.replace(/[.]/g, '\\.')}: unknown hook "rcptto" \\(did you mean "rcptTo"\\?\\)`),
  );
  const afterBad = results.length;
  await waitFor(
    'more messages after the refused reload',
    () => results.length >= afterBad + 3 || undefined,
    60_000,
    50,
  );

  // SIGHUP loads the module file again too.
  writeFileSync(module, version('3'));
  process.kill(await pidOf(s.listenPort), 'SIGHUP');
  const afterHup = results.length;
  // The reload is one import: a dozen messages later it has long been in.
  await waitFor('more messages after SIGHUP', () => results.length >= afterHup + 12 || undefined, 60_000, 50);
  sending = false;
  await Promise.all(clients);

  const py = await inflight;
  assert.equal(py.code, 0, py.stderr);
  assert.match(py.stdout, /^250 /);

  // Nothing refused, nothing lost: every accepted message reaches the sink.
  const refused = results.filter((r) => r.code !== 0);
  assert.deepEqual(
    refused.map((r) => r.out.split('\n').filter((l) => /^<\*\*/.test(l))),
    [],
  );
  const total = results.length + 1;
  await waitFor(`all ${total} messages at the sink`, () => sink.messages().length >= total || undefined, 120_000, 200);
  const versions = sink.messages().map((d) => /^X-Policy-Version: (\d)$/m.exec(sinkBody(d))?.[1]);
  assert.equal(versions.length, total);
  assert.ok(
    versions.every((v) => v !== undefined),
    'every message went through the data hook',
  );
  for (const v of ['1', '2', '3'])
    assert.ok(versions.includes(v), `some messages under version ${v}: ${versions.join('')}`);
  const inflightDump = sink.messages().find((d) => d.includes('<inflight@x.test>'));
  assert.ok(inflightDump);
  assert.match(sinkBody(inflightDump), /^X-Policy-Version: 1$/m, 'the session opened before the reload kept version 1');
  assert.equal(existsSync(marker), true);
});
