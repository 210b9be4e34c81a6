/**
 * Parsing of MAIL FROM:/RCPT TO: arguments: the path in angle brackets and the ESMTP parameters
 * after it (RFC 5321 §4.1.2, §4.1.1.2–3). Pure functions; the session decides the replies.
 */

export interface PathArgs {
  /** The mailbox without brackets and without a source route; "" for the null path <>. */
  readonly address: string;
  /** Parameter names upper-cased, values as sent (undefined for a keyword without "="). */
  readonly params: ReadonlyMap<string, string | undefined>;
}

export type PathError = 'syntax' | 'address' | 'duplicate-param';

export type PathParse =
  | { readonly ok: true; readonly value: PathArgs }
  | { readonly ok: false; readonly error: PathError };

/**
 * Parses `FROM:<a@b> SIZE=1 BODY=8BITMIME` (prefix "FROM:") or `TO:<a@b>` (prefix "TO:").
 * A space after the colon is tolerated (common in the wild, harmless).
 */
export function parsePathArgs(args: string, prefix: 'FROM:' | 'TO:'): PathParse {
  if (args.slice(0, prefix.length).toUpperCase() !== prefix) return { ok: false, error: 'syntax' };
  const rest = args.slice(prefix.length).replace(/^ /, '');
  if (!rest.startsWith('<')) return { ok: false, error: 'syntax' };
  const close = closingBracket(rest);
  if (close < 0) return { ok: false, error: 'syntax' };
  let path = rest.slice(1, close);
  // RFC 5321 §4.1.2 / App. C: a source route "@a,@b:" is accepted and ignored.
  const route = /^@[^:]*:/.exec(path);
  if (route) path = path.slice(route[0].length);
  const after = rest.slice(close + 1);
  if (after !== '' && !after.startsWith(' ')) return { ok: false, error: 'syntax' };
  const params = new Map<string, string | undefined>();
  for (const word of after.split(' ')) {
    if (word === '') continue;
    const eq = word.indexOf('=');
    const name = (eq < 0 ? word : word.slice(0, eq)).toUpperCase();
    // RFC 5321 §4.1.2: esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
    if (!/^[A-Z0-9][A-Z0-9-]*$/.test(name)) return { ok: false, error: 'syntax' };
    if (params.has(name)) return { ok: false, error: 'duplicate-param' };
    params.set(name, eq < 0 ? undefined : word.slice(eq + 1));
  }
  if (path !== '' && !isMailbox(path)) return { ok: false, error: 'address' };
  return { ok: true, value: { address: path, params } };
}

/** Index of the ">" closing the path, skipping quoted local parts; -1 when there is none. */
function closingBracket(s: string): number {
  let quoted = false;
  for (let i = 1; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '>') return i;
  }
  return -1;
}

/**
 * RFC 5321 §4.1.2 Mailbox = Local-part "@" ( Domain / address-literal ), loosely: a non-empty
 * local part, a domain of dot-separated labels or a bracketed literal, no spaces or controls
 * outside quotes. Non-ASCII is allowed here; whether it needs SMTPUTF8 is the caller's rule.
 */
export function isMailbox(address: string): boolean {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return false;
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (address.length > 256) return false; // RFC 5321 §4.5.3.1.3: path ≤ 256 octets
  // RFC 5321 §4.1.2: no control characters in a path (CTLs are outside atext, qtextSMTP and dtext).
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\x00-\x1f\x7f]/.test(address)) return false;
  const localOk = /^"(?:[^"\\]|\\.)*"$/.test(local) || /^[^\s"(),:;<>@[\\\]]+(?:\.[^\s"(),:;<>@[\\\]]+)*$/.test(local);
  const domainOk = /^\[[^\]\s]+\]$/.test(domain) || /^[^\s.@[\]<>()]+(?:\.[^\s.@[\]<>()]+)*$/.test(domain);
  return localOk && domainOk;
}

export function isAscii(s: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the whole US-ASCII range, controls included
  return /^[\x00-\x7f]*$/.test(s);
}
