/**
 * The one way this folder talks HTTP (instance scrapes, Prometheus queries). It goes through the
 * agent's `node:http` client, not `fetch`: fetch would load undici, several MB of the agent's memory.
 */
import { HttpRequestError, httpRequest } from '../http.ts';

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
  try {
    const res = await httpRequest({ method: 'GET', url, timeoutMs: options.timeoutMs, maxBodyBytes: options.maxBytes, ...(options.accept ? { headers: { accept: options.accept } } : {}) });
    return { status: res.status, body: res.text };
  } catch (err) {
    if (err instanceof HttpRequestError) throw new Error(err.message);
    throw err;
  }
};
