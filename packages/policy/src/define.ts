/** The typed helper operators write their module with. */
import type { Policy } from './types.js';

/**
 * Returns `policy` unchanged; it exists so that an editor checks the hook names (an object
 * literal with an unknown hook is a type error) and types each hook's context:
 * `export default definePolicy({ rcptTo(ctx) { … } })`.
 */
export function definePolicy(policy: Policy): Policy {
  return policy;
}
