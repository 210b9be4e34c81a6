/**
 * The public option and result types of the client (the contract outbound codes against).
 */
import type { ReplyData } from '@petrel/core';
import type { StateMachine } from './state-machine.js';
import type { TlsAuthPolicy } from './tls-auth.js';

/** Per-command reply waits in milliseconds (RFC 5321 §4.5.3.2; config defaults follow it). */
export interface SessionTimeouts {
  connect: number;
  banner: number;
  ehlo: number;
  mailfrom: number;
  rcptto: number;
  data: number;
  /** Each body write must drain within this (RFC 5321 §4.5.3.2.5). */
  dataBlock: number;
  /** Wait for the reply to the final dot (RFC 5321 §4.5.3.2.6). */
  body: number;
  rset: number;
  quit: number;
}

/** The timeout classes, as state declarations name them. */
export type TimeoutKey = keyof SessionTimeouts;

export interface SessionOptions {
  /** IP address to connect to. */
  host: string;
  port: number;
  /** The MX/gateway name (TLS SNI and name check, logs). */
  hostname?: string;
  /** Source address to bind (the binding's bind_address). */
  localAddress?: string;
  ehloName: string;
  timeouts: SessionTimeouts;
  tls: 'no' | 'ifavailable' | 'required';
  tlsVerify: 'no' | 'ca' | 'host';
  /** tls_ifavailable_fallback (default true): a failed handshake reconnects in plaintext. */
  tlsFallback?: boolean;
  /** Trusted CA certificates (PEM) for tlsVerify 'ca'/'host'; default: Node's root store. */
  tlsCa?: string | Buffer | ReadonlyArray<string | Buffer>;
  /**
   * Server authentication a TLS policy demands (MTA-STS, DANE): replaces tlsVerify; unless it only
   * observes (MTA-STS testing) TLS is mandatory and a failed check ends the session (tls-auth.ts).
   */
  tlsAuth?: TlsAuthPolicy;
  auth?: { user: string; pass: string; allowPlaintext?: boolean };
  /** Default true: pipeline when the server advertises PIPELINING (RFC 2920). */
  pipelining?: boolean;
  /** use_chunking (default true): send the body with BDAT when CHUNKING is advertised (RFC 3030). */
  chunking?: boolean;
  /**
   * transform_8bitmime_content (default 'ifneeded'): an 8BITMIME body to a server without
   * 8BITMIME is sent as is ('no'), re-encoded as quoted-printable where possible ('ifneeded'), or
   * re-encoded and refused with 554 5.6.3 if 8-bit octets remain ('strict').
   */
  transform8bit?: 'no' | 'ifneeded' | 'strict';
  /** Every protocol line as sent ('c') or received ('s'); AUTH secrets are masked. */
  onTranscript?(direction: 'c' | 's', line: string): void;
  /** The state registry to run; default: the shared default machine. */
  machine?: StateMachine;
}

export interface TransactionRecipient {
  address: string;
  /** DSN NOTIFY (RFC 3461 §4.1). */
  notify?: readonly string[];
  /** DSN ORCPT (RFC 3461 §4.2), "rfc822;bob@example.test" (a bare address means rfc822). */
  orcpt?: string;
  /**
   * Extra RCPT parameters as written ("KEY=value" or "KEY"), e.g. from a policy hook (Momentum smtp_client_args_add).
   */
  params?: readonly string[];
}

export interface Transaction {
  /** '' = null reverse-path <>. */
  sender: string;
  recipients: readonly TransactionRecipient[];
  /** Whole message, CRLF line ends, NOT dot-stuffed (the client stuffs). */
  body: Buffer;
  bodyType?: '7BIT' | '8BITMIME' | 'BINARYMIME';
  smtputf8?: boolean;
  ret?: 'FULL' | 'HDRS';
  envid?: string;
  /**
   * Extra MAIL parameters as written ("KEY=value" or "KEY"), e.g. from a policy hook (Momentum smtp_client_args_add).
   */
  mailParams?: readonly string[];
}

export interface RecipientResult {
  address: string;
  status: 'delivered' | 'transient' | 'permanent';
  reply: ReplyData;
  /** Momentum stage code (core's Stage). */
  stage: number;
}

export interface TransactionResult {
  /** Exactly one per transaction recipient, same order. */
  recipients: RecipientResult[];
  /** False after 421, disconnect, timeout: do not reuse. */
  sessionUsable: boolean;
}

/** EHLO keyword (upper case) -> parameters ('' if none). */
export type Capabilities = ReadonlyMap<string, string>;

/**
 * The session's events, named after libESMTP's (smtp_event_cb: SMTP_EV_CONNECT, SMTP_EV_DISCONNECT,
 * SMTP_EV_SYNTAXWARNING, SMTP_EV_EXTNA_*, SMTP_EV_MAILSTATUS, SMTP_EV_RCPTSTATUS,
 * SMTP_EV_MESSAGEDATA, SMTP_EV_MESSAGESENT), each with its listener arguments. libESMTP's
 * SMTP_EV_DELIVERBY_EXPIRED has no counterpart: the client does not implement DELIVERBY (RFC 2852).
 */
export interface SessionEvents {
  /** TCP connected (again after a TLS fallback reconnect). */
  connect: [info: { readonly host: string; readonly port: number }];
  /** The socket closed, for any reason. */
  disconnect: [];
  /** A reply that breaks RFC 5321 §4.2 syntax; the session is then not reused if the stream may be out of step. */
  'syntax-warning': [warning: { readonly message: string; readonly line: string }];
  /**
   * An extension the transaction or policy wanted is not advertised (STARTTLS, AUTH, DSN, 8BITMIME, SMTPUTF8, CHUNKING,
   * BINARYMIME).
   */
  'extension-not-available': [extension: string];
  'mail-status': [status: { readonly sender: string; readonly reply: ReplyData }];
  'rcpt-status': [status: { readonly address: string | undefined; readonly reply: ReplyData }];
  /** Body progress: octets written so far. */
  'message-data': [bytesSent: number];
  /** The reply to the end of data (or the last BDAT), whatever it says. */
  'message-sent': [sent: { readonly reply: ReplyData; readonly bytes: number }];
}

export type SessionEventName = keyof SessionEvents;
