/** Child processes for tests: start one and keep its output, run one to completion, stop one. Every wait is bounded. */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './ports.js';

/** A child process a test started; stop() is idempotent and bounded. */
export interface Proc {
  readonly child: ChildProcess;
  /** What it wrote on stdout and stderr (the last MiB). */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const OUTPUT_KEEP = 1 << 20;

/** Sends `signal` (SIGTERM by default), then SIGKILL after `graceMs`; resolves with the exit code. */
export async function stopChild(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 10_000,
): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  // 'exit' can come before the last of its output has been read; 'close' comes once stdout and stderr
  // are drained, so output() then holds everything the process wrote. Bounded: a grandchild that
  // keeps the pipes open must not hold the stop.
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      const t = setTimeout(() => resolve(code), 2_000);
      child.once('close', () => {
        clearTimeout(t);
        resolve(code);
      });
    });
    child.once('error', () => resolve(null));
  });
  child.kill(signal);
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const code = await exited;
  clearTimeout(t);
  return code;
}

export function startProc(
  cmd: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: 'ignore' | 'pipe' } = {},
): Proc {
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer): void => {
    out += d.toString();
    if (out.length > 2 * OUTPUT_KEEP) out = out.slice(-OUTPUT_KEEP);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (e) => {
    out += `\n${String(e)}\n`;
  });
  return {
    child,
    output: () => out,
    stop: (signal: NodeJS.Signals = 'SIGTERM') => stopChild(child, signal),
  };
}

/** Runs a command to completion, bounded; returns exit code and output. */
export async function run(
  cmd: string,
  args: readonly string[],
  opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // stdin only when there is input: a command that exits before reading it would EPIPE us.
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const t = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', (e) => {
      stderr += String(e);
    });
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(opts.input);
    }
  });
}

/**
 * Starts a peer process on a port and waits until `ready` says it serves. With `port` given it
 * tries once; otherwise it takes a free port and retries (3 times) a port lost to a race.
 */
export async function startPeerProc(
  what: string,
  argv: (port: number) => readonly [string, readonly string[]],
  ready: (proc: Proc, port: number) => Promise<boolean>,
  opts: { host?: string; port?: number } = {},
): Promise<{ proc: Proc; port: number }> {
  const tries = opts.port === undefined ? 3 : 1;
  let last = '';
  for (let i = 0; i < tries; i++) {
    const port = opts.port ?? (await freePort(opts.host ?? '127.0.0.1'));
    const [cmd, args] = argv(port);
    const proc = startProc(cmd, args);
    if (await ready(proc, port)) return { proc, port };
    last = proc.output();
    await proc.stop('SIGKILL');
  }
  throw new Error(`${what} did not start: ${last}`);
}

/** Polls `check` every 25 ms until it holds, the process exits (false) or `ms` pass (false). */
export async function readyWhen(proc: Proc, check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (let i = 0; i < 100_000 && Date.now() < deadline; i++) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) return false;
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}
