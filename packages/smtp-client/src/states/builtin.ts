/**
 * The built-in states in their default order (reference §10): connect → banner → EHLO → HELO
 * fallback → STARTTLS → AUTH | MAIL → RCPT → DATA → body | RSET | QUIT.
 */
import type { SmtpState } from '../state.js';
import { authState } from './auth.js';
import { bodyState } from './body.js';
import { rsetState, quitState } from './ending.js';
import { dataState, mailState, rcptState } from './envelope.js';
import { bannerState, connectState, ehloState, heloState } from './greeting.js';
import { starttlsState } from './starttls.js';

export const BUILTIN_STATES: readonly SmtpState[] = [
  connectState,
  bannerState,
  ehloState,
  heloState,
  starttlsState,
  authState,
  mailState,
  rcptState,
  dataState,
  bodyState,
  rsetState,
  quitState,
];
