// Reads a private Postfix instance's maillog_file: per-recipient latency and signs of a crash.
import { existsSync, readFileSync } from 'node:fs';

/**
 * Latency in ms of every `status=sent` recipient, from its `delay=` field: Postfix computes it from
 * the message's arrival time (taken by smtpd at MAIL FROM, stored in the queue file with microseconds)
 * to the delivery, and logs it with delay_logging_resolution_limit decimals (the
 * bench sets 6). So it starts before DATA is transferred: an upper bound of "end of DATA →
 * delivered", the point Petrel's reception event stamps. The line timestamps of maillog_file only
 * have 1 s resolution, too coarse for a latency. Deliveries to a recipient holding `skipRcpt` (the
 * benchmark's warm-up) are left out.
 */
export function postfixLatencies(text, skipRcpt = undefined) {
  const out = [];
  for (const m of text.matchAll(/ to=<([^>]*)>, .*?\bdelay=([\d.]+), .*\bstatus=sent\b/g))
    if (!skipRcpt || !m[1].includes(skipRcpt)) out.push(Number(m[2]) * 1000);
  return out.sort((a, b) => a - b);
}

/**
 * Most decimal places seen in a delay= field, or null: Postfix rounds delays to two significant
 * digits and shows at most delay_logging_resolution_limit decimals, so a sub-millisecond delay shows
 * e.g. 0.00029 (s) and 0.4 means 0.35..0.45 s.
 */
export function delayDecimals(text) {
  let max = null;
  for (const m of text.matchAll(/\bdelay=\d+(?:\.(\d+))?,/g)) max = Math.max(max ?? 0, (m[1] ?? '').length);
  return max;
}

/** Decimal places of the maillog line timestamps ("Dec 06 03:16:57" → 0), or null if no line. */
export function timestampDecimals(text) {
  const m = /^\w{3} [ \d]\d \d\d:\d\d:\d\d(?:\.(\d+))? /m.exec(text);
  return m ? (m[1] ?? '').length : null;
}

/** Lines that say a Postfix daemon died or gave up (fatal, panic, killed by a signal, bad exit). */
export function postfixCrashLines(text) {
  return text
    .split('\n')
    .filter((l) =>
      /postfix\/[\w-]+\[\d+\]: (fatal|panic): |warning: process \S+ pid \d+ (killed by signal|exit status)/.test(l),
    );
}

export function readMaillog(file) {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}
