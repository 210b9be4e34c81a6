/**
 * What the MTA interop tests (Exim, OpenSMTPD) share: the message body that crosses Petrel, the
 * client that submits it to the peer, a Petrel with a certificate for STARTTLS, and the wait for
 * the stored copy in the peer's maildir.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeCertificate, run, waitFor } from '@petrel/testkit';
import type { Scenario } from './scenario.js';
import { scenarioConfig, startScenarioPetrel } from './petrel.js';

/**
 * The submitted body, `lines` lines of 8-bit UTF-8 text (~70 bytes each: 6000 lines are more than one
 * 256 KB BDAT chunk), with lines that start with a dot and lines that are only a dot.
 */
export function interopBody(lines: number): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    if (i % 500 === 0) out.push(`.${i} a line that starts with a dot`);
    else if (i % 777 === 0) out.push('.');
    else out.push(`${i} Grüße aus Köln — ${'x'.repeat(40)} ✓`);
  }
  return `${out.join('\r\n')}\r\n`;
}

/** A whole message around `body`: 8-bit text/plain from alice@sender.test to jane@via.test. */
export function interopMessage(subject: string, messageId: string, body: string): string {
  return `From: alice@sender.test\r\nTo: jane@via.test\r\nSubject: ${subject}\r\nMessage-ID: <${messageId}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${body}`;
}

// Python's smtplib from 127.0.0.5 (so the peer tells its client's submission from Petrel's delivery),
// BODY=8BITMIME, alice@sender.test to jane@via.test.
const SUBMIT = `
import smtplib, sys
host, port = sys.argv[1], int(sys.argv[2])
msg = sys.stdin.buffer.read()
s = smtplib.SMTP(host, port, source_address=('127.0.0.5', 0))
s.ehlo('client.test')
s.sendmail('alice@sender.test', ['jane@via.test'], msg, mail_options=['BODY=8BITMIME'])
s.quit()
`;

/** Submits `message` to the peer at host:port from 127.0.0.5 (bounded); throws on any refusal. */
export async function submitFrom127005(host: string, port: number, message: string): Promise<void> {
  const r = await run('/usr/bin/python3', ['-c', SUBMIT, host, String(port)], { input: message, timeoutMs: 20_000 });
  if (r.code !== 0) throw new Error(`submission to ${host}:${port} failed: ${r.stdout}${r.stderr}`);
}

/** Petrel for scenario `s` with a certificate, so it offers STARTTLS to the peer that relays through it. */
export async function startTlsPetrel(s: Scenario) {
  const pdir = join(s.dir, 'petrel');
  mkdirSync(pdir, { recursive: true });
  await makeCertificate(pdir);
  const toml = scenarioConfig(s).replace(
    'max_message_size = "10MB"',
    'max_message_size = "10MB"\ntls_certificate = "cert.pem"\ntls_key = "key.pem"',
  );
  return startScenarioPetrel(s, toml, pdir);
}

/** The path of the first message in maildir `box`'s new/ (bounded wait). */
export async function firstMaildirMessage(box: string): Promise<string> {
  const dir = join(box, 'new');
  const file = await waitFor('the message in the maildir', () => {
    try {
      return readdirSync(dir)[0];
    } catch {
      return undefined;
    }
  });
  return join(dir, file!);
}
