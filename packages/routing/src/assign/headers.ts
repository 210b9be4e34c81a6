/**
 * Reads header fields from a stored message without parsing the body: only the bytes up to the
 * first empty line (RFC 5322 §2.1: header section, then CRLF CRLF, then the body) are decoded.
 */

/** The header section of a message (without the blank line), as latin1 text; at most `limit` octets are read. */
export function headerBlock(message: Buffer, limit = 256 * 1024): string {
  const head = message.subarray(0, Math.min(message.length, limit));
  const end = head.indexOf('\r\n\r\n');
  const endLf = end < 0 ? head.indexOf('\n\n') : -1;
  const stop = end >= 0 ? end : endLf >= 0 ? endLf : head.length;
  return head.subarray(0, stop).toString('latin1');
}

/** The unfolded value of the first field called `name` (case-insensitive), trimmed; undefined when absent. */
export function headerValue(block: string, name: string): string | undefined {
  const want = name.toLowerCase();
  const lines = block.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0 || /^[ \t]/.test(line) || line.slice(0, colon).trim().toLowerCase() !== want) continue;
    // RFC 5322 §2.2.3: a field continues on lines that start with white space (folding).
    let value = line.slice(colon + 1);
    while (i + 1 < lines.length && /^[ \t]/.test(lines[i + 1]!)) value += ` ${lines[++i]!.trim()}`;
    return value.trim();
  }
  return undefined;
}
