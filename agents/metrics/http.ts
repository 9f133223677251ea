/**
 * The one way this folder talks HTTP (instance scrapes, Prometheus queries), so the transport can
 * change in one place (e.g. to node:http, which costs the agent less memory than fetch).
 */

export interface HttpAnswer {
  status: number;
  body: string;
}

export interface HttpGetOptions {
  timeoutMs: number;
  /** Bodies longer than this are refused: a runaway exporter must not grow the agent. */
  maxBytes: number;
  accept?: string;
}

export type HttpGet = (url: string, options: HttpGetOptions) => Promise<HttpAnswer>;

/** GET `url`; any status is an answer, while network trouble, a timeout or an oversized body throw with a short reason. */
export const httpGet: HttpGet = async (url, options) => {
  let res: Response;
  try {
    res = await fetch(url, { headers: options.accept ? { accept: options.accept } : {}, signal: AbortSignal.timeout(options.timeoutMs), redirect: 'manual' });
  } catch (err) {
    throw new Error(reason(err, options.timeoutMs));
  }
  const reader = res.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      if (!reader) break;
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > options.maxBytes) {
        await reader.cancel();
        throw new Error(`the answer is larger than ${options.maxBytes} bytes`);
      }
      chunks.push(value);
    }
  } catch (err) {
    throw new Error(reason(err, options.timeoutMs));
  }
  return { status: res.status, body: Buffer.concat(chunks).toString('utf8') };
};

/** "connect ECONNREFUSED 127.0.0.1:9" rather than fetch's bare "fetch failed". */
function reason(err: unknown, timeoutMs: number): string {
  if (err instanceof DOMException && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) return cause.message;
  return err instanceof Error ? err.message : String(err);
}
