/**
 * Brings a reply, as it reaches the classifier, to the one form the rules are written against:
 * `"550 5.1.1 text"` on one line. Replies arrive multi-line (RFC 5321 §4.2.1 `550-…` continuation
 * lines, each repeating the enhanced code), inside DSN fields (RFC 3464 §2.3.6 `Diagnostic-Code:
 * smtp; …`, Postfix `X-Postfix; host … said: …`), inside MTA bounce texts (Exim `SMTP error from
 * remote mail server after …: host …: 550 …`, Exchange `Remote Server returned '…'`, qmail
 * `Remote host said: …`, Sendmail `(reason: …)`), or as a bare enhanced code (`5.1.1 text`).
 */

/** The parts of a normalized reply. */
export interface ReplyText {
  /** `"550 5.1.1 text"` on one line (what rules are tested against). */
  readonly text: string;
  /** Basic reply code, when one was found. */
  readonly code?: number;
  /** Enhanced status code (RFC 3463), when one was found. */
  readonly enhanced?: string;
  /** The command the reply answered, when a bounce text names it (see replyStage). */
  readonly stage?: ReplyStage;
}

/** The SMTP command a remote reply answered (RFC 5321 §3.3: MAIL names only the sender). */
export type ReplyStage = 'helo' | 'mail' | 'rcpt' | 'data';

// Where MTAs name the command in a bounce: Postfix "(in reply to MAIL FROM command)", Exim "SMTP
// error from remote mail server after MAIL FROM:<a@b>:", qmail-remote "Connected to … but sender
// was rejected." / "… but my name was rejected.". `\s+` between the words: bounce texts fold lines.
const STAGE_TEXT = new RegExp(
  String.raw`(?:\(in\s+reply\s+to|remote\s+(?:mail\s+server|mailer|host)\s+after)\s+(?:end\s+of\s+)?` +
    String.raw`(HELO|EHLO|LHLO|MAIL|RCPT|DATA|BDAT)\b|\bbut\s+(sender|my\s+name)\s+was\s+rejected\b`,
  'i',
);
const STAGE_OF: Readonly<Record<string, ReplyStage>> = {
  helo: 'helo',
  ehlo: 'helo',
  lhlo: 'helo',
  mail: 'mail',
  rcpt: 'rcpt',
  data: 'data',
  bdat: 'data',
};

/** The command a bounce text says the reply answered, if it says so (within the classified length). */
export function replyStage(text: string): ReplyStage | undefined {
  const m = STAGE_TEXT.exec(text.length > MAX_REPLY_TEXT * 2 ? text.slice(0, MAX_REPLY_TEXT * 2) : text);
  if (!m) return undefined;
  if (m[2]) return m[2].toLowerCase() === 'sender' ? 'mail' : 'helo';
  return STAGE_OF[m[1]!.toLowerCase()];
}

const ENHANCED = /^([245]\.\d{1,3}\.\d{1,3})(?=[\s,;:'")\]]|$)/;
// A reply code inside a longer text, preceded by a separator and followed by an enhanced code.
const EMBEDDED_WITH_ENHANCED = /(?:^|[\s:;'"(<[#])([245]\d\d)[ -]['"]?([245]\.\d{1,3}\.\d{1,3})(?=[\s,;:'")\]]|$)/;
// A reply code after the words MTAs put before the remote reply. Exim names the command, with the
// host on the line above or below: "SMTP error from remote mail server after RCPT TO:<a@b>:",
// "… after MAIL FROM:<a@b> SIZE=1024:", "… after end of data:", "… after EHLO name:" (Exim spec,
// "Bounce messages"; also after "Delay reason:").
const EXIM_AFTER_COMMAND = String.raw`remote (?:mail server|mailer|host) after (?:[\w ]*?:<[^>]*>[^:\n]*|[^:<]*)`;
// Client libraries: "… error: 550 …", Symfony's `got code "552", with message "552 …"`, .NET's "The
// server response was: 550 …", Java's "…Exception: 550 …".
const WORDS = 'said|returned|reason|to me|response|(?:response|reply|returned) was|error|exception';
const INTRODUCERS = String.raw`(?:${WORDS}|\]|${EXIM_AFTER_COMMAND}):`;
const EMBEDDED_AFTER_SAID = new RegExp(
  String.raw`(?:(?:${INTRODUCERS}|with message)\s*['"]?|<<<\s*)([245]\d\d)[ -]`,
  'i',
);
// An enhanced code quoted alone in a bounce text ("jane@example.com; Failed; 5.1.1 (bad …)").
const LONE_ENHANCED = /(?:^|[\s;:([])([245]\.[0-7]\.\d{1,3})(?=[\s;:)\],]|\.?$)/;
const RETURNED = /^Remote Server returned '(.*)'$/is;
// Python's smtplib puts the reply in a tuple: SMTPDataError "(550, b'text')", SMTPRecipientsRefused
// "{'a@b': (501, '5.1.5 text')}".
const PY_TUPLE = /\(([245]\d\d), b?(['"])(.*?)\2\)/s;

/**
 * The Diagnostic-Code field of a DSN block, with its folded continuation lines (RFC 5322 §2.2.3),
 * or the whole text when it has none. A `Status:` field nearby is kept as a fallback enhanced code.
 */
function diagnosticPart(lines: string[]): { lines: string[]; status?: string } {
  const i = lines.findIndex((l) => /^\s*Diagnostic-Code:/i.test(l));
  if (i < 0) return { lines };
  const status = lines.map((l) => /^\s*Status:\s*([245]\.\d{1,3}\.\d{1,3})\b/i.exec(l)?.[1]).find((s) => s);
  const out = [lines[i]!.replace(/^\s*Diagnostic-Code:\s*/i, '')];
  // A multi-line reply copied into the field keeps its own continuation lines ("550-…" up to
  // "550 …", RFC 5321 §4.2.1), folded or not: bounce writers and copies often drop the folding
  // whitespace (RFC 5322 §2.2.3), and the reason is then on the later lines.
  // Copies also wrap long lines without folding whitespace: a later line that is neither blank, nor
  // another field ("Status: …", RFC 3464 §2.3), nor a MIME boundary, nor a new reply after a
  // complete one continues the field.
  const first = stripDiagnosticType(out[0]!.trim());
  const startsWithReply = /^[245]\d\d[ -]/.test(first);
  let inReply = /^[245]\d\d-/.test(first);
  for (const l of lines.slice(i + 1)) {
    const newReply = startsWithReply && !inReply && /^[245]\d\d[ -]/.test(l);
    if (l.trim() === '' || /^[A-Za-z][\w-]*:\s/.test(l) || l.startsWith('--') || newReply) break;
    out.push(l);
    if (/^\s*[245]\d\d(?: |$)/.test(l) || (inReply && /\s[245]\d\d \S/.test(l))) inReply = false;
  }
  return status ? { lines: out, status } : { lines: out };
}

/**
 * Joins the lines of a multi-line reply: `550-5.1.1 a` / `550-5.1.1 b` / `550 5.1.1 c` becomes
 * `550 5.1.1 a b c` (each continuation line's code and repeated enhanced code dropped).
 */
function joinLines(lines: string[]): string {
  const parts: string[] = [];
  let isReply = false;
  for (const raw of lines) {
    let l = raw.trim();
    if (l === '') continue;
    if (parts.length === 0) {
      isReply = /^[245]\d\d(?:[ -]|$)/.test(l);
      parts.push(l.replace(/^([245]\d\d)-/, '$1 '));
      continue;
    }
    // Continuation lines repeat the code only when the text is itself a multi-line reply; in a
    // bounce text (Sendmail transcript, DSN body) a later line with a code is a reply of its own.
    const m = isReply ? /^([245]\d\d)[ -](.*)$/s.exec(l) : null;
    if (m) l = m[2]!.replace(ENHANCED, '').trim();
    if (l !== '') parts.push(l);
  }
  return parts.join(' ');
}

/** Drops the DSN diagnostic type (RFC 3464 §2.3.6: `smtp;`, `X-Postfix;`, `X-Exim;` …). */
function stripDiagnosticType(s: string): string {
  return s.replace(/^(?:smtp|esmtp|lmtp|mta|x-[\w.-]+)\s*;\s*/i, '');
}

/** Cuts the text in front of a remote reply embedded in an MTA's bounce text. */
function cutToReply(s: string): string {
  const ret = RETURNED.exec(s);
  if (ret) return ret[1]!;
  if (/^[245]\d\d(?:[ -]|$)/.test(s)) return s;
  const py = PY_TUPLE.exec(s);
  if (py) return `${py[1]} ${py[3]}`;
  // The earliest remote reply: with an enhanced code, or after the words that introduce one.
  const found = [EMBEDDED_WITH_ENHANCED.exec(s), EMBEDDED_AFTER_SAID.exec(s)].filter((x) => x !== null);
  const m = found.sort((a, b) => a.index - b.index)[0];
  if (!m) return s;
  const at = s.indexOf(m[1]!, m.index);
  return s.slice(at);
}

/** Drops trailers that carry no meaning: Postfix `(in reply to RCPT TO command)`, a closing `)`. */
function stripTrailers(s: string): string {
  return s
    .replace(/\s*\(in reply to [^)]*\)\)?\s*$/i, '')
    .replace(/^(([245]\d\d) .*?)\)$/s, (all, body: string) => (body.includes('(') ? all : body));
}

// A reply line of a session transcript, with its enhanced code ("550 5.1.2 <jane@…>... Host unknown").
const TRANSCRIPT_LINE = /^\s*(?:<<<\s*)?([245]\d\d)[ -]([245]\.\d{1,3}\.\d{1,3})(?=\s)/gm;

/** The enhanced code of a transcript line with the same basic code (Sendmail's "Transcript of session"). */
function transcriptEnhanced(text: string, code: number): string | undefined {
  for (const m of text.matchAll(TRANSCRIPT_LINE)) {
    if (Number(m[1]) === code && m[2]![0] === m[1]![0]) return m[2];
  }
  return undefined;
}

// A local mailer's own message in a Sendmail session transcript ("maildrop: maildir over quota.",
// "procmail: Quota exceeded while writing …", "mail.local: …"): the program's name, a colon, its words.
// Sendmail puts the mailer's stderr there, above the reply it made of it ("550 5.0.0 <…>... Insufficient
// permission"), which then names only the mailer's exit status (sysexits.h), not the cause.
// Its heading is "----- Transcript of session follows -----"; the words alone find it, with no run of
// dashes for the expression to backtrack over (8000 dashes took 77 ms that way).
const TRANSCRIPT_START = /Transcript of session follows/i;
// A program's name is lower case: a DSN field after the transcript ("Reporting-MTA: dns; …") is no note.
const MAILER_NOTE = /^\s*([a-z][a-z0-9._+-]{1,30}): (\S.{2,200})$/;

/** The mailer's own message in a Sendmail transcript, if it has one. */
function transcriptNote(text: string): string | undefined {
  const start = TRANSCRIPT_START.exec(text);
  if (!start) return undefined;
  for (const line of text.slice(start.index + start[0].length).split('\n')) {
    const m = MAILER_NOTE.exec(line);
    if (m) return `${m[1]}: ${m[2]!.trim()}`;
  }
  return undefined;
}

// Sendmail's "(reason: 550 5.1.1 <jane@…>... User unknown)": the reply, without the session transcript
// after it (whose dialogue, ">>> DATA" / "<<< 503 Need RCPT", is about other commands).
const SENDMAIL_REASON = /\(reason: /i;

/** The reply of a Sendmail "(reason: …)" when it holds one; else the text as it is. Linear: one scan. */
function sendmailReason(s: string): string {
  const m = SENDMAIL_REASON.exec(s);
  if (!m) return s;
  const start = m.index + m[0].length;
  let depth = 0;
  for (let i = start; i < s.length; i++) {
    if (s[i] === '(') depth++;
    else if (s[i] === ')' && depth-- === 0) {
      const reason = s.slice(start, i).trim();
      return /^[245]\d\d(?:[ -]|$)/.test(reason) ? reason : s;
    }
  }
  return s;
}

/**
 * Longest text classified: RFC 5321 §4.5.3.1.5 limits a reply line to 512 octets; a multi-line
 * reply or a bounce text longer than this says nothing more, and the bound keeps every rule's
 * work linear in practice.
 */
export const MAX_REPLY_TEXT = 4096;

/** Normalizes a reply (see the module comment); never throws, any text is accepted. */
export function normalizeReply(raw: string): ReplyText {
  const bounded = raw.slice(0, MAX_REPLY_TEXT * 2).replace(/\r/g, '');
  const part = diagnosticPart(bounded.split('\n'));
  let s = joinLines(part.lines.map((l, i) => (i === 0 ? stripDiagnosticType(l.trim()) : l)));
  s = stripTrailers(cutToReply(stripDiagnosticType(sendmailReason(s.replace(/\s+/g, ' ').trim()))));
  let code: number | undefined;
  let enhanced: string | undefined;
  // RFC 5321 §4.2 puts a space or "-" after the code; bounce texts and senders' logs also write
  // "550: 5.7.1 text" and "421, "4.7.0", text", which are the same reply.
  const basic = /^([245]\d\d)(?:[ -]|[:,](?=[\s"'])|$)\s*/.exec(s);
  if (basic) {
    code = Number(basic[1]);
    // … and a log may quote the whole text after the code: "450-'4.7.25 Client host rejected …'".
    s = s
      .slice(basic[0].length)
      .replace(/^(["'])([245]\.\d{1,3}\.\d{1,3})\1,?\s*/, '$2 ')
      .replace(/^(["'])([245]\.\d{1,3}\.\d{1,3} [^"']*)\1$/, '$2');
  }
  const enh = ENHANCED.exec(s);
  if (enh) {
    enhanced = enh[1];
    s = s.slice(enh[0].length).replace(/^\s*-?\s*/, '');
  } else {
    // qmail and chkuser put the enhanced code at the end, "(#5.1.1)"; a DSN carries it in Status:.
    enhanced = /[(\s]#([245]\.\d{1,3}\.\d{1,3})\b/.exec(` ${s}`)?.[1] ?? part.status;
    // A bounce that quotes the reply without its enhanced code ("(reason: 550 Host unknown)") may
    // carry the same reply in its session transcript: "550 5.1.2 <jane@…>... Host unknown".
    if (enhanced === undefined && code !== undefined) enhanced = transcriptEnhanced(bounded, code);
    if (enhanced === undefined && code === undefined) enhanced = LONE_ENHANCED.exec(s)?.[1];
  }
  // A multi-line reply quoted inside a bounce text keeps its continuation prefixes ("… Learn more at
  // 550 5.1.1 https://…"): the repeats of the reply's own code say nothing more.
  if (code !== undefined && enhanced !== undefined) {
    const again = new RegExp(`\\s${code}[ -]${enhanced.replace(/\./g, '\\.')}(?=\\s)`, 'g');
    s = s.replace(again, '');
  }
  // A multi-line reply cut out of a bounce text after its first line was joined as prose ("550-a
  // 550-b 550 c", Exim's "SMTP error … after RCPT TO:<…>:" above the reply): its continuation codes
  // (RFC 5321 §4.2.1) say nothing more; a lone "550 " counts as one only beside a "550-".
  if (code !== undefined && s.includes(` ${code}-`)) {
    s = s.replace(new RegExp(`\\s${code}[ -](?=\\S)`, 'g'), ' ');
  }
  // A bare enhanced code ("5.1.1 text") gets the basic code of its class (RFC 3463 §3.1).
  if (code === undefined && enhanced !== undefined) code = Number(enhanced[0]) * 100 + 50;
  // Only a reply that names no cause of its own (x.0.0, x.3.0: Sendmail's words for a mailer's exit status).
  const note = enhanced === undefined || /^\d\.[03]\.0$/.test(enhanced) ? transcriptNote(bounded) : undefined;
  if (note !== undefined && !s.includes(note)) s = `${s} ${note}`;
  const text = [code === undefined ? undefined : String(code), enhanced, s.trim().slice(0, MAX_REPLY_TEXT)]
    .filter((x) => x !== undefined && x !== '')
    .join(' ');
  const stage = replyStage(bounded);
  return {
    text,
    ...(code === undefined ? {} : { code }),
    ...(enhanced === undefined ? {} : { enhanced }),
    ...(stage === undefined ? {} : { stage }),
  };
}
