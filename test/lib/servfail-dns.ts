/**
 * A tiny DNS server on the npm package dns2 (dnsmasq cannot answer SERVFAIL): every query gets
 * rcode SERVFAIL (RFC 1035 §4.1.1, RCODE 2), as a broken authoritative server would answer.
 */
import dns2 from 'dns2';
import { freePort } from '@petrel/testkit';

export interface ServfailDns {
  /** "127.0.0.1:port", for [dns] servers. */
  readonly server: string;
  /** Queries received so far ("MX name"), to prove Petrel asked this server. */
  readonly queries: string[];
  stop(): Promise<void>;
}

export async function startServfailDns(): Promise<ServfailDns> {
  const queries: string[] = [];
  const server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      for (const q of request.questions) queries.push(`${String(q.type)} ${q.name}`);
      const response = dns2.Packet.createResponseFromRequest(request);
      response.header.rcode = 2; // SERVFAIL
      send(response);
    },
  });
  const port = await freePort();
  await server.listen({ udp: { port, address: '127.0.0.1' } });
  return { server: `127.0.0.1:${port}`, queries, stop: () => server.close() };
}
