import { z } from 'zod';
import { accountName, applicationName, timeZone } from './names.ts';

/** A traffic guard protects a cluster from losing its last serving capacity. `*` is a wildcard. */
export const trafficGuard = z.strictObject({
  account: z.union([accountName, z.literal('*')]),
  location: z.string().min(1).max(64),
  stack: z.string().max(64).default(''),
  detail: z.string().max(64).default(''),
  enabled: z.boolean().default(true),
});
export type TrafficGuard = z.infer<typeof trafficGuard>;

const attributes = {
  email: z.email().max(254).optional(),
  description: z.string().max(2000).optional(),
  trafficGuards: z.array(trafficGuard).max(100).default([]),
  timeZone: timeZone.default('UTC'),
  cloudProviders: z.array(z.string().max(32)).max(10).default([]),
};

export const applicationCreate = z.strictObject({ name: applicationName, ...attributes });
export type ApplicationCreate = z.infer<typeof applicationCreate>;

/** Fields absent are kept; `null` clears the optional ones. */
export const applicationUpdate = z.strictObject({
  email: z.email().max(254).nullable().optional(),
  description: z.string().max(2000).nullable().optional(),
  trafficGuards: z.array(trafficGuard).max(100).optional(),
  timeZone: timeZone.optional(),
  cloudProviders: z.array(z.string().max(32)).max(10).optional(),
});
export type ApplicationUpdate = z.infer<typeof applicationUpdate>;

export const application = z.object({
  name: z.string(),
  email: z.string().nullable(),
  description: z.string().nullable(),
  trafficGuards: z.array(trafficGuard),
  timeZone: z.string(),
  cloudProviders: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
  createdBy: z.string(),
});
export type Application = z.infer<typeof application>;

export const applicationList = z.object({
  items: z.array(application),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});

/** Query string for list endpoints that page. */
export const pageQuery = z.strictObject({
  q: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
