import { forbidden } from '../errors.ts';

export const scopes = ['read', 'write', 'execute', 'admin'] as const;
export type Scope = (typeof scopes)[number];

/** Who is calling: a signed-in user or an API token, with what they may do. */
export interface Principal {
  type: 'user' | 'token';
  id: string;
  /** Shown in audit events: the user's email or the token's name. */
  name: string;
  scopes: readonly Scope[];
  /** Applications a token is restricted to; null means all. */
  applications: readonly string[] | null;
}

/** `admin` implies every other scope. */
export function hasScope(p: Principal, scope: Scope): boolean {
  // Admin acts on the whole installation (tokens, users, agents): a token bound to some applications never may.
  if (scope === 'admin') return p.scopes.includes('admin') && p.applications === null;
  return p.scopes.includes('admin') || p.scopes.includes(scope);
}

export function assertScope(p: Principal, scope: Scope): void {
  if (!hasScope(p, scope)) throw forbidden(`this ${p.type === 'token' ? 'token' : 'user'} lacks the "${scope}" scope`);
}

/** Refuses a token restricted to other applications. */
export function assertApplication(p: Principal, application: string): void {
  if (p.applications && !p.applications.includes(application)) {
    throw forbidden(`this token is restricted to applications ${p.applications.join(', ')}; not "${application}"`);
  }
}

/** The scope an HTTP method needs by default. */
export function scopeForMethod(method: string): Scope {
  return method === 'GET' || method === 'HEAD' ? 'read' : 'write';
}
