/**
 * One registry of typed errors (STYLE.md §4). Every code is documented in docs/errors.md;
 * a test checks that the registry and the document agree.
 */
export const ErrorCodes = {
  PETREL_ERR_CONFIG_SYNTAX: 'the configuration file is not valid TOML',
  PETREL_ERR_CONFIG_KEY: 'a configuration key is unknown or has a value of the wrong type',
  PETREL_ERR_CONFIG_READ: 'the configuration file cannot be read',
  PETREL_ERR_BUS_TOPIC: 'a bus topic name is not declared in the topic map',
  PETREL_ERR_BUS_NO_HANDLER: 'a bus request has no handler',
  PETREL_ERR_BUS_DUPLICATE_HANDLER: 'a second handler was registered for a bus request',
  PETREL_ERR_SPOOL_WRITE: 'the spool could not store a message durably',
  PETREL_ERR_SPOOL_FULL: 'the spool refused a message because free disk space is below the minimum',
  PETREL_ERR_SPOOL_NOT_FOUND: 'a message id is not in the spool',
  PETREL_ERR_SPOOL_LOCKED: 'another Petrel process holds the spool directory',
  PETREL_ERR_SMTP_PROTOCOL: 'a peer broke the SMTP protocol',
  PETREL_ERR_SMTP_TIMEOUT: 'an SMTP command timed out',
  PETREL_ERR_SMTP_STATE: 'an SMTP client state registration is invalid',
  PETREL_ERR_DNS: 'a DNS lookup failed',
  PETREL_ERR_LISTEN: 'a listener could not bind its address',
  PETREL_ERR_SERVICE_STATE: 'a service was used in the wrong lifecycle state',
  PETREL_ERR_QUEUE_ARGUMENT: 'a queue operation was given an invalid argument',
  PETREL_ERR_BOUNCE_CLASS: 'a bounce class registration is invalid',
  PETREL_ERR_BOUNCE_RULES: 'a bounce rules or override file is invalid',
  PETREL_ERR_LISTENER_TLS: 'the listener cannot load its STARTTLS certificate or key',
  PETREL_ERR_AUTH_USERS: 'the listener cannot read its AUTH users file',
  PETREL_ERR_EVENTLOG_TRACE: 'the event log cannot answer a message trace',
  PETREL_ERR_POLICY: 'a policy module cannot be loaded or is invalid',
  PETREL_ERR_SUPPRESSION_INPUT: 'a suppression entry or import file is invalid',
  PETREL_ERR_INBOUND_STORE: 'mail to a return-path domain could not be kept',
  PETREL_ERR_SPOOL_RECORD_EXISTS: 'a spool record with that key is already stored',
  PETREL_ERR_HTTP_TOKENS: 'the HTTP injection API cannot read its tokens file',
  PETREL_ERR_HTTP_TLS: 'the HTTP injection API cannot load its TLS certificate or key',
  PETREL_ERR_CLUSTER_REDIS: 'a Redis call of the cluster failed or timed out',
  PETREL_ERR_CLUSTER_OFF: 'a cluster command was sent to a node without [cluster] redis',
  PETREL_ERR_MTA_STS: 'an MTA-STS policy could not be fetched or is invalid',
  PETREL_ERR_DNSSEC_QUERY: 'a DNSSEC-aware DNS query (TLSA, AD bit) failed',
  PETREL_ERR_TLS_REPORT: 'a TLS report (RFC 8460) could not be produced or stored',
  PETREL_ERR_SHAPING_RULES: 'a shaping rule file or warm-up schedule is invalid',
  PETREL_ERR_SHAPING_STATE: 'a shaping state request is invalid or names no state',
  PETREL_ERR_DKIM_KEY: 'a DKIM private key cannot be read or is not a usable RSA or Ed25519 key',
  PETREL_ERR_DKIM_SIGN: 'a message cannot be DKIM-signed (for example it has no From: header field)',
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

/** The one error class Petrel throws on purpose: a code from the registry plus structured fields. */
export class PetrelError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PetrelError';
    this.code = code;
    this.details = Object.freeze({ ...details });
  }
}

export function isPetrelError(err: unknown, code?: ErrorCode): err is PetrelError {
  return err instanceof PetrelError && (code === undefined || err.code === code);
}
