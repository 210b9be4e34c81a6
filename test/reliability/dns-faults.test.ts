import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import dns2 from 'dns2';
import nodemailer from 'nodemailer';
import { scenario } from '../lib/scenario.js';
import { startPetrel, testConfig, type EventRecord } from '../lib/petrel.js';
import { figures } from './helpers.js';
import { startSink, freePort, waitFor } from '@petrel/testkit';

/**
 * What dnsmasq cannot serve (it refuses a CNAME loop in its config and never answers SERVFAIL):
 * a dns2 server that dnsmasq forwards two zones to. servfail.test → rcode 2; loop.test ↔
 * loop2.loop.test CNAME each other (RFC 1034 §3.6.2: a loop is an error the resolver must catch).
 */
async function startOddDns(): Promise<{ port: number; queries: string[]; stop: () => Promise<void> }> {
  const queries: string[] = [];
  const server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const response = dns2.Packet.createResponseFromRequest(request);
      for (const q of request.questions) {
        queries.push(`${String(q.type)} ${q.name}`);
        const name = q.name.toLowerCase();
        if (name.endsWith('servfail.test')) response.header.rcode = 2;
        else if (name === 'loop.test' || name === 'loop2.loop.test') {
          response.header.aa = 1;
          response.answers.push({
            name: q.name,
            type: dns2.Packet.TYPE.CNAME,
            class: dns2.Packet.CLASS.IN,
            ttl: 60,
            domain: name === 'loop.test' ? 'loop2.loop.test' : 'loop.test',
          } as never);
        }
      }
      send(response);
    },
  });
  const port = await freePort();
  await server.listen({ udp: { port, address: '127.0.0.1' } });
  return { port, queries, stop: () => server.close() };
}

type Expect = 'transient' | 'permanent';
interface DnsFault {
  readonly domain: string;
  readonly expect: Expect;
  readonly reply: RegExp;
}

const FAULTS: readonly DnsFault[] = [
  { domain: 'timeout.test', expect: 'transient', reply: /^454 4\.4\.4 / },
  { domain: 'servfail.test', expect: 'transient', reply: /^454 4\.4\.4 / },
  { domain: 'nothere.test', expect: 'permanent', reply: /^554 5\.4\.4 / },
  { domain: 'nullmx.test', expect: 'permanent', reply: /^556 5\.1\.10 / },
  { domain: 'noaddr.test', expect: 'transient', reply: /^4\d\d / },
  { domain: 'loop.test', expect: 'transient', reply: /^454 4\.4\.4 / },
];

test('DNS faults: timeout, SERVFAIL, NXDOMAIN, null MX, MX without address, CNAME loop end as expected in the event log', async (t) => {
  const odd = await startOddDns();
  t.after(() => odd.stop());
  const s = await scenario(t, [
    'mx-host=ok.test,mx.ok.test,10',
    'host-record=mx.ok.test,127.0.0.19',
    // an MX whose target has no A/AAAA record
    'mx-host=noaddr.test,mx.noaddr.test,10',
    `server=/servfail.test/127.0.0.1#${odd.port}`,
    `server=/loop.test/127.0.0.1#${odd.port}`,
  ]);
  const okSink = await startSink(s.dir, '127.0.0.19', s.mxPort);
  s.defer(() => okSink.stop());
  const toml = testConfig({
    listenPort: s.listenPort,
    dnsServer: s.dns.server,
    remotePort: s.mxPort,
    global: 'retry_interval = "1s"\nmax_retry_interval = "1s"',
  });
  const petrel = await startPetrel(join(s.dir, 'petrel'), toml, s.listenPort);
  s.defer(() => petrel.stop());

  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: s.listenPort,
    secure: false,
    ignoreTLS: true,
  });
  for (const f of FAULTS) {
    const info = await transport.sendMail({
      from: 'sender@ok.test',
      to: `user@${f.domain}`,
      subject: f.domain,
      messageId: `<${f.domain}@dns-faults.test>`,
      text: `dns fault ${f.domain}\n`,
    });
    assert.match(info.response, /^250 /);
  }
  transport.close();

  const mine = (ev: EventRecord[], f: DnsFault): EventRecord[] => ev.filter((e) => e.recipient === `user@${f.domain}`);
  const done = (ev: EventRecord[], f: DnsFault): boolean =>
    f.expect === 'permanent'
      ? mine(ev, f).some((e) => e.type === 'bounce')
      : mine(ev, f).filter((e) => e.type === 'transient_failure').length >= 2;
  await petrel.waitForEvents('every DNS fault to reach its outcome', (ev) => FAULTS.every((f) => done(ev, f)), 30_000);
  const ev = petrel.events();
  const rows: Record<string, string> = {};
  for (const f of FAULTS) {
    const m = mine(ev, f);
    const outcome = m.find((e) => e.type === (f.expect === 'permanent' ? 'permanent_failure' : 'transient_failure'));
    assert.ok(outcome, `${f.domain}: ${f.expect} outcome`);
    rows[f.domain] = `${f.expect}: ${String(outcome.reply)}`;
    assert.match(String(outcome.reply), f.reply, f.domain);
    assert.ok(!m.some((e) => e.type === 'delivery'), `${f.domain}: never delivered`);
    if (f.expect === 'transient') {
      assert.deepEqual(
        m
          .filter((e) => e.type === 'transient_failure')
          .map((e) => e.attempt)
          .slice(0, 2),
        [1, 2],
        `${f.domain}: retried`,
      );
      assert.ok(!m.some((e) => e.type === 'permanent_failure'), `${f.domain}: not failed permanently`);
    }
  }
  // The odd server was really asked (through dnsmasq): the faults are the ones named.
  assert.ok(
    odd.queries.some((q) => q.includes('servfail.test')),
    'SERVFAIL server asked',
  );
  assert.ok(
    odd.queries.some((q) => q.includes('loop')),
    'CNAME loop server asked',
  );
  const permanent = FAULTS.filter((f) => f.expect === 'permanent').length;
  await waitFor(`${permanent} DSNs at the sender's MX`, () => okSink.messages().length >= permanent, 15_000);
  figures('dns-faults', {
    cases: FAULTS.length,
    permanent,
    transient: FAULTS.length - permanent,
    dsnsAtSender: okSink.messages().length,
    outcomes: rows,
  });
});
