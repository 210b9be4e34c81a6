/**
 * A private Postfix as a *destination* (the MX Petrel delivers to), after
 * /work/shared/peers/postfix-relay-bench.sh: its own config, queue and
 * data directories, smtpd on host:port (e.g. 127.0.0.2:<mxPort>); the system's Postfix is untouched.
 * Needs root (CI is root).
 *
 * - It accepts mail for `domains` (relay_domains) from 127/8 and puts every message on **hold**
 *   (smtpd_end_of_data_restrictions = HOLD, which applies to DATA and BDAT alike), so nothing is
 *   ever delivered onwards and each message stays readable with postcat: envelope (DSN
 *   attributes, recipients) and content.
 * - It advertises what Postfix 3.x does: PIPELINING, SIZE, ENHANCEDSTATUSCODES, 8BITMIME, DSN,
 *   SMTPUTF8 (smtputf8_enable = yes), CHUNKING; STARTTLS with a throwaway self-signed cert when
 *   `tls` is set.
 * - What arrived on the wire: `debug_peer_list = 127.0.0.0/8` makes smtpd log every command it
 *   reads ("< client: MAIL FROM:<…> SIZE=…", "BDAT 123 LAST") and every reply it sends, after TLS
 *   decryption; `sessions()` parses that dialogue out of the maillog, one entry per connection.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './ports.js';
import { writeCertificate } from './certs.js';
import { startPostfixInstance } from './postfix-instance.js';
import { run } from './procs.js';

export interface PostfixDestinationOptions {
  /** Listen address, e.g. '127.0.0.2' (any 127.0.0.0/8 address). */
  readonly host: string;
  readonly port: number;
  /** Domains accepted (relay_domains); default ['example.test']. */
  readonly domains?: readonly string[];
  /** Offer STARTTLS with a fresh self-signed certificate. */
  readonly tls?: boolean;
  /** Extra main.cf lines ("key = value"), appended last so they win. */
  readonly mainCf?: readonly string[];
}

/** One line of an SMTP dialogue as smtpd logged it: '<' read from the client, '>' sent to it. */
export interface WireLine {
  readonly dir: '<' | '>';
  readonly line: string;
}

/** One SMTP connection as smtpd saw it. */
export interface WireSession {
  readonly pid: number;
  readonly lines: readonly WireLine[];
  /** The client's commands only, in order. */
  readonly commands: readonly string[];
}

/** A held message: `postcat` output split into envelope records and content. */
export interface HeldMessage {
  readonly queueId: string;
  /** Envelope records as "name: value" (named_attribute lines keep their "named_attribute: " prefix). */
  readonly envelope: readonly string[];
  /** The message as stored (Postfix's Received first), LF line ends. */
  readonly content: string;
}

export interface PostfixDestination {
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  maillog(): string;
  /** Every SMTP connection smtpd logged so far, in order of their first logged line. */
  sessions(): WireSession[];
  /** Queue ids of the messages accepted so far (all on hold). */
  heldIds(): string[];
  /** Reads one held message with postcat. */
  held(queueId: string): Promise<HeldMessage>;
  /** Waits (bounded) until `n` messages are on hold, and returns them. */
  waitForHeld(n: number, ms?: number): Promise<HeldMessage[]>;
  stop(): Promise<void>;
}

// smtpd's debug_peer_list dialogue: "postfix/smtpd[123]: < unknown[127.0.0.1]: MAIL FROM:<a@b>"
const WIRE = /postfix\/smtpd\[(\d+)\]: ([<>]) [^\s:]+\[[0-9a-fA-F.:]+\]: (.*)$/;
const CONNECT = /postfix\/smtpd\[(\d+)\]: connect from /;

/** Splits the maillog's smtpd dialogue into connections (a smtpd process serves several in turn). */
export function parseSessions(maillog: string): WireSession[] {
  const sessions: { pid: number; lines: WireLine[] }[] = [];
  const open = new Map<number, { pid: number; lines: WireLine[] }>();
  for (const raw of maillog.split('\n')) {
    const c = CONNECT.exec(raw);
    if (c) {
      const s = { pid: Number(c[1]), lines: [] };
      sessions.push(s);
      open.set(s.pid, s);
      continue;
    }
    const m = WIRE.exec(raw);
    if (!m) continue;
    const s = open.get(Number(m[1]));
    s?.lines.push({ dir: m[2] as '<' | '>', line: m[3]! });
  }
  return sessions.map((s) => ({ ...s, commands: s.lines.filter((l) => l.dir === '<').map((l) => l.line) }));
}

function parsePostcat(queueId: string, out: string): HeldMessage {
  const lines = out.split('\n');
  const envStart = lines.findIndex((l) => l.startsWith('*** ENVELOPE RECORDS'));
  const contentStart = lines.findIndex((l) => l.startsWith('*** MESSAGE CONTENTS'));
  const contentEnd = lines.findIndex(
    (l) => l.startsWith('*** HEADER EXTRACTED') || l.startsWith('*** MESSAGE FILE END'),
  );
  if (envStart < 0 || contentStart < 0 || contentEnd < 0)
    throw new Error(`unexpected postcat output for ${queueId}:\n${out}`);
  return {
    queueId,
    envelope: lines.slice(envStart + 1, contentStart),
    content: lines.slice(contentStart + 1, contentEnd).join('\n'),
  };
}

/** Starts the destination in parent/postfix-dest-<host>-<port>; stop() stops it and removes the directory. */
export async function startPostfixDestination(
  parent: string,
  opts: PostfixDestinationOptions,
): Promise<PostfixDestination> {
  const { host, port } = opts;
  const dir = join(parent, `postfix-dest-${host}-${port}`);
  const tlsLines: string[] = [];
  if (opts.tls) {
    mkdirSync(dir, { recursive: true });
    const { cert, key } = writeCertificate(dir, 'mx1.example.test');
    tlsLines.push(
      'smtpd_tls_security_level = may',
      `smtpd_tls_cert_file = ${cert}`,
      `smtpd_tls_key_file = ${key}`,
      'smtpd_tls_loglevel = 1',
    );
  }
  const pf = await startPostfixInstance(dir, host, port, [
    'myhostname = pfx-dest.test',
    // The explicit address in master.cf decides where smtpd listens; inet_interfaces must name a
    // configured interface address, and 127.0.0.2 is not one (lo carries 127.0.0.1/8).
    'inet_interfaces = loopback-only',
    `relay_domains = ${(opts.domains ?? ['example.test']).join(', ')}`,
    // HOLD at end of data (DATA and BDAT): kept for postcat, never delivered onwards.
    'smtpd_end_of_data_restrictions = check_client_access static:HOLD',
    // Never used (everything is held), but an error: transport would make smtpd refuse the RCPT.
    'default_transport = discard:held, never delivered',
    'relay_transport = discard:held, never delivered',
    // Store what the client sent: no Message-ID/Date/From added for "local" (127/8) clients.
    'local_header_rewrite_clients =',
    'smtputf8_enable = yes',
    'debug_peer_list = 127.0.0.0/8',
    ...tlsLines,
    ...(opts.mainCf ?? []),
  ]);
  const heldIds = (): string[] =>
    existsSync(join(pf.spool, 'hold')) ? readdirSync(join(pf.spool, 'hold')).sort() : [];
  const held = async (queueId: string): Promise<HeldMessage> => {
    const out = await run('postcat', ['-c', pf.etc, '-q', queueId], { timeoutMs: 10_000 });
    if (out.code !== 0) throw new Error(`postcat ${queueId}: ${out.stderr}`);
    return parsePostcat(queueId, out.stdout);
  };
  return {
    host,
    port,
    dir,
    maillog: pf.maillog,
    sessions: () => parseSessions(pf.maillog()),
    heldIds,
    held,
    waitForHeld: async (n, ms = 15_000) => {
      const ids = await waitFor(
        `${n} message(s) on hold at Postfix`,
        () => (heldIds().length >= n ? heldIds() : undefined),
        ms,
        100,
      );
      return Promise.all(ids.map(held));
    },
    stop: pf.stop,
  };
}
