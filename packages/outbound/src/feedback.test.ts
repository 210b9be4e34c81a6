import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseVerp } from '@petrel/core';
import { freePort, startAio, type Aio } from '@petrel/testkit';
import { Harness, hostsRoute, makeJob } from './testkit/harness.js';

describe('outbound feedback loop: VERP senders and suppression at delivery', () => {
  let aio: Aio;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'petrel-outbound-verp-'));
    chmodSync(dir, 0o755);
    aio = await startAio(dir, '127.0.0.1', await freePort());
  });
  after(async () => {
    await aio?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends one transaction per recipient, each from its own VERP address that parses back to message and recipient', async () => {
    const h = new Harness({
      route: hostsRoute(aio.port, ['127.0.0.1']),
      global:
        'idle_timeout = "100ms"\nverp_domain = "rp.test"\n[bounce]\nreturn_path_domains = ["rp.test"]\nverp_secret = "k"',
    });
    await h.svc.start();
    try {
      const job = makeJob('example.test', ['ann', 'Bob.Smith+x']);
      h.enqueue([job]);
      await h.settled(1);
      assert.deepEqual(
        h.attempts[0]!.outcomes.map((o) => o.status),
        ['delivered', 'delivered'],
      );
      const envs = aio.messages().map((m) => {
        const t = m.toString();
        return [/^X-Env-From: <?([^>\s]+)/m.exec(t)?.[1] ?? '', /^X-Env-To: (.*)$/m.exec(t)?.[1]?.trim() ?? ''];
      });
      assert.equal(envs.length, 2, 'two transactions');
      for (const [from, to] of envs) {
        const v = parseVerp({ prefix: 'b', secret: 'k' }, from!, new Set(['rp.test']));
        assert.ok(v, from);
        assert.equal(v.messageId, job.messageId.toUpperCase());
        assert.equal(v.verified, true);
        assert.equal(v.recipient.toLowerCase(), to!.toLowerCase(), 'each transaction has only its own recipient');
      }
    } finally {
      await h.svc.stop();
    }
  });

  it('fails a recipient suppressed in the job binding group as 550 5.7.1 [internal] without sending to it', async () => {
    const before = aio.messages().length;
    const h = new Harness({ route: hostsRoute(aio.port, ['127.0.0.1']), global: 'idle_timeout = "100ms"' });
    const asked: string[] = [];
    h.bus.handle('suppression.check', ({ address, bindingGroup }) => {
      asked.push(`${address}/${bindingGroup}`);
      return address === 'gone@example.test' && bindingGroup === 'default'
        ? { address, scope: 'default', reason: 'manual', source: 't', createdAt: 0 }
        : null;
    });
    await h.svc.start();
    try {
      h.enqueue([makeJob('example.test', ['gone', 'here'])]);
      await h.settled(1);
      const byAddress = Object.fromEntries(h.attempts[0]!.outcomes.map((o) => [o.address, o]));
      assert.equal(byAddress['here@example.test']?.status, 'delivered');
      assert.equal(byAddress['gone@example.test']?.status, 'permanent');
      assert.equal(byAddress['gone@example.test']?.reply.enhanced, '5.7.1');
      assert.match(byAddress['gone@example.test']!.reply.lines.join(' '), /\[internal\] discarded by policy/);
      assert.deepEqual(asked.sort(), ['gone@example.test/default', 'here@example.test/default']);
      const sent = aio
        .messages()
        .slice(before)
        .map((m) => /^X-Env-To: (.*)$/m.exec(m.toString())?.[1]?.trim());
      assert.deepEqual(sent, ['here@example.test']);
    } finally {
      await h.svc.stop();
    }
  });

  it('a recipient suppressed by this same message (its own lost hard failure) is sent again, not held', async () => {
    const before = aio.messages().length;
    const h = new Harness({ route: hostsRoute(aio.port, ['127.0.0.1']), global: 'idle_timeout = "100ms"' });
    const job = makeJob('example.test', ['again']);
    h.bus.handle('suppression.check', ({ address }) => ({
      address,
      scope: 'global',
      reason: 'hard_bounce',
      bounceClass: 10,
      source: job.messageId,
      createdAt: 0,
    }));
    await h.svc.start();
    try {
      h.enqueue([job]);
      await h.settled(1);
      assert.equal(h.attempts[0]!.outcomes[0]?.status, 'delivered');
      assert.equal(aio.messages().length, before + 1);
    } finally {
      await h.svc.stop();
    }
  });
});
