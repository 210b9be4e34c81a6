/** Reads Petrel's Prometheus `/metrics` over the control socket, for end-to-end tests. */
import { request } from 'node:http';

/** GET /metrics on the control socket. */
export function scrape(socketPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ socketPath, path: '/metrics' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}

/** One sample's value (NaN when absent), e.g. metric(text, 'petrel_deliveries_total{binding="default"}'). */
export function metric(text: string, name: string): number {
  const m = new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}
