// Per-sender recipient limits: a sender may name at most N recipients per message.
// RFC 5321 §4.5.3.1.10: 452 (not 5xx) so that the client sends the rest in another transaction.
const LIMITS = new Map([
  ['newsletter@example.test', 2],
  ['alerts@example.test', 10],
]);
const DEFAULT_LIMIT = 100;

/** @type {import('@petrel/policy').Policy} */
export default {
  rcptTo(ctx) {
    const limit = LIMITS.get(ctx.sender.toLowerCase()) ?? DEFAULT_LIMIT;
    if (ctx.accepted.length >= limit)
      return { reply: `452 4.5.3 Too many recipients for <${ctx.sender}> (limit ${limit})` };
    return undefined;
  },
};
