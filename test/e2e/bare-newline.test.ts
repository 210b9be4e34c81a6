import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { scenario } from '../lib/scenario.js';
import { scenarioConfig, startScenarioPetrel } from '../lib/petrel.js';
import { sinkBody, startSink, run, waitFor } from '@petrel/testkit';

/** A legacy client written in python: LF-only line ends everywhere, and a "\n.\n" smuggling attempt. */
const LEGACY = `
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
f = s.makefile('rb')
def reply():
    lines = []
    while True:
        l = f.readline().decode()
        lines.append(l.strip())
        if len(l) < 4 or l[3] != '-': return ' | '.join(lines)
print(reply())
for cmd in [b'EHLO legacy.test\\n', b'MAIL FROM:<old@test.local>\\n', b'RCPT TO:<new@example.test>\\n', b'DATA\\n']:
    s.sendall(cmd); print(reply())
s.sendall(b'Subject: legacy\\nMessage-ID: <legacy-1@test.local>\\n\\nfirst line\\n.\\nMAIL FROM:<evil@test.local>\\nRCPT TO:<smuggled@example.test>\\n..last line\\r\\n.\\r\\n')
print(reply())
s.sendall(b'QUIT\\r\\n'); print(reply())
`;

async function legacyClient(port: number): Promise<string[]> {
  const r = await run('/usr/bin/python3', ['-c', LEGACY, String(port)], { timeoutMs: 20_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split('\n');
}

test('bare_newline: refused by default (500/554 5.5.2); "normalize" takes a legacy LF-only client, stores CRLF, and "\\n.\\n" smuggles nothing', async (t) => {
  const s = await scenario(t);
  const sink = s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort));

  const strict = await startScenarioPetrel(s, scenarioConfig(s), join(s.dir, 'strict'));
  const refused = await legacyClient(s.listenPort);
  assert.match(refused[1]!, /^500 5\.5\.2 Bare <LF> or <CR> not allowed in a command/);
  await strict.stop();

  const cfg = scenarioConfig(s).replace(
    'max_message_size = "10MB"',
    'max_message_size = "10MB"\nbare_newline = "normalize"',
  );
  const p = await startScenarioPetrel(s, cfg, join(s.dir, 'normalize'));
  const replies = await legacyClient(s.listenPort);
  assert.match(replies[4]!, /^354 /);
  assert.match(replies[5]!, /^250 2\.0\.0 Ok: queued as /);
  await p.waitForEvents('the delivery', (e) => e.some((x) => x.type === 'delivery'));
  const dumps = await waitFor('the message at the sink', () =>
    sink.messages().length > 0 ? sink.messages() : undefined,
  );
  assert.equal(dumps.length, 1, 'one message: the smuggled one never existed');
  assert.ok(!p.events().some((e) => e.recipient === 'smuggled@example.test'));
  const body = sinkBody(dumps[0]!);
  assert.match(
    body,
    /^first line\n\nMAIL FROM:<evil@test\.local>\nRCPT TO:<smuggled@example\.test>\n\.last line\n/m,
    'the attempt is plain body text',
  );
});
