/**
 * Auto-replies (vacation notices, "out of office"): RFC 3834 §5 Auto-Submitted: auto-replied, the
 * de-facto X-Autoreply / X-Autorespond / Precedence: auto_reply fields, and, for responders that
 * set none of them, the usual subjects in the common languages. Momentum class 60 Auto-Reply.
 */
import { decodeWords, header, type HeaderField } from './mime.js';

/** Subject phrases of auto-replies, by language (English, German, French, Spanish, Italian, Dutch, Portuguese). */
const SUBJECTS = new RegExp(
  `\\b(${[
    'out of (the )?office',
    'auto(matic|matische|matisk)?[ -]?(reply|response|respuesta|r[ée]ponse|antwort|svar|risposta)',
    'autoreply|vacation|on leave|away from (my|the) (desk|office)',
    'abwesenheit(snotiz)?',
    'r[ée]ponse automatique|absence',
    'respuesta autom[áa]tica|fuera de la oficina',
    'risposta automatica|fuori ufficio',
    'automatisch antwoord|afwezig|niet aanwezig',
    'resposta autom[áa]tica|ausente',
  ].join('|')})\\b`,
  'i',
);

/** Why a message is an auto-reply, or undefined. */
export function autoReplyReason(headers: readonly HeaderField[]): string | undefined {
  const auto = header(headers, 'auto-submitted')?.toLowerCase();
  if (auto?.startsWith('auto-replied')) return `Auto-Submitted: ${auto}`;
  for (const name of ['x-autoreply', 'x-autorespond', 'x-auto-response', 'x-autoresponder']) {
    const v = header(headers, name);
    if (v !== undefined && !/^(no|false|0)$/i.test(v.trim())) return `${name}: ${v}`;
  }
  const precedence = header(headers, 'precedence') ?? header(headers, 'x-precedence');
  if (precedence && /auto[_-]?reply/i.test(precedence)) return `Precedence: ${precedence}`;
  const subject = decodeWords(header(headers, 'subject') ?? '');
  if (SUBJECTS.test(subject)) return `Subject: ${subject}`;
  return undefined;
}
