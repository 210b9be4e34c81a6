/** What the listener lends each of its sessions. */
import type { SecureContext } from 'node:tls';
import type { Bus, Clock, Logger } from '@petrel/core';
import type { AuthFailureLimiter } from './auth.js';
import type { ExtensionRegistry } from './extensions.js';
import type { UserDb } from './passwords.js';
import type { InboundPolicySource } from './policy-hooks.js';
import type { SessionSettings } from './settings.js';
import type { MessageSignerSource } from './signing-hook.js';

/** Counters the listener exposes through stats(). */
export interface MutableStats {
  connectionsOpen: number;
  connectionsAccepted: number;
  connectionsRefused: number;
  messagesAccepted: number;
  rejections: number;
}

/** What the listener lends each session. */
export interface SessionHost {
  readonly settings: SessionSettings;
  readonly bus: Bus;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly extensions: ExtensionRegistry;
  readonly stats: MutableStats;
  /** The STARTTLS context now (it changes on reload), if TLS is configured. */
  tlsContext(): SecureContext | undefined;
  /** The AUTH users now, if AUTH is configured. */
  users(): UserDb | undefined;
  readonly authLimiter: AuthFailureLimiter;
  /** Policy hooks: each session takes a snapshot at connect (policy-hooks.ts). */
  readonly policy?: InboundPolicySource;
  /** The signing hook (DKIM), asked once per message before the spool commit (signing-hook.ts). */
  readonly signer?: MessageSignerSource;
}
