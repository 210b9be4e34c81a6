// A paced SMTP sender on node:net for the latency benchmark: smtp-source sends as fast as it can, so
// it cannot hold a load at a chosen fraction of the peak. This one is open-loop: message i is due at
// start + i / rate whatever happened to the earlier ones (a sender that waits for replies before
// sending on hides the queueing it causes), each on a new connection, like smtp-source without -d.
// It does not pipeline (RFC 2920 is optional; smtp-source does not either), so the dialog is the
// same as smtp-source's: EHLO, MAIL, RCPT, DATA, QUIT.
import { connect } from 'node:net';
import { percentile } from './procs.mjs';

/** A message of about `size` bytes: headers, then lines of 'x' (no dot-stuffing needed, RFC 5321 4.5.2). */
export function pacedMessage(i, size) {
  const head = `From: <sender@test.local>\r\nTo: <rcpt@relay.test>\r\nSubject: paced ${i}\r\nMessage-ID: <paced-${i}@test.local>\r\n\r\n`;
  const line = `${'x'.repeat(78)}\r\n`;
  const n = Math.max(1, Math.ceil((size - head.length) / line.length));
  return head + line.repeat(n);
}

/**
 * One SMTP transaction on a new connection: resolves when the server accepted the message (250 after
 * the final dot) and the connection was closed with QUIT; rejects on any other reply or error.
 */
export function sendOne(host, port, message, timeoutMs = 60_000) {
  const steps = [
    [null, 220],
    ['EHLO paced.test.local\r\n', 250],
    ['MAIL FROM:<sender@test.local>\r\n', 250],
    ['RCPT TO:<rcpt@relay.test>\r\n', 250],
    ['DATA\r\n', 354],
    [`${message}.\r\n`, 250],
    ['QUIT\r\n', 221],
  ];
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port });
    let buf = '';
    let step = 0;
    let accepted = false;
    const fail = (e) => {
      sock.destroy();
      reject(e);
    };
    sock.setTimeout(timeoutMs, () => fail(new Error(`no reply within ${timeoutMs} ms at step ${step}`)));
    sock.setEncoding('latin1');
    sock.on('error', (e) => (accepted && step === steps.length - 1 ? resolve() : fail(e)));
    sock.on('close', () => (step >= steps.length ? resolve() : fail(new Error(`closed at step ${step}`))));
    sock.on('data', (d) => {
      buf += d;
      for (;;) {
        const eol = buf.indexOf('\r\n');
        if (eol < 0) return;
        const line = buf.slice(0, eol);
        buf = buf.slice(eol + 2);
        // a multi-line reply goes on with "250-…" until the last "250 …" (RFC 5321 4.2.1)
        if (line[3] === '-') continue;
        const code = Number(line.slice(0, 3));
        if (code !== steps[step][1]) return fail(new Error(`step ${step}: expected ${steps[step][1]}, got ${line}`));
        if (step === 5) accepted = true;
        step++;
        if (step < steps.length) sock.write(steps[step][0]);
        else sock.end();
      }
    });
  });
}

/**
 * Sends `messages` messages of `size` bytes to host:port at `rate` per second, each due at
 * start + i / rate. At most `maxInFlight` transactions are open at once: a message that finds them
 * all busy starts late, and how late is reported (lag), so that a sender that could not hold the
 * pace is seen, not hidden. Resolves with the counts, the achieved rate and the lag.
 */
export async function pacedSource({ host = '127.0.0.1', port, rate, messages, size = 1000, maxInFlight = 500 }) {
  const interval = 1000 / rate;
  let inFlight = 0;
  let peakInFlight = 0;
  let accepted = 0;
  const errors = [];
  const lags = [];
  let wake = null;
  const done = [];
  const t0 = performance.now();
  for (let i = 0; i < messages; i++) {
    const due = t0 + i * interval;
    while (performance.now() < due || inFlight >= maxInFlight) {
      const wait = inFlight >= maxInFlight ? 1000 : Math.max(0, due - performance.now());
      await new Promise((r) => {
        wake = r;
        setTimeout(r, wait);
      });
      wake = null;
    }
    lags.push(performance.now() - due);
    inFlight++;
    peakInFlight = Math.max(peakInFlight, inFlight);
    done.push(
      sendOne(host, port, pacedMessage(i, size))
        .then(() => accepted++)
        .catch((e) => errors.push(e.message))
        .finally(() => {
          inFlight--;
          wake?.();
        }),
    );
  }
  const sent = performance.now();
  await Promise.all(done);
  const seconds = (performance.now() - t0) / 1000;
  lags.sort((a, b) => a - b);
  return {
    target_rate: rate,
    // messages started per second over the sending window (the last one is due at (messages - 1) / rate)
    send_rate: messages > 1 ? (messages - 1) / ((sent - t0) / 1000) : NaN,
    seconds,
    accepted,
    failed: errors.length,
    first_error: errors[0],
    lag_p99_ms: percentile(lags, 99),
    lag_max_ms: lags[lags.length - 1],
    peak_in_flight: peakInFlight,
  };
}
