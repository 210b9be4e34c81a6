// The benchmark's sink: the test kit's counting smtp-sink under the names relay.mjs uses.
import { startSmtpSink } from '../../test/kit/dist/index.js';

export async function startCountingSink(host, port) {
  const sink = await startSmtpSink([], { host, port });
  return { pid: sink.pid, count: sink.count, waitFor: sink.waitForCount, stop: sink.stop };
}
