/** Submission with python smtplib, the independent client that sends MAIL/RCPT parameters verbatim (RFC 3461 DSN options). */
import assert from 'node:assert/strict';
import { run } from './procs.js';

export interface Submission {
  readonly sender: string;
  /** MAIL FROM parameters, e.g. ["RET=HDRS", "ENVID=X"]. */
  readonly mailOptions?: readonly string[];
  /** Each recipient with its RCPT TO parameters (NOTIFY=…, ORCPT=…); every one must get 250. */
  readonly recipients: readonly (readonly [string, readonly string[]])[];
  /** The message, CRLF line ends. */
  readonly message: string;
}

const SCRIPT = `
import json, smtplib, sys
port, sub = int(sys.argv[1]), json.loads(sys.stdin.read())
s = smtplib.SMTP('127.0.0.1', port)
s.ehlo('client.test')
s.mail(sub['sender'], sub['mailOptions'])
for rcpt, opts in sub['recipients']:
    code, text = s.rcpt(rcpt, opts)
    assert code == 250, (rcpt, code, text)
code, text = s.data(sub['message'].encode())
print(code, text.decode())
s.quit()
`;

/** Submits one message on port; resolves to the queue id from the 250 reply. */
export async function submitWithSmtplib(port: number, sub: Submission): Promise<string> {
  const arg = JSON.stringify({ ...sub, mailOptions: sub.mailOptions ?? [] });
  // On stdin, not argv: a message over ~128 KB would not fit in one argument (E2BIG).
  const r = await run('/usr/bin/python3', ['-c', SCRIPT, String(port)], { input: arg, timeoutMs: 20_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const id = /queued as (\S+)/.exec(r.stdout)?.[1];
  assert.ok(id, `a queue id in ${r.stdout}`);
  return id;
}
