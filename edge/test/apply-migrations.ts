import { applyD1Migrations, env } from 'cloudflare:test';

// The committed migrations, applied to the local D1 the test files share; applying them again
// before the next file is a no-op, so each file can rely on the schema being there.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
