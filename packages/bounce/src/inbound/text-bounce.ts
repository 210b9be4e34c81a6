/**
 * Bounces without RFC 3464 structure: the human text of Exim, qmail, Postfix (notify without DSN),
 * sendmail, Exchange/Outlook NDRs and the many look-alikes. They are read by their shape, not by
 * one MTA's exact wording: a bounce names each failed address on a line, followed (same line or the
 * lines under it) by the reason, often with an SMTP reply code (RFC 5321 §4.2) or an enhanced
 * status code (RFC 3463). The returned copy of the original is cut off first, so its addresses
 * are never taken for failed recipients.
 */

/** The family a text bounce is recognised as (for the record; the parse does not depend on it). */
export type TextBounceFormat = 'qmail' | 'exim' | 'postfix' | 'sendmail' | 'exchange' | 'text';

export interface TextBounceEntry {
  readonly address: string;
  /** The reason text, whitespace collapsed. */
  readonly reason: string;
  /** An SMTP reply found in the reason ("550 5.1.1 …"), when there is one. */
  readonly smtp?: { readonly code: number; readonly enhanced?: string; readonly text: string };
  /** Words say the failure is temporary ("will retry", "deferred"). */
  readonly transient: boolean;
}

export interface TextBounce {
  readonly format: TextBounceFormat;
  readonly entries: readonly TextBounceEntry[];
  /**
   * What the text says failed when it names no address (Google Groups, some providers): its
   * failure paragraph and any reply code. Only a caller that knows the recipient otherwise (a
   * verified VERP address) may use it.
   */
  readonly unaddressed?: Omit<TextBounceEntry, 'address'>;
}

/** Lines that start the returned copy of the message (or its headers) in the usual bounce texts. */
const COPY_MARKERS: readonly RegExp[] = [
  /^-+\s*(This is a copy of|Below this line is a copy of|Original message|Forwarded message|Undelivered message)/i,
  /^-+\s*(The )?(original|returned) (message|mail|headers)/i,
  /^(The )?(Original message headers|Original message follows|Message headers follow)\s*[:.]?\s*$/i,
  /^-{3,}\s*(Headers of the original|Unsent message below|Message text follows)/i,
  /^Below is a copy of the original message\s*:?\s*$/i,
];

/** Rules of "=", "-" or "*" and courtesy lines: about the bounce, never a recipient's reason. */
const NOT_A_REASON = new RegExp(
  [
    '^[\\s=*_~#|+-]*$',
    "^(please )?(do not|don't) (reply|resend)|^please (reply|contact|forward)",
    'feel (that )?this message (to be|is) in error',
  ].join('|'),
  'i',
);

/** A heading or a sentence that introduces a list ("Technical details:", "for the following reason:"). */
const INTRODUCES = /:\s*$/;
/** Words that tie a line to the SMTP dialogue (RFC 5321 §4.1.1 commands, "SMTP error"). */
const NAMES_COMMAND = /\bSMTP\b|\b(RCPT|MAIL FROM|DATA|end of data|initial connection|EHLO|HELO)\b/i;

/** Where a text bounce says which family it is. */
const FORMATS: readonly [TextBounceFormat, RegExp][] = [
  ['qmail', /This is the qmail-send program|qmail-send/i],
  ['exim', /This message was created automatically by mail delivery software|following address\(es\) failed/i],
  ['postfix', /This is the mail system at host|Postfix program/i],
  [
    'exchange',
    new RegExp(
      'Delivery has failed to these recipients|did not reach (some or all|the following recipient)|' +
        'Remote Server returned|Diagnostic information for administrators|Microsoft Exchange',
      'i',
    ),
  ],
  [
    'sendmail',
    /The original message was received at|following addresses had permanent fatal errors|Transcript of session/i,
  ],
];

/**
 * An addr-spec: dot-atom local part (RFC 5322 §3.4.1) and a domain of at least two labels, with letters
 * and digits of any script: an internationalized address (RFC 6531/6532) is UTF-8 in both parts.
 */
const LABEL = '[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]*[\\p{L}\\p{N}])?';
const ADDRESS = new RegExp(`<?([\\p{L}\\p{N}.!#$%&'*+/=?^_\`{|}~-]+@${LABEL}(?:\\.${LABEL})+)>?`, 'u');
// "550 5.1.1 text", "550-5.1.1", "554: delivery error" (Yahoo), "550 #5.1.0" (qmail-style).
const SMTP = /\b([45]\d\d)(?:[ -]|:\s|$)(?:\s*#?([45]\.\d{1,3}\.\d{1,3})\b)?\s*([^\n]*)/;
const ENHANCED = /\b#?([45]\.\d{1,3}\.\d{1,3})\b/;
const TRANSIENT = new RegExp(
  '\\b(temporar(y|ily)|will (be )?retr(y|ied)|deferred|delayed|still trying|try again later|not yet delivered|' +
    '(attempts|delivery|tries) will (continue|be retried)|will (continue|keep) (trying|to try))\\b',
  'i',
);

/** Wording that states a delivery failure (a sentence naming an address is an entry only with it). */
const FAILURE = new RegExp(
  `\\b(${[
    "fail(ed|ure)?|undeliver(ed|able)?|not (be )?delivered|could ?n[o']t|did ?n[o']t reach|unable",
    "reject(ed)?|refused|denied|unknown|invalid|no such|does ?n[o']t exist|not exist|not found",
    'bounced?|permanent|error|over ?quota|exceed(s|ed)?|mailbox (is )?full|disabled|inactive',
  ].join('|')})\\b`,
  'i',
);

/** A sentence that names a recipient without failure words ("Originally addressed to x@y"). */
const NAMES_RECIPIENT = new RegExp(
  `\\b(${[
    'recipients?|addressed to|did not reach|could not reach|cannot be reached',
    'generated from|intended for|destinataire|empf[äa]nger',
  ].join('|')})\\b`,
  'i',
);

/**
 * An X.400 O/R address (Exchange 5.5/2000 NDRs, X.400 gateways) carries the SMTP address in a
 * domain-defined attribute, "c=US;a= ;p=Org;o=Site;dda:SMTP=jane@example.org;"; RFC 2156 §4.2.2
 * writes its "@" as "(a)" in a printable string.
 */
const X400_DDA = /^(\s*)(?:[A-Za-z][A-Za-z0-9-]{0,15}=[^;\n]*;\s*)*dda:(?:smtp|rfc-?822)=([^;\s]+);?/i;

/** The line with an X.400 address's SMTP attribute put where the address is read. */
function unwrapX400(line: string): string {
  const m = X400_DDA.exec(line);
  return m ? `${m[1]}${m[2]!.replace(/\(a\)/gi, '@')}${line.slice(m[0].length)}` : line;
}

/** Exchange lists each address with when it failed ("jane@example.org on 9/19/2006 5:29 PM"): no reason. */
const ON_DATE = new RegExp(
  String.raw`^on\s+(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+)?[\w/.,\- ]{4,40}?\d{1,2}:\d{2}(?::\d{2})?` +
    String.raw`(?:\s*(?:[AP]M|[+-]\d{4}|\(?[A-Z]{2,5}\)?))*\s*$`,
  'i',
);

/** What may stand before a listed address on its line: indentation, brackets, quotes, bullets. */
const LIST_PREFIX = /^[\s<>*•([{"'-]*$/;
/** A short label before an address ("Recipient: [SMTP:", "Original-Recipient: rfc822;", "To: <"). */
const LABEL_PREFIX = /^[\s*•-]*[A-Za-z][A-Za-z0-9 ()_-]{0,40}:\s*[<([{"']*(?:smtp:|rfc822;\s*)?$/i;

/** Header labels whose addresses are never the failed recipient (ids, senders, trace). */
const NOT_RECIPIENT_LABEL = new RegExp(
  '^[\\s*•-]*(message-id|in-reply-to|references|from|to|cc|sender|reply-to|return-path|errors-to|received|' +
    'date|subject|x-[\\w-]+|list-[\\w-]+)\\s*:',
  'i',
);

/** The human part of a bounce: up to the first marker of the returned original. */
export function humanText(text: string): string {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const end = lines.findIndex((l) => COPY_MARKERS.some((re) => re.test(l.trim())));
  return (end < 0 ? lines : lines.slice(0, end)).join('\n');
}

export function textFormat(text: string): TextBounceFormat {
  return FORMATS.find(([, re]) => re.test(text))?.[0] ?? 'text';
}

/** SMTP for scanning a text; one object, reset per call (smtpIn runs once per line of a bounce). */
const SMTP_SCAN = new RegExp(SMTP.source, 'g');

function smtpIn(text: string): TextBounceEntry['smtp'] {
  // A reply code is a three-digit 4xx/5xx that is not part of a longer number, an IP or a date.
  const re = SMTP_SCAN;
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const before = text[m.index - 1];
    if (before !== undefined && /[\d.:/[]/.test(before)) continue;
    return {
      code: Number(m[1]),
      ...(m[2] !== undefined ? { enhanced: m[2] } : {}),
      text: `${m[1]} ${m[2] ? `${m[2]} ` : ''}${m[3] ?? ''}`.trim(),
    };
  }
  const e = ENHANCED.exec(text);
  if (e) return { code: e[1]!.startsWith('4') ? 450 : 550, enhanced: e[1]!, text: text.trim() };
  return undefined;
}

/**
 * Finds failed addresses and their reasons in a bounce's human text. `ignore` says which addresses
 * are not failed recipients (the bounce's own From, postmaster, our return-path addresses; in a
 * sentence also the original's senders).
 */
export function parseTextBounce(
  text: string,
  /** `listed`: the address opens its line (a list of failed addresses), rather than standing in a sentence. */
  ignore: (address: string, listed: boolean) => boolean,
): TextBounce {
  const human = humanText(text);
  const lines = human.split('\n');
  const found = new Map<string, string[]>();
  const leads = new Map<string, string>();
  // Entries whose lines hold a reply already (a later line ending in ":" continues it).
  const withReply = new Set<string>();
  let current: string[] | undefined;
  let currentKey = '';
  let blankAfterReason = false;
  for (const raw of lines) {
    const line = unwrapX400(raw.replace(/\s+$/, ''));
    if (line.trim() === '') {
      if (current && current.length > 0) blankAfterReason = true;
      continue;
    }
    const m = ADDRESS.exec(line);
    // A quote that opens the local part is the text's, not the address's ('x@y').
    const address = m?.[1]?.replace(/^'+/, '');
    // An address that opens a line (after indentation, brackets, quotes or a bullet) starts an
    // entry, and so does one after a short label ("Recipient: [SMTP:x@y]"); one inside a sentence
    // only when no entry is open and the sentence states a failure or names a recipient ("Your
    // message to x@y could not be delivered"), so a greeting is not taken for one.
    const before = m ? line.slice(0, m.index) : '';
    const opens = m !== null && m !== undefined && LIST_PREFIX.test(before);
    const labelled = !opens && LABEL_PREFIX.test(before) && !NOT_RECIPIENT_LABEL.test(before);
    const stated = !current && (FAILURE.test(line) || NAMES_RECIPIENT.test(line));
    if (address && !ignore(address, opens) && (opens || labelled || stated)) {
      const key = address.toLowerCase();
      current = found.get(key) ?? [];
      found.set(key, current);
      currentKey = key;
      const after = line.slice((m?.index ?? 0) + (m?.[0].length ?? 0)).replace(/^[\s:;>)(,-]+/, '');
      const rest = ON_DATE.test(after) ? '' : after;
      if (rest !== '') current.push(rest);
      if (rest !== '' && smtpIn(rest)) withReply.add(key);
      // "Delivery failed 20 attempts: x@y": the sentence before the address is the reason when
      // no line of the entry gives one.
      if (!opens && FAILURE.test(before) && !leads.has(key)) leads.set(key, before.replace(/[\s:;,-]+$/, '').trim());
      blankAfterReason = false;
      continue;
    }
    if (current && !(blankAfterReason && !/^\s/.test(raw))) {
      // An introducing line is kept when it names the SMTP command the reply answered (Exim's "SMTP
      // error from remote mail server after RCPT TO:<x@y>:" above the reply: the stage counts) or
      // continues a reply already begun (a wrapped reply line may end with a colon).
      const t = line.trim();
      const hasReply = smtpIn(t) !== undefined;
      const keep = !INTRODUCES.test(t) || NAMES_COMMAND.test(t) || hasReply || withReply.has(currentKey);
      if (!NOT_A_REASON.test(t) && keep) current.push(t);
      if (hasReply) withReply.add(currentKey);
    } else current = undefined;
  }
  // Reasons often stand apart from the address (Gmail's "Technical details", Exchange's
  // diagnostic block): a lone reply code in the text belongs to every entry without one.
  const lone = smtpIn(human);
  // An address listed alone ("Delivery to the following recipients failed: x@y") takes the
  // sentence that states the failure as its reason.
  const summary = failureParagraph(human);
  const read = (reason: string): Omit<TextBounceEntry, 'address'> => {
    const smtp = smtpIn(reason) ?? lone;
    return {
      reason: reason || smtp?.text || summary,
      ...(smtp !== undefined ? { smtp } : {}),
      transient: smtp ? smtp.code < 500 : TRANSIENT.test(reason || human),
    };
  };
  const entries: TextBounceEntry[] = [...found].map(([address, reasonLines]) => ({
    address,
    ...read(reasonLines.join(' ').replace(/\s+/g, ' ').trim() || leads.get(address) || ''),
  }));
  const unaddressed = entries.length === 0 && (summary !== '' || lone !== undefined) ? read('') : undefined;
  return { format: textFormat(human), entries, ...(unaddressed ? { unaddressed } : {}) };
}

/**
 * The sentence that states the failure, for addresses listed without a reason of their own: the
 * first line with failure words that names no address and introduces nothing, with the lines of
 * its paragraph after it (a reason is often wrapped: "… was not delivered because the destination
 * computer was / not reachable within the allowed queue period.").
 */
function failureParagraph(human: string): string {
  const lines = human.split('\n').map((l) => l.trim());
  const states = (l: string): boolean => FAILURE.test(l) && !ADDRESS.test(l) && !NOT_A_REASON.test(l);
  const start = lines.findIndex((l) => states(l) && !INTRODUCES.test(l));
  // Only an introducing sentence states it ("Delivery to the following recipient failed permanently:").
  if (start < 0) return (lines.find(states) ?? '').replace(/[\s:]+$/, '');
  const out: string[] = [];
  for (const l of lines.slice(start)) {
    if (l === '' || ADDRESS.test(l) || NOT_A_REASON.test(l) || out.length === 4) break;
    out.push(l);
    if (INTRODUCES.test(l)) break;
  }
  return out.join(' ').replace(/[\s:]+$/, '');
}
