/**
 * What the feedback-loop tests with real MTAs share: an Exim MX whose bounces go to Petrel's
 * return-path domain while example.test goes on to a next hop, and the check that a delay warning
 * and an expiry bounce come back as a delay (70) and an expiry (24) that suppress nobody.
 */
import assert from 'node:assert/strict';
import type { EximConfig } from '@petrel/testkit';
import { petrelJson } from './cli.js';
import type { EventRecord, PetrelHandle } from './petrel.js';

/**
 * Exim's routers and transports: rp.test (the VERP return path) to Petrel on 127.0.0.1:listenPort,
 * example.test (only `localParts` when given) to the next hop on 127.0.0.4:nextPort, and `between`
 * routers tried after the first and before the second.
 */
export function eximRoutes(
  listenPort: number,
  nextPort: number,
  opts: { between?: readonly string[]; localParts?: string } = {},
): Pick<EximConfig, 'routers' | 'transports'> {
  return {
    routers: [
      'to_petrel:',
      '  driver = manualroute',
      '  domains = rp.test',
      '  transport = to_petrel',
      '  route_list = * 127.0.0.1',
      '  self = send',
      ...(opts.between ?? []),
      'relayed:',
      '  driver = manualroute',
      '  domains = example.test',
      ...(opts.localParts ? [`  local_parts = ${opts.localParts}`] : []),
      '  transport = to_next',
      '  route_list = * 127.0.0.4',
    ].join('\n'),
    transports: [
      'to_petrel:',
      '  driver = smtp',
      `  port = ${listenPort}`,
      'to_next:',
      '  driver = smtp',
      `  port = ${nextPort}`,
    ].join('\n'),
  };
}

/**
 * Waits (bounded) for an MTA's delay warning and its expiry bounce about message `id` and `recipient`,
 * and checks them: tied by VERP, a delay (70) and an expiry (24), neither suppressing.
 */
export async function expectDelayThenExpiry(petrel: PetrelHandle, id: string, recipient: string): Promise<void> {
  const oob = (e: readonly EventRecord[], action: string) =>
    e.find((x) => x.type === 'out_of_band' && x.message_id === id && x.action === action);
  const ev = await petrel.waitForEvents(
    'the delay warning and the expiry bounce',
    (e) => oob(e, 'delayed') !== undefined && oob(e, 'failed') !== undefined,
    90_000,
  );
  for (const [action, bounceClass] of [
    ['delayed', 70],
    ['failed', 24],
  ] as const) {
    const r = oob(ev, action)!;
    assert.equal(r.recipient, recipient, action);
    assert.equal(r.tied_by, 'verp', action);
    // The next hop's 4xx: nothing says the address is gone.
    assert.match(String(r.reply), /^4\d\d /, action);
    assert.equal(r.bounce_class, bounceClass, `${action}: ${String(r.reply)}`);
    assert.equal(r.suppressed ?? false, false, action);
  }
  const list = await petrelJson<unknown[]>(petrel, ['suppression', 'list']);
  assert.deepEqual(list, [], 'a delay or an expiry suppresses nobody');
}
