/**
 * TLS reporting (RFC 8460): per recipient domain and UTC day, the counts of successful and failed
 * TLS sessions per applied policy, with failure details (result type, MX host, receiving IP), as
 * TLS-RPT needs them. Counters live in memory for the current days and are written to
 * `<spool_dir>/tlsrpt/<YYYY-MM-DD>.json` (temporary file + rename) shortly after a change and at
 * stop, so they survive restarts; `tls.report` renders a day's report as RFC 8460 §4.4 JSON.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PetrelError, type Logger, type TlsSessionReport } from '@petrel/core';

/** RFC 8460 §4.3 policy types. */
type PolicyType = 'sts' | 'tlsa' | 'no-policy-found';

interface FailureCounter {
  resultType: string;
  mxHost: string;
  ip: string;
  count: number;
  detail?: string;
}

interface PolicyCounter {
  type: PolicyType;
  strings: string[];
  mxHost?: string;
  success: number;
  failures: Record<string, FailureCounter>;
}

/** One day's counters: domain → policy key → counter. */
type DayCounters = Record<string, Record<string, PolicyCounter>>;

/** The directory inside spool_dir. */
export const TLSRPT_DIR = 'tlsrpt';

/** Days kept in memory before the oldest is dropped (its file stays). */
const DAYS_IN_MEMORY = 3;

export class TlsReportStore {
  private readonly days = new Map<string, DayCounters>();
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
    private readonly flushDelayMs = 1000,
  ) {}

  /** Counts one session. Cheap: a few map updates; the write happens later, once per burst. */
  record(r: TlsSessionReport): void {
    const day = dateOf(r.at);
    const counters = this.day(day);
    const type = policyType(r.outcome.policy);
    const strings = type === 'no-policy-found' ? [] : [...(r.policyString ?? [])];
    // RFC 8460 §4.4: a TLSA policy is per MX host; an STS policy covers the domain's MX patterns.
    const mxHost = type === 'tlsa' ? r.mxHost : type === 'sts' ? stsPatterns(strings) : undefined;
    const key = `${type}\u0000${strings.join('\n')}\u0000${mxHost ?? ''}`;
    const domain = counters[r.domain] ?? {};
    counters[r.domain] = domain;
    const p = domain[key] ?? { type, strings, ...(mxHost ? { mxHost } : {}), success: 0, failures: {} };
    domain[key] = p;
    if (r.outcome.result === 'success') p.success++;
    else {
      // A plaintext session counts as a failure to negotiate TLS (RFC 8460 §4.3.1).
      const resultType = r.outcome.failure ?? 'starttls-not-supported';
      const fkey = `${resultType}\u0000${r.mxHost ?? ''}\u0000${r.receivingIp ?? ''}`;
      const f = p.failures[fkey] ?? { resultType, mxHost: r.mxHost ?? '', ip: r.receivingIp ?? '', count: 0 };
      p.failures[fkey] = f;
      f.count++;
      if (r.detail !== undefined) f.detail = r.detail.slice(0, 200);
    }
    this.dirty.add(day);
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.flushDelayMs);
      this.timer.unref();
    }
  }

  /** Writes every changed day now. Errors are logged (counters are statistics, never worth a crash). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const day of this.dirty) {
      const file = join(this.dir, `${day}.json`);
      try {
        mkdirSync(this.dir, { recursive: true });
        writeFileSync(`${file}.tmp`, JSON.stringify({ version: 1, date: day, domains: this.days.get(day) ?? {} }));
        renameSync(`${file}.tmp`, file);
      } catch (err) {
        this.logger.warn({ err, file }, 'TLS report counters could not be written');
      }
    }
    this.dirty.clear();
  }

  /**
   * The RFC 8460 §4.4 report of `domain` for `date` (YYYY-MM-DD, UTC). `organization` names the
   * reporter (the hostname). Throws PETREL_ERR_TLS_REPORT for a malformed date.
   */
  report(domain: string, date: string, organization: string): Record<string, unknown> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`)))
      throw new PetrelError('PETREL_ERR_TLS_REPORT', `expected a date YYYY-MM-DD, found ${JSON.stringify(date)}`, {
        date,
      });
    const policies = Object.values(this.day(date)[domain.toLowerCase()] ?? {});
    return {
      'organization-name': organization,
      'date-range': { 'start-datetime': `${date}T00:00:00Z`, 'end-datetime': `${date}T23:59:59Z` },
      'contact-info': `postmaster@${organization}`,
      'report-id': `${date}.${domain.toLowerCase()}@${organization}`,
      policies: policies.map((p) => ({
        policy: {
          'policy-type': p.type,
          ...(p.strings.length ? { 'policy-string': p.strings } : {}),
          'policy-domain': domain.toLowerCase(),
          ...(p.mxHost ? { 'mx-host': p.mxHost } : {}),
        },
        summary: {
          'total-successful-session-count': p.success,
          'total-failure-session-count': Object.values(p.failures).reduce((n, f) => n + f.count, 0),
        },
        ...(Object.keys(p.failures).length
          ? {
              'failure-details': Object.values(p.failures).map((f) => ({
                'result-type': f.resultType,
                ...(f.ip ? { 'receiving-ip': f.ip } : {}),
                ...(f.mxHost ? { 'receiving-mx-hostname': f.mxHost } : {}),
                'failed-session-count': f.count,
                ...(f.detail ? { 'additional-information': f.detail } : {}),
              })),
            }
          : {}),
      })),
    };
  }

  /** A day's counters: from memory, else from its file (a past day, or after a restart), else empty. */
  private day(day: string): DayCounters {
    let d = this.days.get(day);
    if (d) return d;
    d = this.load(day);
    this.days.set(day, d);
    if (this.days.size > DAYS_IN_MEMORY) {
      const oldest = [...this.days.keys()].sort()[0]!;
      if (!this.dirty.has(oldest)) this.days.delete(oldest);
    }
    return d;
  }

  private load(day: string): DayCounters {
    const file = join(this.dir, `${day}.json`);
    try {
      const data = JSON.parse(readFileSync(file, 'utf8')) as { domains?: DayCounters };
      return data.domains ?? {};
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT')
        this.logger.warn({ err, file }, 'TLS report counters unreadable; starting the day afresh');
      return {};
    }
  }
}

function policyType(p: TlsSessionReport['outcome']['policy']): PolicyType {
  switch (p) {
    case 'mta-sts':
      return 'sts';
    case 'dane':
      return 'tlsa';
    case 'opportunistic':
    case 'none':
      return 'no-policy-found';
    default: {
      const never: never = p;
      return never;
    }
  }
}

/** The `mx` patterns of an STS policy's lines, as RFC 8460's mx-host shows them. */
function stsPatterns(lines: readonly string[]): string | undefined {
  const mx = lines.flatMap((l) => {
    const m = /^mx:\s*(\S+)/.exec(l);
    return m ? [m[1]!] : [];
  });
  return mx.length ? mx.join(', ') : undefined;
}

/** The UTC date of an epoch-ms time, YYYY-MM-DD. */
export function dateOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
