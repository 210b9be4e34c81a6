/**
 * The STARTTLS certificate (RFC 3207), loaded from [listener] tls_certificate / tls_key and
 * replaceable at run time (SIGHUP): sessions take the context current when they upgrade.
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import { PetrelError, type Clock } from '@petrel/core';
import type { TlsInfo } from './received.js';

export interface TlsFiles {
  readonly certificate: string;
  readonly key: string;
}

export function loadSecureContext(files: TlsFiles): SecureContext {
  try {
    return createSecureContext({
      cert: readFileSync(files.certificate),
      key: readFileSync(files.key),
      // RFC 8996: TLS 1.0 and 1.1 are deprecated.
      minVersion: 'TLSv1.2',
    });
  } catch (err) {
    throw new PetrelError(
      'PETREL_ERR_LISTENER_TLS',
      `listener cannot load TLS certificate ${files.certificate} / key ${files.key}: ${(err as Error).message}`,
      { ...files },
      { cause: err },
    );
  }
}

/**
 * The server side of the handshake on a socket whose 220 was written and whose cleartext input
 * listeners are removed. Resolves with the TLS socket, or with the error once both sockets are
 * destroyed (failed handshake, peer gone, or no handshake within `timeoutMs`).
 */
export async function upgradeToTls(
  raw: Socket,
  context: SecureContext,
  timeoutMs: number,
  clock: Clock,
): Promise<{ readonly socket: TLSSocket; readonly info: TlsInfo } | { readonly error: Error }> {
  // Paused, input stays buffered in the socket; TLSSocket takes it over as the handshake.
  raw.pause();
  const gone = new Promise<'gone'>((r) => raw.once('close', () => r('gone')));
  if (raw.writableLength > 0) {
    const drained = new Promise<'drained'>((r) => raw.once('drain', () => r('drained')));
    if ((await Promise.race([drained, gone])) === 'gone')
      return { error: new Error('client closed before the handshake') };
  }
  const secure = new TLSSocket(raw, { isServer: true, secureContext: context });
  const timer = clock.setTimer(timeoutMs, () => secure.destroy(new Error('TLS handshake timed out')));
  const outcome = await new Promise<Error | undefined>((resolve) => {
    secure.once('secure', () => resolve(undefined));
    secure.once('error', (err) => resolve(err));
    secure.once('close', () => resolve(new Error('connection closed during the handshake')));
    // Sockets are half-open (a client's FIN does not close ours): a FIN before the handshake ends
    // is the client gone.
    secure.once('end', () => resolve(new Error('connection closed during the handshake')));
  });
  clock.clearTimer(timer);
  if (outcome) {
    secure.destroy();
    raw.destroy();
    return { error: outcome };
  }
  const cipher = secure.getCipher();
  return {
    socket: secure,
    info: { protocol: secure.getProtocol() ?? 'TLS', cipher: cipher.standardName ?? cipher.name },
  };
}
