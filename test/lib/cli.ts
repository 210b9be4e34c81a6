/** Runs `petrel <verb>` against a daemon started by startPetrel, bounded. */
import { CLI, type PetrelHandle } from './petrel.js';
import { run } from '@petrel/testkit';

export async function petrelCli(
  p: PetrelHandle,
  args: readonly string[],
  opts: { asUser?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const argv = [CLI, ...args, '--config', p.configFile];
  if (opts.asUser) return run('runuser', ['-u', opts.asUser, '--', process.execPath, ...argv], { timeoutMs: 30_000 });
  return run(process.execPath, argv, { timeoutMs: 30_000 });
}

/** `petrel <verb> --json`, parsed; throws with the CLI's stderr when it fails. */
export async function petrelJson<T>(p: PetrelHandle, args: readonly string[]): Promise<T> {
  const r = await petrelCli(p, [...args, '--json']);
  if (r.code !== 0) throw new Error(`petrel ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
