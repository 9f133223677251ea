import { z } from 'zod';
import { accountName } from './names.ts';

export const providers = ['local', 'kubernetes', 'dcos', 'aws', 'gce', 'azure'] as const;

/** An account an agent serves: a deploy target of one provider, in some locations. */
export const agentAccount = z.strictObject({
  name: accountName,
  provider: z.enum(providers),
  locations: z.array(z.string().min(1).max(64)).min(1).max(50),
});

/** What an agent sends once, with its one-time install token, to become a registered agent. */
export const agentRegister = z.strictObject({
  installToken: z.string().min(1).max(200),
  name: z.string().min(1).max(100).regex(/^[\w.-]+$/, 'letters, digits, _ . - only'),
  version: z.string().min(1).max(50),
  hostname: z.string().max(255).optional(),
  accounts: z
    .array(agentAccount)
    .max(50)
    .superRefine((accounts, ctx) => {
      // One agent serves an account once; a second entry would silently overwrite the first.
      const seen = new Set<string>();
      for (const [i, a] of accounts.entries()) {
        if (seen.has(a.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `account "${a.name}" is listed twice` });
        seen.add(a.name);
      }
    }),
});
export type AgentRegister = z.infer<typeof agentRegister>;

export const agentRegistered = z.object({ agentId: z.string(), credential: z.string(), heartbeatIntervalSec: z.number() });

export const agentHeartbeat = z.strictObject({ version: z.string().min(1).max(50) });
export const agentHeartbeatAck = z.object({ ok: z.literal(true), serverTime: z.string(), heartbeatIntervalSec: z.number() });

/** An agent is offline when it has not been heard from for this long. */
export const AGENT_OFFLINE_AFTER_MS = 90_000;
export const HEARTBEAT_INTERVAL_SEC = 15;

export const agentView = z.object({
  id: z.string(),
  name: z.string(),
  version: z.string().nullable(),
  hostname: z.string().nullable(),
  status: z.enum(['online', 'offline', 'revoked']),
  lastSeenAt: z.string().nullable(),
  createdAt: z.string(),
  accounts: z.array(z.object({ name: z.string(), provider: z.string(), locations: z.array(z.string()) })),
});
