// The benchmark's Postfix relay: the test kit's relay instance, with the per-recipient delay=
// logged to the microsecond, plus what relay.mjs measures (maillog path, every live process).
import { startPostfixRelay as startKitRelay } from '../../test/kit/dist/index.js';
import { pidsWithEnv } from './procs.mjs';

export async function startPostfixRelay(dir, listenPort, sinkPort) {
  // maillog_file timestamps have 1 s resolution ("Dec 06 03:16:57"); the per-recipient delay= field
  // is computed from the queue file's arrival time (kept in microseconds) and logged with this many
  // decimals (0..6, default 2), which is what the benchmark's latency figures read. Logging only.
  const pf = await startKitRelay(dir, listenPort, sinkPort, ['delay_logging_resolution_limit = 6']);
  return {
    masterPid: pf.masterPid,
    maillog: pf.maillogFile,
    /** Every live process of this instance (Postfix passes MAIL_CONFIG to all its daemons). */
    pids: () => pidsWithEnv(`MAIL_CONFIG=${pf.etc}`),
    stop: () => pf.stop(),
  };
}
