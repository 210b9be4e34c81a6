/**
 * Removes header fields named by a job's `stripHeaders` (e.g. X-Binding once it has chosen the
 * binding) from the header section before delivery. Only the header section is touched; folded
 * continuation lines (RFC 5322 §2.2.3) go with their field. Returns the body itself when nothing matches.
 */
export function stripHeaders(message: Buffer, names: readonly string[] | undefined): Buffer {
  if (!names || names.length === 0) return message;
  const end = message.indexOf('\r\n\r\n');
  const headerEnd = end < 0 ? message.length : end + 2; // keep the CRLF that ends the last field
  const head = message.subarray(0, headerEnd).toString('latin1');
  const drop = new Set(names.map((n) => n.toLowerCase()));
  const lines = head.split(/(?<=\r\n)/);
  const kept: string[] = [];
  let dropping = false;
  for (const line of lines) {
    if (/^[ \t]/.test(line)) {
      if (!dropping) kept.push(line);
      continue;
    }
    const colon = line.indexOf(':');
    dropping = colon > 0 && drop.has(line.slice(0, colon).trim().toLowerCase());
    if (!dropping) kept.push(line);
  }
  if (kept.length === lines.length) return message;
  return Buffer.concat([Buffer.from(kept.join(''), 'latin1'), message.subarray(headerEnd)]);
}
