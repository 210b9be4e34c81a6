import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';

const WATCHDOG = new URL('./watchdog.js', import.meta.url).href;

function run(
  code: string,
): Promise<{ signal: NodeJS.Signals | null; code: number | null; stderr: string; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) =>
    child.on('exit', (c, signal) => resolve({ signal, code: c, stderr, ms: Date.now() - started })),
  );
}

test('a blocked event loop is killed with SIGKILL after the limit, with one line on stderr', {
  timeout: 60_000,
}, async () => {
  // The child starts the watchdog, then spins forever (a synchronous infinite loop).
  const r = await run(
    `import { startWatchdog } from ${JSON.stringify(WATCHDOG)}; startWatchdog({ timeoutMs: 500 }); setTimeout(() => { for (;;) {} }, 50);`,
  );
  assert.equal(r.signal, 'SIGKILL');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /watchdog: the event loop has been blocked for \d+ ms \(limit 500 ms\).*SIGKILL/);
});

test('a busy but responsive process is left alone and exits normally', { timeout: 60_000 }, async () => {
  const r = await run(
    `import { startWatchdog } from ${JSON.stringify(WATCHDOG)}; const w = startWatchdog({ timeoutMs: 500 }); let n = 0; const t = setInterval(() => { const end = Date.now() + 50; while (Date.now() < end); if (++n === 20) { clearInterval(t); w.stop(); } }, 1);`,
  );
  assert.equal(r.signal, null);
  assert.equal(r.code, 0);
  assert.equal(r.stderr, '');
});
