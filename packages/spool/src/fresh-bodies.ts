/**
 * Bodies of messages just stored, kept in memory until their first delivery attempt, so that
 * outbound's `spool.body` for fresh mail is answered without reading the BLOB back from SQLite
 * (issue 9: that read was a visible share of the main thread at 100 KB bodies). Bounded by bytes,
 * oldest first; an entry leaves at the message's first outcome (any kind), so a deleted message is
 * never served from here: deletion always follows an outcome.
 */
export class FreshBodies {
  private readonly bodies = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  add(id: string, body: Buffer): void {
    if (this.maxBytes <= 0 || body.length > this.maxBytes / 4) return;
    this.bodies.set(id, body);
    this.bytes += body.length;
    // Map iteration is insertion order: evict the oldest until within the bound.
    for (const [old, b] of this.bodies) {
      if (this.bytes <= this.maxBytes) break;
      this.bodies.delete(old);
      this.bytes -= b.length;
    }
  }

  get(id: string): Buffer | undefined {
    return this.bodies.get(id);
  }

  forget(id: string): void {
    const b = this.bodies.get(id);
    if (b) {
      this.bodies.delete(id);
      this.bytes -= b.length;
    }
  }

  get size(): number {
    return this.bytes;
  }
}
