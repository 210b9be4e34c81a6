/**
 * @petrel/testkit: the one place real peers are started for tests and benchmarks (unit tests,
 * test/e2e, test/reliability, bench/). Private; production packages list it only as a devDependency.
 */
export { PEERS_DIR, AIO_SERVER, DNS_ZONE, EXIM } from './paths.js';
export { freePort, closedPort, waitFor, waitForPort, accepts } from './ports.js';
export { startProc, run, stopChild, startPeerProc, readyWhen, type Proc } from './procs.js';
export {
  makeCertificate,
  makeCerts,
  makeTestCa,
  tempCert,
  writeCertificate,
  type TempCert,
  type TestCa,
} from './certs.js';
export { startMtaStsServer, mtaStsPolicy, type MtaStsServer, type PublishedPolicy } from './mta-sts-server.js';
export {
  startSmtpSink,
  startSink,
  sinkBody,
  dumpedFiles,
  type Peer,
  type RunningPeer,
  type RunningSink,
  type DumpingPeer,
  type Sink,
} from './smtp-sink.js';
export { startAioServer, startAio, aioStats, type Aio, type AioStats } from './aio.js';
export { startDnsmasq, startDns, type Dns, type Dnsmasq } from './dnsmasq.js';
export { startPostfixInstance, type PostfixInstance } from './postfix-instance.js';
export { startEximInstance, type EximConfig, type EximInstance } from './exim-instance.js';
export { startOpenSmtpdInstance, type OpenSmtpdInstance } from './opensmtpd-instance.js';
export { startPostfix, startPostfixRelay, type Postfix, type PostfixOptions } from './postfix.js';
export {
  startPostfixDestination,
  parseSessions,
  type PostfixDestination,
  type PostfixDestinationOptions,
  type HeldMessage,
  type WireLine,
  type WireSession,
} from './postfix-destination.js';
export { swaks } from './swaks.js';
export { submitWithSmtplib, type Submission } from './smtplib.js';
export { startCountingProxy, startBlackHole, type CountingProxy, type BlackHole } from './proxy.js';
export { ScriptedPeer, type PeerScript } from './scripted-peer.js';
export { LinePeer } from './line-peer.js';
export { WebhookReceiver, type ReceivedRecord } from './webhook-receiver.js';
export { startRedis, type Redis } from './redis.js';
export { startDnssecWorld, tlsaSha256, type DnssecWorld, type TestZone } from './dnssec.js';
