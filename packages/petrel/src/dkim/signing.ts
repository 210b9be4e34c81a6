/**
 * The listener's signing hook point filled from the running config's [[dkim]] keys: choose the
 * keys for a message (docs/dkim.md: `match`, `bindings`, `binding_groups`, then the policy
 * modules' dkimSign hook), sign with @petrel/dkim, and apply `[dkim_options] on_failure` when a
 * message cannot be signed. Lives in the app because it joins a library (dkim), the binding rules
 * of routing and the policy set; the listener only calls the hook point.
 */
import { SmtpReply, type Clock, type Logger, type MessageEnvelope, type PetrelConfig } from '@petrel/core';
import { fromDomainOf, selectKeys, signMessageAsync, splitMessage as splitFields } from '@petrel/dkim';
import type { MessageSigner, MessageSignerSource, SignRequest, SignResult } from '@petrel/listener';
import { HeaderSection, POLICY_FAILURE_REPLY, splitMessage, type DkimKeyInfo, type PolicySet } from '@petrel/policy';
import { rulesFromConfig, type AssignmentRule } from '@petrel/routing';
import { readOnlyHeaders } from '../policy/adapters.js';

/** RFC 3463 X.7.5 "cryptographic failure": the client may retry; nothing was accepted. */
export function unsignableReply(why: string): SmtpReply {
  return new SmtpReply(451, `Error: message cannot be DKIM-signed: ${why}`, '4.7.5');
}

export interface SigningOptions {
  readonly config: () => PetrelConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The current policy modules (the dkimSign hook). */
  readonly policy: () => PolicySet;
}

/** Binding rules compiled once per config object (a reload makes a new one). */
const rulesOf = new WeakMap<PetrelConfig, AssignmentRule[]>();

/**
 * The bindings and groups the [[binding_rule]] tables give the message's recipient domains: a rule
 * naming a binding gives it and its group, a rule naming a group gives the group (the pick inside
 * the group is routing's, later); no rule gives `default`. The setBinding hook is not consulted.
 */
function assigned(
  config: PetrelConfig,
  envelope: MessageEnvelope,
  header: (name: string) => string | undefined,
): { bindings: Set<string>; groups: Set<string> } {
  let rules = rulesOf.get(config);
  if (!rules) {
    rules = rulesFromConfig(config);
    rulesOf.set(config, rules);
  }
  const bindings = new Set<string>();
  const groups = new Set<string>();
  const domains = new Set(
    envelope.recipients.map((r) => r.address.slice(r.address.lastIndexOf('@') + 1).toLowerCase()),
  );
  for (const domain of domains) {
    let target: ReturnType<AssignmentRule['match']>;
    for (const rule of rules) {
      target = rule.match({ envelope, domain, header });
      if (target) break;
    }
    const name = target?.name ?? 'default';
    if (target?.kind === 'group') groups.add(name);
    else {
      bindings.add(name);
      const group = config.scopes.bindings.get(name)?.group;
      if (group !== undefined) groups.add(group);
    }
  }
  return { bindings, groups };
}

const info = (k: DkimKeyInfo): DkimKeyInfo => ({ domain: k.domain, selector: k.selector, algorithm: k.algorithm });

async function sign(o: SigningOptions, req: SignRequest): Promise<SignResult> {
  const config = o.config();
  const { envelope, body } = req;
  const fail = (why: string, err?: unknown): SignResult => {
    const tempfail = config.dkimOptions.on_failure === 'tempfail';
    o.logger.warn(
      {
        id: envelope.id,
        sender: envelope.sender,
        why,
        ...(err ? { err } : {}),
        on_failure: config.dkimOptions.on_failure,
      },
      tempfail ? 'message cannot be DKIM-signed; answered 451 4.7.5' : 'message cannot be DKIM-signed; sent unsigned',
    );
    return tempfail ? { reply: unsignableReply(why) } : undefined;
  };
  const split = splitFields(body);
  const from = split.fields.filter((f) => f.name.toLowerCase() === 'from');
  if (from.length === 0) return fail('the message has no From: header field (RFC 6376 §5.4)');
  const headers = HeaderSection.lazy(() => splitMessage(body).head);
  const fromRaw = from[0]!.raw;
  const fromDomain = fromDomainOf(fromRaw.slice(fromRaw.indexOf(':') + 1).replace(/\r\n/g, ''));
  const at = envelope.sender.lastIndexOf('@');
  const narrowed = config.dkim.some((k) => k.bindings.length > 0 || k.bindingGroups.length > 0);
  const a = narrowed
    ? assigned(config, envelope, (n) => headers.get(n))
    : { bindings: new Set<string>(), groups: new Set<string>() };
  let keys = selectKeys(config.dkim, {
    fromDomain,
    senderDomain: at < 0 ? '' : envelope.sender.slice(at + 1).toLowerCase(),
    bindings: a.bindings,
    bindingGroups: a.groups,
  });
  const set = o.policy();
  if (set.has('dkimSign')) {
    const r = await set.dkimSign(
      {
        session: req.session,
        sender: envelope.sender,
        recipients: envelope.recipients.map((x) => x.address),
        headers: readOnlyHeaders(headers),
        available: config.dkim.map(info),
      },
      keys.map(info),
    );
    if (!r.ok) return { reply: POLICY_FAILURE_REPLY };
    keys = r.keys.map((c) => config.dkim.find((k) => k.domain === c.domain && k.selector === c.selector)!);
  }
  if (keys.length === 0) return undefined;
  try {
    return { prepend: await signMessageAsync(body, keys, o.clock.now()) };
  } catch (err) {
    return fail((err as Error).message, err);
  }
}

/** The hook point: undefined while no [[dkim]] key is configured, so unsigned relaying pays nothing. */
export function dkimSignerSource(o: SigningOptions): MessageSignerSource {
  const signer: MessageSigner = (req) => sign(o, req);
  return () => (o.config().dkim.length > 0 ? signer : undefined);
}
