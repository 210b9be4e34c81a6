// A DSN-style notice built in code and injected (Momentum ec_internal_inject): when a recipient
// fails for good, the sender gets a short plain-text notice from <> (RFC 5321 §4.5.5: notices
// use the null sender, so they never loop). The notice is routed and delivered like any message
// and logged as a reception with protocol "internal".
/** @type {import('@petrel/policy').Policy} */
export default {
  async onPermanentFailure(e) {
    if (e.sender === '') return; // never notify about a notice
    await e.inject({
      from: '',
      to: e.sender,
      subject: `Delivery failure notice: ${e.recipient}`,
      headers: { 'Auto-Submitted': 'auto-replied', 'X-Petrel-Notice': 'permanent-failure' },
      text: [
        `Your message ${e.messageId} could not be delivered to <${e.recipient}>.`,
        '',
        `Remote reply: ${e.reply.code} ${e.reply.enhanced ?? ''} ${e.reply.text}`.replace(/ {2,}/g, ' '),
        e.reason ? `Reason: ${e.reason}` : '',
      ].join('\n'),
    });
  },
};
