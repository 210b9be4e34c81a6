/**
 * Petrel between two real Exims (4.96, Debian's exim4-daemon-light): Exim's SMTP client relays a
 * message to Petrel's listener over STARTTLS, and Petrel delivers it to Exim's SMTP server, which
 * stores it in a maildir. Both legs may use CHUNKING (RFC 3030), PIPELINING (RFC 2920) and 8BITMIME
 * (RFC 6152) as each side advertises; the stored body must be the submitted one, byte for byte:
 * 8-bit UTF-8 text, lines that start with a dot, a line that is only a dot, more than one BDAT chunk.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEximInstance } from '@petrel/testkit';
import { scenario } from '../lib/scenario.js';
import { firstMaildirMessage, interopBody, interopMessage, startTlsPetrel, submitFrom127005 } from '../lib/interop.js';

/** ~420 KB: more than one of Petrel's 256 KB BDAT chunks. */
const body = (): string => interopBody(6000);

test('an Exim relays to Petrel and Petrel delivers to an Exim: the body arrives byte for byte over BDAT', {
  timeout: 60_000,
}, async (t) => {
  const s = await scenario(t, ['mx-host=via.test,mx1.example.test,10']);
  const eximDir = join(s.dir, 'exim');
  const exim = s.stopAfter(
    await startEximInstance(eximDir, '127.0.0.2', s.mxPort, {
      hostname: 'mx1.example.test',
      routers: [
        // What the client at 127.0.0.5 submits goes to Petrel; what comes back from Petrel is stored.
        'to_petrel:',
        '  driver = manualroute',
        '  domains = via.test',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Exim's own ${…} expansion, not a template
        '  condition = ${if eq{$sender_host_address}{127.0.0.5}}',
        '  transport = to_petrel',
        '  route_list = * 127.0.0.1',
        '  self = send',
        'local:',
        '  driver = accept',
        '  domains = via.test',
        '  transport = maildir',
      ].join('\n'),
      transports: [
        'to_petrel:',
        '  driver = smtp',
        `  port = ${s.listenPort}`,
        // STARTTLS to Petrel, required: its QUIT and shutdown then come over TLS too.
        '  hosts_require_tls = *',
        'maildir:',
        '  driver = appendfile',
        '  maildir_format',
        `  directory = ${join(eximDir, 'mail', 'box')}`, // untainted: Exim refuses a path made of $local_part
        '  user = Debian-exim',
        '  create_directory',
      ].join('\n'),
    }),
  );
  const petrel = await startTlsPetrel(s);
  await submitFrom127005('127.0.0.2', s.mxPort, interopMessage('exim interop', 'ei1@sender.test', body()));

  const events = await petrel.waitForEvents(
    'the delivery to Exim',
    (e) => e.some((x) => x.type === 'delivery' && x.recipient === 'jane@via.test'),
    30_000,
  );
  const reception = events.find((x) => x.type === 'reception')!;
  assert.equal(reception.sender, 'alice@sender.test');

  const box = join(exim.mailDir, 'box');
  const file = await firstMaildirMessage(box);
  const stored = readFileSync(file, 'utf8');
  // Exim stores with LF line ends; the body after the header section is the submitted one.
  const storedBody = stored.slice(stored.indexOf('\n\n') + 2);
  assert.equal(storedBody, body().replace(/\r\n/g, '\n'), 'the body is the submitted one, byte for byte');
  assert.match(stored, /^Message-ID: <ei1@sender\.test>$/m);

  const log = exim.mainlog();
  // Exim pipelines QUIT after its last BDAT and shuts its side down: Petrel must still answer
  // the BDAT, or Exim defers the message it already stored and sends it again (a duplicate).
  assert.doesNotMatch(log, /== jane@via\.test R=to_petrel .*defer/, 'Exim did not see its 250');
  assert.equal(readdirSync(join(box, 'new')).length, 1, 'one copy');
  // Exim → Petrel: its transport to_petrel, over TLS ("X=") and CHUNKING ("K") as Petrel advertises them.
  assert.match(
    log,
    /=> jane@via\.test R=to_petrel T=to_petrel H=127\.0\.0\.1 \[127\.0\.0\.1\](:\d+)? X=TLS.*\bK\b.*C="250 /,
  );
  // Petrel → Exim: received from Petrel by BDAT (Exim logs "K" on the reception too) and stored.
  assert.match(log, /<= alice@sender\.test H=\S* ?\[127\.0\.0\.1\].* K /);
  assert.match(log, /=> jane <jane@via\.test> R=local T=maildir/);
});
