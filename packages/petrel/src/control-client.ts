/** The CLI's client for the daemon's control API (HTTP over the Unix socket in the spool dir). */
import { request } from 'node:http';

export class ControlError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
  }
}

export class ControlClient {
  constructor(readonly socketPath: string) {}

  get<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    const q = Object.entries(query)
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join('&');
    return this.call<T>('GET', q ? `${path}?${q}` : path);
  }

  post<T>(path: string, body: Record<string, unknown> = {}): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  /** Raw text (for /metrics). */
  text(path: string): Promise<string> {
    return this.raw('GET', path).then((r) => r.body);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.raw(method, path, body);
    // Every control answer is JSON: an empty or garbled one is an error, never an empty result.
    let parsed: unknown;
    try {
      parsed = JSON.parse(r.body) as unknown;
    } catch {
      throw new ControlError(
        `${method} ${path}: the control API answered HTTP ${r.status} with ` +
          `${r.body === '' ? 'an empty body' : 'a body that is not JSON'}`,
        r.status,
        'BAD_ANSWER',
      );
    }
    if (r.status >= 400) {
      const e = (parsed as { error?: { code?: string; message?: string } }).error;
      throw new ControlError(e?.message ?? `HTTP ${r.status}`, r.status, e?.code ?? 'HTTP');
    }
    return parsed as T;
  }

  private raw(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          path,
          method,
          headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
          timeout: 300_000,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', (e: NodeJS.ErrnoException) => {
        const why =
          e.code === 'ENOENT' || e.code === 'ECONNREFUSED'
            ? `petrel is not running (no control socket at ${this.socketPath})`
            : e.code === 'EACCES'
              ? `permission denied on ${this.socketPath} (the control socket is for the daemon's owner)`
              : e.message;
        reject(new ControlError(why, 0, e.code ?? 'CONNECT'));
      });
      req.on('timeout', () => req.destroy(new Error('control API timed out')));
      if (payload) req.write(payload);
      req.end();
    });
  }
}
