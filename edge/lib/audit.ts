import type { Context } from 'hono';
import { auditEvents } from '../../db/schema.ts';
import type { AppEnv } from '../env.ts';
import type { Database } from './db.ts';

export interface AuditEntry {
  action: string;
  resourceType: string;
  resourceId: string;
  application?: string | null;
  details?: Record<string, unknown>;
}

/** The insert recording who did what; put it in the same D1 batch as the write it describes. */
export function auditInsert(db: Database, c: Context<AppEnv>, entry: AuditEntry, at = Date.now()) {
  const p = c.get('principal');
  return db.insert(auditEvents).values({
    id: crypto.randomUUID(),
    at,
    actorType: p.type,
    actorId: p.id,
    actorName: p.name,
    action: entry.action,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId,
    application: entry.application ?? null,
    details: entry.details ?? {},
    requestId: c.get('requestId'),
  });
}
