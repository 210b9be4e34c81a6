/**
 * Which shaping rules a remote reply matches, and the trigger windows that count matches (e.g.
 * "3 within 5 minutes") per rule and destination before its actions run (docs/shaping.md).
 */
import { formatReply, hostMatches, siteMatches, type ReplyData, type ShapingRuleConfig } from '@petrel/core';

/** Where a reply came from: the queue's binding and domain, the route's site, the MX host that answered. */
export interface ReplyOrigin {
  readonly binding: string;
  readonly domain: string;
  readonly site?: string;
  readonly host?: string;
}

interface Compiled {
  readonly rule: ShapingRuleConfig;
  readonly re?: RegExp;
}

/** Site names of [[site]] entries whose MX patterns cover a site (for rules that name sites). */
export type SiteNamer = (site: string) => readonly string[];

export class RuleMatcher {
  private readonly compiled: readonly Compiled[];

  constructor(
    rules: readonly ShapingRuleConfig[],
    private readonly siteNames: SiteNamer,
  ) {
    this.compiled = rules.map((rule) => ({
      rule,
      ...(rule.regex !== undefined ? { re: new RegExp(rule.regex, 'i') } : {}),
    }));
  }

  /** Rules whose destinations cover `origin` and whose reply test matches `reply`, in file order. */
  match(reply: ReplyData, origin: ReplyOrigin): ShapingRuleConfig[] {
    if (this.compiled.length === 0) return [];
    // The whole reply on one line, as the bounce rules see it: "421 4.7.0 [TS01] Messages …".
    const text = formatReply(reply).replace(/\r?\n/g, ' ');
    const out: ShapingRuleConfig[] = [];
    for (const { rule, re } of this.compiled) {
      if (!this.covers(rule, origin)) continue;
      if (rule.codeClass !== undefined && String(reply.code)[0] !== rule.codeClass) continue;
      if (rule.enhanced !== undefined && reply.enhanced !== rule.enhanced) continue;
      if (re !== undefined && !re.test(text)) continue;
      out.push(rule);
    }
    return out;
  }

  private covers(rule: ShapingRuleConfig, o: ReplyOrigin): boolean {
    const m = rule.match;
    if (m.domains.length === 0 && m.mx.length === 0 && m.sites.length === 0) return true;
    if (m.domains.includes(o.domain)) return true;
    if (m.mx.length > 0) {
      if (o.host !== undefined && m.mx.some((p) => hostMatches(p, o.host!))) return true;
      if (o.site !== undefined && siteMatches(m.mx, o.site)) return true;
    }
    if (m.sites.length > 0 && o.site !== undefined) {
      const names = this.siteNames(o.site);
      if (m.sites.some((s) => names.includes(s))) return true;
    }
    return false;
  }
}

/** Sliding windows of match times per key; `hit` says whether the trigger count is reached. */
export class TriggerWindows {
  private readonly hits = new Map<string, number[]>();

  /** Records a match at `now`; true (and the window restarts) when `count` fell within `within` ms. */
  hit(key: string, now: number, count: number, within: number): boolean {
    const kept = (this.hits.get(key) ?? []).filter((t) => now - t < within);
    kept.push(now);
    if (kept.length >= count) {
      this.hits.delete(key);
      return true;
    }
    this.hits.set(key, kept);
    return false;
  }

  /** Forgets windows whose last match is older than `olderThan` ms (bounded memory). */
  prune(now: number, olderThan: number): void {
    for (const [k, v] of this.hits) if (now - (v[v.length - 1] ?? 0) >= olderThan) this.hits.delete(k);
  }
}
