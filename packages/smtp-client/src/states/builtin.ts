/**
 * The built-in states in their default order (reference §10): connect → banner → EHLO → HELO
 * fallback → STARTTLS → AUTH | (pipelined RSET) MAIL → RCPT → DATA → body | BDAT | RSET | QUIT.
 */
import type { SmtpState } from '../state.js';
import { authState } from './auth.js';
import { bdatState } from './bdat.js';
import { bodyState } from './body.js';
import { pipelinedRsetState, rsetState, quitState } from './ending.js';
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
  pipelinedRsetState,
  mailState,
  rcptState,
  dataState,
  bdatState,
  bodyState,
  rsetState,
  quitState,
];
