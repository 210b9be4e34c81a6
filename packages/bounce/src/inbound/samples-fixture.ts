/**
 * Test fixture (excluded from the build, tsconfig.build.json): the real-world bounces that
 * flufl.bounce ships (Debian python3-flufl.bounce), read by Petrel's inbound parser as a return-path
 * domain would read them — the two reference tests compare the result with flufl.bounce's and
 * Sisimai's own readings.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Classifier } from '../classifier.js';
import { parseInboundReport, type InboundReport } from './report.js';

export const FLUFL_SAMPLES = '/usr/lib/python3/dist-packages/flufl/bounce/tests/data';

/** Parses one sample file of FLUFL_SAMPLES with the shipped rules. */
export function readSample(file: string, classifier = Classifier.load()): InboundReport {
  return parseInboundReport(readFileSync(join(FLUFL_SAMPLES, file)), {
    envelopeRecipients: [],
    returnPathDomains: new Set(['rp.test']),
    verp: { prefix: 'b', secret: '' },
    hostname: 'petrel.test',
    classify: (reply, domain, stage) => classifier.classify(reply, domain, stage),
  });
}
