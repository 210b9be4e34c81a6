/**
 * The inbound report parser against an independent reference on real-world mail: the bounces that
 * Mailman's detector, flufl.bounce (Debian python3-flufl.bounce, test/peers/install.sh), ships as
 * its own test data (AOL, Exim, qmail, Postfix, sendmail, GroupWise, Exchange, Yahoo, …). No rule
 * of the parser was written from one of these files; the figures are agreement, not a fit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Classifier } from '../classifier.js';
import { FLUFL_SAMPLES as DATA, readSample } from './samples-fixture.js';

/** flufl.bounce's answer for every sample: file → failed addresses (temporary and permanent). */
function reference(): Record<string, string[]> {
  const script = `
import json, os, warnings
warnings.filterwarnings('ignore')
from email import message_from_binary_file as parse
from flufl.bounce import all_failures
out = {}
for f in sorted(os.listdir(${JSON.stringify(DATA)})):
    if not f.endswith('.txt'): continue
    with open(os.path.join(${JSON.stringify(DATA)}, f), 'rb') as fp:
        t, p = all_failures(parse(fp))
    out[f] = sorted({(x.decode('latin1') if isinstance(x, bytes) else x).lower() for x in t | p})
print(json.dumps(out))
`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' })) as Record<string, string[]>;
}

test('agrees with flufl.bounce on its real-world bounces: at least 85% of files exactly, few extra addresses, no crash', () => {
  const want = reference();
  const classifier = Classifier.load();
  let files = 0;
  let exact = 0;
  let extra = 0;
  let missed = 0;
  for (const [file, addresses] of Object.entries(want)) {
    // flufl's X.400 addresses ("c=us;a=") are not mailboxes; samples it reads nothing from say nothing.
    const expected = addresses.filter((a) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(a));
    if (expected.length === 0) continue;
    files++;
    const r = readSample(file, classifier);
    const got = new Set(r.recipients.map((x) => x.address.toLowerCase()));
    const hits = expected.filter((a) => got.has(a)).length;
    missed += expected.length - hits;
    extra += [...got].filter((a) => !expected.includes(a)).length;
    if (hits === expected.length && got.size === expected.length) exact++;
  }
  const share = exact / files;
  process.stdout.write(
    `# flufl.bounce samples: ${exact}/${files} files exactly (${(share * 100).toFixed(1)}%), ` +
      `${missed} addresses missed, ${extra} extra\n`,
  );
  assert.ok(files >= 100, `the reference has its ~110 samples (found ${files})`);
  assert.ok(share >= 0.85, `exact agreement ${(share * 100).toFixed(1)}% < 85%`);
  assert.ok(extra <= 15, `${extra} extra addresses (possible false suppressions)`);
});
