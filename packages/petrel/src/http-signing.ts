/**
 * The HTTP API's reception hook filled with the listener's signer (DKIM, docs/dkim.md): mail
 * injected over HTTP is signed exactly as SMTP mail is, before the spool commit, with the same
 * keys and policy hook. The session the signer sees is the HTTP client's.
 */
import type { ReceptionHook } from '@petrel/http-injector';
import type { MessageSignerSource } from '@petrel/listener';

export function httpReception(signer: MessageSignerSource): ReceptionHook {
  return async ({ envelope, body, tls }) => {
    const sign = signer();
    if (!sign) return body;
    const r = await sign({
      session: {
        connectionId: `http-${envelope.id}`,
        client: { address: envelope.client?.address ?? '', port: envelope.client?.port ?? 0 },
        esmtp: true,
        tls,
        ...(envelope.client?.authUser !== undefined ? { authUser: envelope.client.authUser } : {}),
      },
      envelope,
      body,
    });
    if (r === undefined) return body;
    if ('reply' in r) return { refuse: r.reply };
    return Buffer.concat([Buffer.from(r.prepend, 'latin1'), body]);
  };
}
