// A recipient block list: exact addresses and whole domains, refused at RCPT with 550 5.7.1.
const BLOCKED = new Set(['blocked@example.test', 'abuse-trap@example.net']);
const BLOCKED_DOMAINS = new Set(['blocked.test']);

/** @type {import('@petrel/policy').Policy} */
export default {
  rcptTo(ctx) {
    const rcpt = ctx.recipient.toLowerCase();
    if (BLOCKED.has(rcpt) || BLOCKED_DOMAINS.has(ctx.domain)) {
      return { reply: `550 5.7.1 <${ctx.recipient}>: recipient is on the block list` };
    }
    return undefined;
  },
};
