import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHeaderBlock } from './mime.js';

test('an unfolded MIME parameter continues the field above only when that field ends with ";"', () => {
  const fields = parseHeaderBlock(
    [
      'Content-Type: multipart/report; report-type=delivery-status;',
      'boundary="b1"',
      'Subject: x=y',
      'charset=us-ascii',
      'Content-Disposition: attachment;',
      'filename*0="a";',
      'filename*1="b.txt"',
    ].join('\r\n'),
  );
  assert.deepEqual(
    fields.map((f) => [f.name, f.value]),
    [
      ['content-type', 'multipart/report; report-type=delivery-status; boundary="b1"'],
      ['subject', 'x=y'],
      ['content-disposition', 'attachment; filename*0="a"; filename*1="b.txt"'],
    ],
  );
});
