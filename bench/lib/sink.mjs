// smtp-sink with its running counters parsed: resolves when it has seen N messages.
import { spawn } from 'node:child_process';
import { waitForPort } from './procs.mjs';

export async function startCountingSink(host, port) {
  const child = spawn('smtp-sink', ['-u', 'nobody', '-c', `${host}:${port}`, '1024'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let last = 0;
  let tail = '';
  child.stdout.on('data', (d) => {
    tail = (tail + d.toString()).slice(-200);
    const all = [...tail.matchAll(/mesg=(\d+)/g)];
    if (all.length) last = Number(all[all.length - 1][1]);
  });
  await waitForPort(host, port);
  return {
    pid: child.pid,
    count: () => last,
    async waitFor(n, ms) {
      const deadline = Date.now() + ms;
      while (last < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      return last >= n;
    },
    stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))),
  };
}
