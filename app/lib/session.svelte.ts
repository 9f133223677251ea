import { goto } from '$app/navigation';
import { api, ApiError, call, setCsrfToken, setUnauthorizedHandler } from './api.ts';

export interface User {
  id: string;
  email: string;
  name: string;
  role: 'admin' | 'member';
}

type SessionInfo = { user: User | null; csrfToken: string | null };

/** Who is signed in. The cookie is HttpOnly, so the edge is asked once per page load and told of sign-in/out. */
class Session {
  #user = $state<User | null>(null);
  #checked = false;

  get user(): User | null {
    return this.#user;
  }

  /** The signed-in user, asking the edge only the first time. */
  async ensure(): Promise<User | null> {
    if (this.#checked) return this.#user;
    try {
      this.#apply(await call(api.auth.session.$get()));
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) throw err;
      this.#apply(null);
    }
    this.#checked = true;
    return this.#user;
  }

  async signIn(email: string, password: string): Promise<void> {
    this.#apply(await call(api.auth.login.$post({ json: { email, password } })));
    this.#checked = true;
  }

  async signOut(): Promise<void> {
    try {
      await call(api.auth.logout.$post());
    } finally {
      this.#apply(null);
    }
  }

  /** The edge said 401 to a signed-in user: the session expired or was revoked. */
  expired(): void {
    if (!this.#user) return;
    this.#apply(null);
    const next = location.pathname + location.search;
    void goto(`/signin?next=${encodeURIComponent(next)}`);
  }

  #apply(info: SessionInfo | null): void {
    this.#user = info?.user ?? null;
    setCsrfToken(info?.csrfToken ?? null);
  }
}

export const session = new Session();
setUnauthorizedHandler(() => session.expired());

/** Where to go after sign-in: a local path only, so `?next=` cannot send anyone off-site. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/signin') ? next : '/applications';
}
