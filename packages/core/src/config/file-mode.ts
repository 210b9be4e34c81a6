/**
 * Secrets in a config file (a gateway password, the control token) should be readable by its
 * owner and group only. Services warn at start rather than refuse, so an operator can fix the
 * permissions without downtime.
 */
import { statSync } from 'node:fs';

/** The warning for a config file holding `what` that every local user can read, or undefined. */
export function worldReadableWarning(file: string, what: string): string | undefined {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch {
    return undefined; // parsed from text (tests, explain): no file to check
  }
  if ((mode & 0o004) === 0) return undefined;
  return `${file} contains ${what} and is world-readable (mode ${(mode & 0o777).toString(8)}); chmod o-r it`;
}
