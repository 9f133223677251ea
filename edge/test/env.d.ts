import type { D1Migration } from 'cloudflare:test';
import type { Env as GennakerEnv } from '../env.ts';

// `cloudflare:test` types its `env` as `Cloudflare.Env`: the Worker's bindings plus what the
// test config adds (edge/vitest.config.ts).
declare global {
  namespace Cloudflare {
    interface Env extends GennakerEnv {
      TEST_MIGRATIONS: D1Migration[];
    }
  }
}
