/**
 * A config that holds a gateway password should not be readable by every local user: Petrel
 * warns at start (it does not refuse, so an operator can fix permissions without downtime).
 */
import { worldReadableWarning, type OptionTable, type PetrelConfig } from '@petrel/core';

function tablesOf(config: PetrelConfig): OptionTable[] {
  const t = config.scopes;
  const domains = (d: typeof t.domains): OptionTable[] => [...d.exact.values(), ...d.patterns.map((p) => p.table)];
  const out: OptionTable[] = [t.global, ...domains(t.domains)];
  for (const b of t.bindings.values()) out.push(b.options, ...domains(b.domains));
  for (const g of t.groups.values()) out.push(g.options, ...domains(g.domains));
  return out;
}

/** True when some scope sets gateway_auth_password. */
export function hasGatewayPassword(config: PetrelConfig): boolean {
  return tablesOf(config).some((t) => t.gateway_auth_password !== undefined);
}

/** The warning to log, or undefined when the file holds no password or only its owner/group can read it. */
export function checkSecretsReadable(config: PetrelConfig): string | undefined {
  return hasGatewayPassword(config) ? worldReadableWarning(config.source, 'gateway_auth_password') : undefined;
}
