import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { createLogger, domainOf, formatReply, isPetrelError, type PetrelConfig } from '@petrel/core';
import type { PolicySet } from '@petrel/policy';
import { DEFAULT_CONFIG } from '../paths.js';
import { EXIT_CONFIG, fail, loadOrExit } from './common.js';

const PHASES = ['connect', 'ehlo', 'mailFrom', 'rcptTo', 'data', 'setBinding'] as const;
type Phase = (typeof PHASES)[number];

/** Loads the config's modules (no daemon) or exits 2 naming the file and the reason. */
async function loadSet(config: PetrelConfig): Promise<PolicySet> {
  const logger = createLogger({ level: 'warn' });
  // Loaded here, not at the top: the policy host pulls in the SMTP client, which other verbs never need.
  const { PolicyMetrics, loadPolicySet } = await import('@petrel/policy');
  try {
    return await loadPolicySet(
      config.policy.map((p) => ({ file: p.module, timeoutMs: p.timeout })),
      {
        logger,
        metrics: new PolicyMetrics(),
        inject: async (m) => {
          process.stdout.write(`inject(): would store a message from <${m.from}> to ${JSON.stringify(m.to)}\n`);
          return { id: 'policy-test' };
        },
      },
    );
  } catch (e) {
    if (isPetrelError(e)) fail(e.message, EXIT_CONFIG);
    throw e;
  }
}

interface TestOptions {
  config: string;
  phase: string;
  from: string;
  to: string[];
  client: string;
  helo: string;
  message?: string;
  json?: boolean;
}

/** `petrel policy …`: check and try policy modules without a running daemon. */
export function registerPolicy(program: Command): void {
  const cmd = program.command('policy').description('policy modules (docs/policy.md)');
  cmd
    .command('check')
    .description('load and validate the [[policy]] modules of a configuration (0 = valid, 2 = errors)')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .action(async (o: { config: string }) => {
      const config = loadOrExit(o.config);
      if (config.policy.length === 0) {
        process.stdout.write(`${o.config}: no [[policy]] modules\n`);
        return;
      }
      const set = await loadSet(config);
      for (const m of set.modules) {
        const hooks = Object.keys(m.policy).join(', ');
        process.stdout.write(`${m.file}: ok (${hooks || 'no hooks'}; timeout ${m.timeoutMs} ms)\n`);
      }
    });
  cmd
    .command('test')
    .description('run the hooks of one phase on a synthetic session and print the decision')
    .requiredOption('--phase <phase>', `one of ${PHASES.join(', ')}`)
    .option('--from <address>', 'envelope sender ("" = <>)', '')
    .option('--to <address...>', 'recipient(s)', [])
    .option('--client <ip>', 'client address', '127.0.0.1')
    .option('--helo <name>', 'EHLO name', 'client.test')
    .option('--message <file>', 'message file for the data phase (default: a minimal message)')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .option('--json', 'machine-readable output')
    .action(async (o: TestOptions) => {
      if (!(PHASES as readonly string[]).includes(o.phase))
        fail(`--phase: expected one of ${PHASES.join(', ')}, found "${o.phase}"`, EXIT_CONFIG);
      const phase = o.phase as Phase;
      const config = loadOrExit(o.config);
      const set = await loadSet(config);
      const session = {
        connectionId: 'policy-test',
        client: { address: o.client, port: 0 },
        helo: o.helo,
        esmtp: true,
        tls: false,
      };
      const out: { phase: Phase; target?: string; decision: string; reply?: string; headers?: string[] }[] = [];
      const verdict = (r: { code: number } | undefined): { decision: string; reply?: string } =>
        r
          ? { decision: r.code >= 500 ? 'refuse' : 'tempfail', reply: formatReply(r as never) }
          : { decision: 'accept' };
      if (!set.has(phase)) out.push({ phase, decision: 'accept', reply: `(no module defines ${phase})` });
      else if (phase === 'connect') out.push({ phase, ...verdict(await set.inbound('connect', { session })) });
      else if (phase === 'ehlo')
        out.push({ phase, ...verdict(await set.inbound('ehlo', { session, helo: o.helo, esmtp: true })) });
      else if (phase === 'mailFrom')
        out.push({
          phase,
          target: o.from,
          ...verdict(await set.inbound('mailFrom', { session, sender: o.from, parameters: {} })),
        });
      else if (phase === 'rcptTo') {
        if (o.to.length === 0) fail('--to: give at least one recipient', EXIT_CONFIG);
        const accepted: string[] = [];
        for (const to of o.to) {
          const r = await set.inbound('rcptTo', {
            session,
            sender: o.from,
            recipient: to,
            domain: domainOf(to),
            accepted: [...accepted],
            parameters: {},
          });
          if (!r) accepted.push(to);
          out.push({ phase, target: to, ...verdict(r) });
        }
      } else if (phase === 'data') {
        const text =
          o.message !== undefined
            ? readFileSync(o.message)
            : Buffer.from(`From: ${o.from}\r\nTo: ${o.to.join(', ')}\r\nSubject: policy test\r\n\r\ntest\r\n`);
        const { HeaderSection, splitMessage } = await import('@petrel/policy');
        const { head } = splitMessage(Buffer.from(text.toString('utf8').replace(/\r?\n/g, '\r\n')));
        const headers = HeaderSection.parse(head);
        const r = await set.inbound('data', {
          session,
          sender: o.from,
          recipients: o.to,
          headers,
          body: () => Buffer.alloc(0),
          size: text.length,
        });
        out.push({ phase, ...verdict(r), headers: headers.entries().map(([k, v]) => `${k}: ${v}`) });
      } else {
        for (const domain of [...new Set(o.to.map(domainOf))]) {
          const t = await set.setBinding(
            {
              message: {
                id: 'policy-test',
                sender: o.from,
                recipients: o.to,
                receivedAt: Date.now(),
                size: 0,
                client: { address: o.client, helo: o.helo },
              },
              domain,
              recipients: o.to.filter((x) => domainOf(x) === domain),
            },
            (x) => ('binding' in x ? config.scopes.bindings.has(x.binding) : config.scopes.groups.has(x.bindingGroup)),
          );
          out.push({
            phase,
            target: domain,
            decision: t
              ? 'binding' in t
                ? `binding ${t.binding}`
                : `binding group ${t.bindingGroup}`
              : 'configured rules',
          });
        }
      }
      if (o.json) return void process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      for (const x of out) {
        process.stdout.write(
          `${x.phase}${x.target !== undefined ? ` ${x.target || '<>'}` : ''}: ` +
            `${x.decision}${x.reply ? ` ${x.reply}` : ''}\n`,
        );
        for (const h of x.headers ?? []) process.stdout.write(`  ${h}\n`);
      }
    });
}
