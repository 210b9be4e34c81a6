/**
 * The reasons the inbound report parser reads, against a second independent analyser: Sisimai
 * (Debian libsisimai-perl, test/peers/install.sh) on the real-world bounces flufl.bounce ships
 * (Debian python3-flufl.bounce). Sisimai names a reason per failed recipient ("userunknown",
 * "mailboxfull", "expired", …); each maps to the category Petrel's classes give it, so the check
 * is that the parser found the recipient's reason, not a word-for-word agreement of two
 * taxonomies. No rule or parser line was written from Sisimai's answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Classifier } from '../classifier.js';
import { FLUFL_SAMPLES as DATA, readSample } from './samples-fixture.js';

interface SisimaiEntry {
  readonly recipient: string;
  readonly reason: string;
}

/** Sisimai's answer for each sample: its failed recipients and their reasons. */
function reference(files: readonly string[]): Record<string, SisimaiEntry[]> {
  const script = `
use strict; use warnings; use Sisimai; use JSON::PP;
my %out;
for my $f (@ARGV) {
  my $v = eval { Sisimai->make($f, 'delivered' => 0, 'vacation' => 0) } || [];
  (my $b = $f) =~ s{.*/}{};
  $out{$b} = [ map { { recipient => lc($_->recipient->address), reason => $_->reason } } @$v ];
}
print JSON::PP->new->canonical->encode(\\%out);
`;
  const out = execFileSync('perl', ['-e', script, ...files.map((f) => join(DATA, f))], { encoding: 'utf8' });
  return JSON.parse(out) as Record<string, SisimaiEntry[]>;
}

/**
 * Sisimai's reasons in Petrel's categories (docs/bounces.md "How replies are labelled"). An
 * unknown host is a Hard 5.1.2 or a Soft DNS failure (21) by our conventions, a "filtered"
 * recipient a Hard refusal or a Block; reasons without a category of ours are not compared.
 */
const CATEGORY: Record<string, readonly string[]> = {
  userunknown: ['Hard'],
  hasmoved: ['Hard'],
  suspend: ['Hard'],
  filtered: ['Hard', 'Block'],
  hostunknown: ['Hard', 'Soft'],
  mailboxfull: ['Soft'],
  mesgtoobig: ['Soft'],
  exceedlimit: ['Soft'],
  expired: ['Soft'],
  toomanyconn: ['Soft'],
  speeding: ['Soft'],
  networkerror: ['Soft'],
  systemerror: ['Soft'],
  systemfull: ['Soft'],
  mailererror: ['Soft'],
  syntaxerror: ['Soft'],
  rejected: ['Admin'],
  blocked: ['Block'],
  spamdetected: ['Block'],
  virusdetected: ['Block'],
  policyviolation: ['Block'],
  securityerror: ['Block'],
  norelaying: ['Block'],
  authfailure: ['Block'],
  badreputation: ['Block'],
  requireptr: ['Block'],
  notcompliantrfc: ['Block'],
};

test('reads the reason Sisimai reads on real-world bounces: at least 93% of recipients in the same category', () => {
  const files = readdirSync(DATA).filter((f) => f.endsWith('.txt'));
  const want = reference(files);
  const classifier = Classifier.load();
  let compared = 0;
  let agree = 0;
  const differ: string[] = [];
  for (const file of files) {
    const r = readSample(file, classifier);
    for (const e of want[file] ?? []) {
      const categories = CATEGORY[e.reason];
      const got = r.recipients.find((x) => x.address.toLowerCase() === e.recipient);
      if (!categories || !got || got.bounceClass === undefined) continue;
      compared++;
      const category = classifier.classForId(got.bounceClass)?.category ?? 'Undetermined';
      if (categories.includes(category)) agree++;
      else differ.push(`${file}: ${e.reason} vs ${got.bounceClass} (${got.reply.lines.join(' ').slice(0, 60)})`);
    }
  }
  const share = agree / compared;
  process.stdout.write(
    `# Sisimai reasons: ${agree}/${compared} recipients in the same category (${(share * 100).toFixed(1)}%)\n`,
  );
  assert.ok(compared >= 90, `Sisimai gives reasons for ~100 recipients of the samples (compared ${compared})`);
  assert.ok(share >= 0.93, `agreement ${(share * 100).toFixed(1)}% < 93%:\n${differ.join('\n')}`);
});
