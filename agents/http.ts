/**
 * The agent's one HTTP client: a request with an optional JSON body, a time limit and an abort
 * signal, answered with status and text. Built on node:http/node:https rather than fetch, because
 * fetch is undici: megabytes of JavaScript, WebAssembly and buffers loaded on first use, which is
 * most of what a small agent would otherwise keep resident (and it cannot run under `--jitless`).
 */
import http from 'node:http';
import https from 'node:https';

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  url: string | URL;
  headers?: Record<string, string>;
  /** Sent as `application/json`. */
  json?: unknown;
  /** For the whole exchange, answer body included. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** false: a connection of its own, closed after the answer (health probes hold nothing open). Default true. */
  keepAlive?: boolean;
  /** A longer answer fails the request; default 16 MiB. */
  maxBodyBytes?: number;
}

export interface HttpAnswer {
  status: number;
  statusText: string;
  /** 2xx. */
  ok: boolean;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/**
 * No answer: `reason` says why in a word or two (`timed out`, `aborted`, `ECONNREFUSED`, …), as a
 * log line or retry message wants it.
 */
export class HttpRequestError extends Error {
  readonly reason: string;
  constructor(reason: string, message = reason) {
    super(message);
    this.name = 'HttpRequestError';
    this.reason = reason;
  }
}

const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Sends one request and reads the whole answer; rejects with {@link HttpRequestError} when there is none. */
export async function httpRequest(req: HttpRequest): Promise<HttpAnswer> {
  for (let tries = 1; ; tries++) {
    try {
      // After a server restart every idle kept-alive socket is dead, not just one: the last try
      // takes a connection of its own.
      return await attempt(req, tries === MAX_TRIES);
    } catch (err) {
      // A kept-alive connection the server closed while idle fails at once, before the server read
      // anything: Node's documented case for sending the request again on a new connection.
      if (err instanceof ResetOnReuse && tries < MAX_TRIES) continue;
      throw err;
    }
  }
}

const MAX_TRIES = 3;

/** A reused socket was reset before any answer; still an {@link HttpRequestError} should it escape. */
class ResetOnReuse extends HttpRequestError {
  constructor() {
    super('ECONNRESET', 'the kept-alive connection was reset');
  }
}

function attempt(req: HttpRequest, fresh = false): Promise<HttpAnswer> {
  const url = typeof req.url === 'string' ? new URL(req.url) : req.url;
  const body = req.json === undefined ? undefined : Buffer.from(JSON.stringify(req.json));
  const headers: Record<string, string> = { ...req.headers };
  if (body) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(body.length) });
  const transport = url.protocol === 'https:' ? https : http;
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return Promise.reject(new HttpRequestError('unsupported URL', `unsupported URL ${url.href}`));
  const maxBodyBytes = req.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | null, answer?: HttpAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(answer!);
    };
    // Our own reasons settle first; whatever the destroyed request reports after that is ignored.
    const fail = (err: HttpRequestError) => {
      finish(err);
      outgoing.destroy();
    };
    let answered = false;
    const outgoing = transport.request(url, { method: req.method, headers, ...(req.keepAlive === false || fresh ? { agent: false } : {}) }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBodyBytes) fail(new HttpRequestError('answer too large', `the answer is larger than ${maxBodyBytes} bytes`));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        finish(null, { status, statusText: res.statusMessage ?? '', ok: status >= 200 && status < 300, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (err) => finish(asRequestError(err)));
    });
    const timer = setTimeout(() => fail(new HttpRequestError('timed out', `no answer within ${req.timeoutMs} ms`)), req.timeoutMs);
    const onAbort = () => fail(new HttpRequestError('aborted'));
    if (req.signal?.aborted) onAbort();
    else req.signal?.addEventListener('abort', onAbort, { once: true });
    outgoing.on('error', (err: NodeJS.ErrnoException) => {
      finish(outgoing.reusedSocket && !answered && err.code === 'ECONNRESET' ? new ResetOnReuse() : asRequestError(err));
    });
    outgoing.end(body);
  });
}

function asRequestError(err: NodeJS.ErrnoException): HttpRequestError {
  return new HttpRequestError(err.code ?? err.message, err.message);
}
