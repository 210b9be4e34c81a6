/**
 * What is at the control socket path before the daemon binds it. Only a stale socket (left by a
 * killed daemon, nobody accepting on it) may be replaced: a regular file or directory there is
 * the operator's, and a live socket belongs to another daemon on the same spool.
 */
import { lstatSync, type Stats } from 'node:fs';
import { connect } from 'node:net';
import { PetrelError } from '@petrel/core';

export type SocketPathState = 'absent' | 'stale' | 'live';

function kind(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a socket';
}

/** Whether a Unix socket accepts connections: ECONNREFUSED means nobody listens (stale). */
function probe(path: string): Promise<SocketPathState> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve('live');
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNREFUSED') resolve('stale');
      else
        reject(
          new PetrelError(
            'PETREL_ERR_LISTEN',
            `control socket ${path}: cannot tell whether a daemon listens on it (${e.message}); refusing to replace it`,
            { path },
            { cause: e },
          ),
        );
    });
  });
}

/**
 * Inspects the control socket path. Throws PetrelError (PETREL_ERR_LISTEN) when something other
 * than a socket is there; resolves 'live' when a daemon accepts on it, 'stale' when it may go.
 */
export async function inspectControlSocket(path: string): Promise<SocketPathState> {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw new PetrelError(
      'PETREL_ERR_LISTEN',
      `control socket ${path}: cannot inspect the path: ${(e as Error).message}`,
      { path },
      { cause: e },
    );
  }
  if (!st.isSocket())
    throw new PetrelError(
      'PETREL_ERR_LISTEN',

      `control socket ${path}: ${kind(st)} is in the way; refusing to replace it (remove it, or set [control] ` +
        `socket to another path)`,
      { path },
    );
  return probe(path);
}

/** The error for a live socket: another daemon already serves this control path. */
export function liveSocketError(path: string): PetrelError {
  return new PetrelError(
    'PETREL_ERR_LISTEN',

    `control socket ${path}: another petrel daemon is listening on it; stop it first, or set [control] socket ` +
      `(or spool_dir) to another path`,
    { path },
  );
}
