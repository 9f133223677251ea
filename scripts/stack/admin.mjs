import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { api, apiExpect } from './http.mjs';
import { readSecret, writeSecret } from './secret-files.mjs';

export const ADMIN_EMAIL = 'admin@gennaker.local';

/**
 * The local admin: the one saved in `credentialsDir` (`admin-token`, `admin-password`) while its
 * token still works, else a fresh bootstrap with a new random password. Bootstrapping an email
 * that exists resets its password, so the saved pair always matches the database.
 */
export async function ensureAdmin({ url, bootstrapSecret, credentialsDir, email = ADMIN_EMAIL }) {
  const tokenFile = path.join(credentialsDir, 'admin-token');
  const passwordFile = path.join(credentialsDir, 'admin-password');
  const [savedToken, savedPassword] = await Promise.all([readSecret(tokenFile), readSecret(passwordFile)]);
  if (savedToken && savedPassword) {
    const session = await api(url, 'GET', '/api/v1/auth/session', { token: savedToken });
    if (session.status === 200 && session.json?.principal?.scopes?.includes('admin')) {
      return { email, password: savedPassword, token: savedToken, reused: true };
    }
  }
  const password = randomBytes(15).toString('base64url');
  const { token } = await apiExpect(201, url, 'POST', '/api/v1/bootstrap', {
    headers: { 'x-bootstrap-secret': bootstrapSecret },
    body: { email, password, name: 'Local admin', tokenName: 'local-admin' },
  });
  await writeSecret(passwordFile, password);
  await writeSecret(tokenFile, token);
  return { email, password, token, reused: false };
}
