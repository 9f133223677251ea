import { z } from 'zod';

export const roles = ['admin', 'member'] as const;
export type Role = (typeof roles)[number];

/** A console user as the API shows it: never the password hash. */
export const user = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: z.enum(roles),
  createdAt: z.string(),
  disabledAt: z.string().nullable(),
});
export type User = z.infer<typeof user>;

/** What an admin sends to add a user who signs in with a password. */
export const userCreate = z.strictObject({
  email: z.email().max(254),
  name: z.string().min(1).max(100),
  role: z.enum(roles).default('member'),
  password: z.string().min(12, 'at least 12 characters').max(200),
});
export type UserCreate = z.infer<typeof userCreate>;

export const userList = z.object({ items: z.array(user) });
