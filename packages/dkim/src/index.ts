/**
 * @petrel/dkim: DKIM signing (RFC 6376; Ed25519 per RFC 8463; RFC 8301's algorithm and key-size
 * rules) on node:crypto: key files, canonicalisation, the signer, which keys apply to a message,
 * DNS key records and their check, and the `[[dkim]]` config extension. A library: no bus, no state.
 *
 * @packageDocumentation
 */
export {
  canonBody,
  canonHeader,
  parseCanonicalization,
  splitMessage,
  type Canon,
  type Canonicalization,
  type RawField,
  type SplitMessage,
} from './canonicalize.js';
export { signMessage, signMessageAsync, type DkimAlgorithm, type SigningKey } from './signer.js';
export {
  DEFAULT_RSA_BITS,
  MIN_RSA_BITS,
  dnsRecord,
  generateKey,
  keyFileModeWarning,
  loadKeyFile,
  parseKey,
  publicKeyData,
  type LoadedKey,
} from './keys.js';
export { checkRecord, parseRecord, type RecordCheck } from './record.js';
export { aligned, fromDomainOf, selectKeys, type SelectionInput } from './select.js';
export { dkimConfigExtensions, dkimExtension, parseDkimTables } from './config.js';
