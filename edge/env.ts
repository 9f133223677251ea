import type { Principal } from './auth/principal.ts';

/** Bindings from wrangler.toml and secrets. */
export interface Env {
  DB: D1Database;
  ASSETS: Fetcher;
  /** Enables `POST /api/v1/bootstrap` (first admin and a fresh admin token) for whoever holds it. */
  GENNAKER_BOOTSTRAP_SECRET?: string;
}

/** What each request carries through the middleware chain. */
export interface Vars {
  requestId: string;
  principal: Principal;
}

export type AppEnv = { Bindings: Env; Variables: Vars };
