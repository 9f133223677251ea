/** Free TCP ports for instances and load balancer fronts. */
import net from 'node:net';

const ATTEMPTS = 20;

/**
 * A port nothing listens on now, other than those in `avoid` (ports the state already gives to
 * an instance or load balancer, which may be down for a moment). The kernel picks it, so two
 * callers do not race for the same number; another program could still take it before we do,
 * which the process then reports by failing to listen.
 */
export async function allocatePort(host: string, avoid: ReadonlySet<number>): Promise<number> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = await kernelPort(host);
    if (!avoid.has(port)) return port;
  }
  throw new Error(`no free port on ${host} after ${ATTEMPTS} attempts`);
}

/** True when something can listen on `host:port` now. */
export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function kernelPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
