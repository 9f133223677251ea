/**
 * Local load balancers: one HTTP front port each, proxying (with httpxy) round-robin to the
 * instances in rotation. The backend set is asked for on every request, so enabling or
 * disabling a group changes where the next request goes without dropping any; requests in
 * flight are counted per backend so a disable can wait for them to finish.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { createProxyServer } from 'httpxy';

const PROXY_TIMEOUT_MS = 120_000;

export interface Backend {
  /** The instance name, for logs. */
  instance: string;
  port: number;
}

/** The backend for request number `counter` (round-robin); undefined when there is none. */
export function pickRoundRobin<T>(backends: readonly T[], counter: number): T | undefined {
  if (!backends.length) return undefined;
  return backends[counter % backends.length];
}

/**
 * Whether a failed request may go to another backend: nothing was answered yet, the method is
 * idempotent, and the connection was refused (the instance just went away) or reset (a pooled
 * keep-alive connection the instance had closed), as browsers retry.
 */
export function retryable(code: string | undefined, method: string | undefined): boolean {
  return (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') && (code === 'ECONNREFUSED' || code === 'ECONNRESET');
}

interface Front {
  name: string;
  server: http.Server;
  counter: number;
}

export interface LoadBalancersOptions {
  host: string;
  /** The instances in rotation behind load balancer `key` now. */
  backends: (key: string) => Backend[];
  log: (line: string) => void;
}

/** Every local load balancer of the provider, with one shared count of in-flight requests. */
export class LoadBalancers {
  readonly #opts: LoadBalancersOptions;
  readonly #fronts = new Map<string, Front>();
  /** Backend port → requests proxied to it that have not finished. */
  readonly #inFlight = new Map<number, number>();
  /** Keep-alive connections to the instances; destroyed on close so no socket outlives us. */
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 });
  readonly #proxy = createProxyServer({ xfwd: true, agent: this.#agent });

  constructor(opts: LoadBalancersOptions) {
    this.#opts = opts;
    // An instance that never answers gets a 502 after a while; the error says it timed out (so it
    // is not taken for a reset connection and retried elsewhere).
    this.#proxy.on('proxyReq', (proxyReq) => {
      proxyReq.setTimeout(PROXY_TIMEOUT_MS, () => {
        proxyReq.destroy(Object.assign(new Error(`no answer within ${PROXY_TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT' }));
      });
    });
  }

  /**
   * Listens for load balancer `key` on `port` (0: any free port). Resolves to the port it
   * listens on; rejects (e.g. EADDRINUSE) when it cannot. Opening one already open is a no-op.
   */
  async open(key: string, name: string, port: number): Promise<number> {
    const existing = this.#fronts.get(key);
    if (existing) return (existing.server.address() as AddressInfo).port;
    const front: Front = { name, server: http.createServer(), counter: 0 };
    front.server.on('request', (req, res) => void this.#route(key, front, req, res));
    front.server.on('upgrade', (req, socket: Duplex, head: Buffer) => void this.#upgrade(key, front, req, socket, head));
    await new Promise<void>((resolve, reject) => {
      front.server.once('error', reject);
      front.server.listen({ host: this.#opts.host, port, exclusive: true }, () => {
        front.server.off('error', reject);
        resolve();
      });
    });
    front.server.on('error', (err) => this.#opts.log(`load balancer ${name}: ${err.message}`));
    this.#fronts.set(key, front);
    return (front.server.address() as AddressInfo).port;
  }

  /**
   * Opens as {@link open} does, but a port in use is tried again, `tries` times in all and
   * `delayMs` apart: an agent that is exiting may still hold it. Resolves false if it never frees.
   */
  async openWhenFree(key: string, name: string, port: number, tries: number, delayMs: number): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.open(key, name, port);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
        if (attempt >= tries) return false;
        await delay(delayMs);
      }
    }
  }

  isOpen(key: string): boolean {
    return this.#fronts.has(key);
  }

  /** Requests now in flight to the backend on `port`. */
  inFlight(port: number): number {
    return this.#inFlight.get(port) ?? 0;
  }

  /**
   * Waits until no request is in flight to any of `ports`, or `timeoutMs` passes. Resolves to
   * the number still in flight then (0 when drained).
   */
  async waitForDrain(ports: readonly number[], timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = ports.reduce((sum, port) => sum + this.inFlight(port), 0);
      if (left === 0 || Date.now() >= deadline) return left;
      await delay(Math.min(25, Math.max(1, deadline - Date.now())));
    }
  }

  /** Stops listening; requests in flight get `graceMs` to finish before their connections close. */
  async closeAll(graceMs = 2_000): Promise<void> {
    const closing = [...this.#fronts.values()].map(async ({ server }) => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
    });
    this.#fronts.clear();
    await Promise.all(closing);
    this.#agent.destroy();
  }

  /** A WebSocket goes to one backend and counts as in flight until it closes. */
  async #upgrade(key: string, front: Front, req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const backend = pickRoundRobin(this.#opts.backends(key), front.counter++);
    if (!backend) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    this.#track(backend.port, +1);
    try {
      await this.#proxy.ws(req, socket as Socket, { target: { protocol: 'http:', host: this.#opts.host, port: backend.port } }, head);
    } catch (err) {
      this.#opts.log(`load balancer ${front.name}: upgrade to ${backend.instance}: ${(err as Error).message}`);
      socket.destroy();
    } finally {
      this.#track(backend.port, -1);
    }
  }

  #track(port: number, delta: number): void {
    const count = this.inFlight(port) + delta;
    if (count > 0) this.#inFlight.set(port, count);
    else this.#inFlight.delete(port);
  }

  async #route(key: string, front: Front, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const tried = new Set<number>();
    // At most two tries: the second only when the first never got the request (see retryable).
    for (let attempt = 0; attempt < 2; attempt++) {
      const backends = this.#opts.backends(key).filter((b) => !tried.has(b.port));
      const backend = pickRoundRobin(backends, front.counter++);
      if (!backend) {
        if (!res.headersSent) {
          const body = tried.size
            ? `load balancer ${front.name}: the instance it picked was unreachable and no other is in rotation\n`
            : `load balancer ${front.name}: no enabled server group has an instance that is Up\n`;
          res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '1' }).end(body);
        }
        return;
      }
      tried.add(backend.port);
      this.#track(backend.port, +1);
      try {
        // Resolves once the response is done (or the client went away).
        await this.#proxy.web(req, res, { target: { protocol: 'http:', host: this.#opts.host, port: backend.port } });
        return;
      } catch (err) {
        if (!res.headersSent && retryable((err as NodeJS.ErrnoException).code, req.method)) continue;
        this.#opts.log(`load balancer ${front.name}: ${backend.instance}: ${(err as Error).message}`);
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' }).end(`load balancer ${front.name}: ${backend.instance} failed: ${(err as Error).message}\n`);
        else res.destroy();
        return;
      } finally {
        this.#track(backend.port, -1);
      }
    }
  }
}
