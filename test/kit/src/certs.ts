/** Throw-away self-signed certificates (EC P-256) made with openssl. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './procs.js';

/** A new EC P-256 key, unencrypted. */
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** openssl arguments for a self-signed certificate (and its key) for CN `cn`, valid two days. */
function selfSignedArgs(key: string, cert: string, cn: string): string[] {
  return ['req', '-x509', ...EC_KEY, '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${cn}`];
}

/** Writes cert.pem and key.pem for CN (and DNS subjectAltName) `cn` into dir (synchronously, bounded). */
export function writeCertificate(dir: string, cn: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', [...selfSignedArgs(key, cert, cn), '-addext', `subjectAltName=DNS:${cn}`], {
    stdio: 'ignore',
    timeout: 30_000,
  });
  return { cert, key };
}

/** A certificate in dir (the listener tests' default CN: mx.petrel.test). */
export async function makeCertificate(dir: string, cn = 'mx.petrel.test'): Promise<{ cert: string; key: string }> {
  return writeCertificate(dir, cn);
}

export interface TempCert {
  readonly dir: string;
  readonly cert: string;
  readonly key: string;
  /** The certificate itself (PEM), e.g. to trust it as a CA. */
  readonly pem: string;
  remove(): void;
}

/** A certificate in a fresh temporary directory; remove() deletes it. */
export function tempCert(cn = 'localhost'): TempCert {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-cert-'));
  const { cert, key } = writeCertificate(dir, cn);
  return {
    dir,
    cert,
    key,
    pem: readFileSync(cert, 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A throw-away CA (openssl) that issues server certificates for any names. */
export interface TestCa {
  /** The CA certificate (PEM file), to trust. */
  readonly ca: string;
  /** A key and a certificate for `names` (CN = the first, DNS subjectAltNames = all), signed by this CA. */
  issue(names: readonly string[], opts?: { days?: number }): Promise<{ cert: string; key: string }>;
}

/** A self-signed CA in dir (ca.pem, ca-key.pem). */
export async function makeTestCa(dir: string): Promise<TestCa> {
  const ca = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca-key.pem');
  const r0 = await run('openssl', selfSignedArgs(caKey, ca, 'Petrel Test CA'));
  if (r0.code !== 0) throw new Error(`openssl req: ${r0.stderr}`);
  let n = 0;
  const issue = async (names: readonly string[], opts: { days?: number } = {}) => {
    // srv.pem / srv-key.pem first (what makeCerts always wrote), then srv1.pem, srv2.pem, …
    const stem = join(dir, n === 0 ? 'srv' : `srv${n}`);
    n++;
    const key = `${stem}-key.pem`;
    const csr = `${stem}.csr`;
    const cert = `${stem}.pem`;
    const ext = `${stem}-ext.cnf`;
    const r = await run('openssl', ['req', ...EC_KEY, '-keyout', key, '-out', csr, '-subj', `/CN=${names[0]}`]);
    if (r.code !== 0) throw new Error(`openssl req: ${r.stderr}`);
    writeFileSync(ext, `subjectAltName=${names.map((x) => `DNS:${x}`).join(',')}\n`);
    const days = String(opts.days ?? 2);
    const r2 = await run('openssl', [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca,
      '-CAkey',
      caKey,
      '-CAcreateserial',
      '-out',
      cert,
      '-days',
      days,
      '-extfile',
      ext,
    ]);
    if (r2.code !== 0) throw new Error(`openssl x509: ${r2.stderr}`);
    return { cert, key };
  };
  return { ca, issue };
}

/** A self-signed CA and a server certificate for `cn` signed by it (openssl), written into dir. */
export async function makeCerts(dir: string, cn: string): Promise<{ ca: string; cert: string; key: string }> {
  const authority = await makeTestCa(dir);
  const { cert, key } = await authority.issue([cn]);
  return { ca: authority.ca, cert, key };
}
