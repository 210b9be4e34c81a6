import type { PetrelConfig } from '@petrel/core';
import type { ReportContext } from '@petrel/bounce';

/**
 * What the inbound report parser needs from the configuration ([bounce] return-path domains, VERP
 * prefix and secret, the hostname of Petrel's own Received: lines): the same for the daemon's inbound
 * service and for `petrel classify --message`, so the command reads a message as the daemon would.
 */
export function reportContext(
  config: PetrelConfig,
  envelopeRecipients: readonly string[],
  classify: ReportContext['classify'],
): ReportContext {
  const b = config.bounce;
  return {
    envelopeRecipients,
    returnPathDomains: new Set(b.return_path_domains.map((d) => d.toLowerCase())),
    verp: { prefix: b.verp_prefix, secret: b.verp_secret },
    hostname: config.hostname,
    classify,
  };
}
