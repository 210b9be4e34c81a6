/** Reads a daemon's Prometheus text from its control socket (GET /metrics) and picks one sample. */
import { request } from 'node:http';

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

/** The value of the sample `name` (labels included, e.g. `x{node="n1"}`); NaN when absent. */
export function metric(text: string, name: string): number {
  const m = new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}
