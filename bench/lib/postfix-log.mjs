// Reads a private Postfix instance's maillog_file: per-recipient latency and signs of a crash.
import { existsSync, readFileSync } from 'node:fs';

/**
 * Latency in ms of every `status=sent` recipient, from its `delay=` field: Postfix computes it from
 * the message's arrival time (taken by smtpd at MAIL FROM, stored in the queue file with microseconds)
 * to the delivery, and logs it with delay_logging_resolution_limit decimals (the
 * bench sets 6). So it starts before DATA is transferred: an upper bound of "end of DATA →
 * delivered", the point Petrel's reception event stamps. The line timestamps of maillog_file only
 * have 1 s resolution, too coarse for a latency.
 */
export function postfixLatencies(text) {
  const out = [];
  for (const m of text.matchAll(/ to=<[^>]*>, .*?\bdelay=([\d.]+), .*\bstatus=sent\b/g)) out.push(Number(m[1]) * 1000);
  return out.sort((a, b) => a - b);
}

/** Decimal places of the first delay= field (the resolution actually logged), or null. */
export function delayDecimals(text) {
  const m = /\bdelay=\d+(?:\.(\d+))?,/.exec(text);
  return m ? (m[1] ?? '').length : null;
}

/** Lines that say a Postfix daemon died or gave up (fatal, panic, killed by a signal, bad exit). */
export function postfixCrashLines(text) {
  return text.split('\n').filter((l) => /postfix\/[\w-]+\[\d+\]: (fatal|panic): |warning: process \S+ pid \d+ (killed by signal|exit status)/.test(l));
}

export function readMaillog(file) {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}
