import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WireReader, type CommandLine } from './wire-reader.js';

function all(r: WireReader): CommandLine[] {
  const out: CommandLine[] = [];
  for (let i = 0; i < 1000; i++) {
    const c = r.nextCommand();
    if (!c) break;
    out.push(c);
  }
  return out;
}

test('pipelined command lines come out one by one, in order, across reads', () => {
  const r = new WireReader({ maxLine: 512, maxData: 1000 });
  r.push(Buffer.from('MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDA'));
  assert.deepEqual(all(r), [
    { kind: 'line', text: 'MAIL FROM:<a@b.c>' },
    { kind: 'line', text: 'RCPT TO:<d@e.f>' },
  ]);
  r.push(Buffer.from('TA\r\n'));
  assert.deepEqual(all(r), [{ kind: 'line', text: 'DATA' }]);
});

test('a bare LF or a bare CR in a command line is an error for that line only', () => {
  const r = new WireReader({ maxLine: 512, maxData: 1000 });
  r.push(Buffer.from('NOOP\nNO\rOP\r\nNOOP\r\n'));
  assert.deepEqual(all(r), [
    { kind: 'error', error: 'bare-eol' },
    { kind: 'error', error: 'bare-eol' },
    { kind: 'line', text: 'NOOP' },
  ]);
});

test('a line over 512 octets is one too-long error, even when it arrives without its LF', () => {
  const r = new WireReader({ maxLine: 512, maxData: 1000 });
  r.push(Buffer.from(`NOOP ${'x'.repeat(600)}`));
  assert.deepEqual(all(r), []);
  assert.equal(r.buffered, 0, 'the over-long line is not held in memory');
  r.push(Buffer.from(`${'y'.repeat(600)}\r\nNOOP\r\n`));
  assert.deepEqual(all(r), [
    { kind: 'error', error: 'too-long' },
    { kind: 'line', text: 'NOOP' },
  ]);
  const exact = new WireReader({ maxLine: 512, maxData: 1000 });
  exact.push(Buffer.from(`${'x'.repeat(510)}\r\n${'y'.repeat(511)}\r\n`));
  assert.deepEqual(
    all(exact).map((c) => c.kind),
    ['line', 'error'],
  );
});

test('AUTH lines and SASL responses may run to maxSaslLine (RFC 4954 §4), other commands stop at maxLine', () => {
  const r = new WireReader({ maxLine: 512, maxSaslLine: 12_288, maxData: 1000 });
  const token = 'A'.repeat(5000);
  r.push(
    Buffer.from(`auth PLAIN ${token}\r\nMAIL FROM:<${'m'.repeat(600)}@b.c>\r\nAUTH PLAIN ${'B'.repeat(12_300)}\r\n`),
  );
  assert.deepEqual(
    all(r).map((c) => (c.kind === 'line' ? c.text.slice(0, 10) : c.error)),
    ['auth PLAIN', 'too-long', 'too-long'],
  );
  r.push(Buffer.from(`${token}\r\n${token}\r\n`));
  assert.deepEqual(r.nextCommand(true), { kind: 'line', text: token }, 'a SASL response line');
  assert.deepEqual(r.nextCommand(false), { kind: 'error', error: 'too-long' }, 'the same line as a command');
  const plain = new WireReader({ maxLine: 512, maxData: 1000 });
  plain.push(Buffer.from(`AUTH PLAIN ${token}\r\n`));
  assert.deepEqual(all(plain), [{ kind: 'error', error: 'too-long' }], 'without maxSaslLine, AUTH gets maxLine too');
});

test('after DATA the reader hands octets to the data decoder, then returns to commands', () => {
  const r = new WireReader({ maxLine: 512, maxData: 1000 });
  r.push(Buffer.from('DATA\r\nhello\r\n.\r\nQUIT\r\n'));
  assert.deepEqual(r.nextCommand(), { kind: 'line', text: 'DATA' });
  r.beginData();
  const d = r.readData();
  assert.equal(Buffer.concat(d?.parts ?? []).toString(), 'hello\r\n');
  assert.deepEqual(r.nextCommand(), { kind: 'line', text: 'QUIT' });
});

test('bare_newline = "normalize": a bare LF ends a command or data line (stored as CRLF) but never the data; a bare CR is still an error', () => {
  const r = new WireReader({ maxLine: 512, maxData: 1000, normalizeBareLf: true });
  r.push(Buffer.from('MAIL FROM:<a@b.c>\nRCPT TO:<d@e.f>\r\nNO\rOP\nDATA\n'));
  assert.deepEqual(all(r), [
    { kind: 'line', text: 'MAIL FROM:<a@b.c>' },
    { kind: 'line', text: 'RCPT TO:<d@e.f>' },
    { kind: 'error', error: 'bare-eol' },
    { kind: 'line', text: 'DATA' },
  ]);
  r.beginData();
  r.push(Buffer.from('Subject: x\n\nhello\n.\nMAIL FROM:<evil@x.test>\n..dot\r\n.\r\nQUIT\r\n'));
  const d = r.readData();
  assert.ok(d);
  assert.equal(d.bareEol, false);
  assert.equal(
    Buffer.concat(d.parts).toString(),
    'Subject: x\r\n\r\nhello\r\n\r\nMAIL FROM:<evil@x.test>\r\n.dot\r\n',
    'one message: "\\n.\\n" did not end it',
  );
  assert.deepEqual(r.nextCommand(), { kind: 'line', text: 'QUIT' });
});
