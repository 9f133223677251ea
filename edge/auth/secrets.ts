/**
 * Bearer secrets look like `gnk_<id>_<secret>`: the id finds the row, the secret is only ever
 * stored as its SHA-256. Prefixes tell kinds apart: gnk (API token), gns (session), gna (agent),
 * gni (agent install token).
 */
export type SecretKind = 'gnk' | 'gns' | 'gna' | 'gni';

const b64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

export function randomToken(bytes = 24): string {
  return b64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Makes a new secret of a kind: the string to hand out once, its id, and the hash to store. */
export async function mintSecret(kind: SecretKind): Promise<{ id: string; token: string; hash: string }> {
  const id = randomToken(9);
  const secret = randomToken(24);
  return { id, token: `${kind}_${id}_${secret}`, hash: await sha256Hex(secret) };
}

/** Splits a presented secret; null when it is not of the expected kind and shape. */
export function parseSecret(kind: SecretKind, presented: string): { id: string; secret: string } | null {
  const m = /^([a-z]{3})_([A-Za-z0-9_-]{12})_([A-Za-z0-9_-]{32})$/.exec(presented);
  if (!m || m[1] !== kind) return null;
  return { id: m[2]!, secret: m[3]! };
}

/** Compares a presented secret with a stored hash without leaking timing. */
export async function secretMatches(secret: string, storedHash: string): Promise<boolean> {
  const a = new TextEncoder().encode(await sha256Hex(secret));
  const b = new TextEncoder().encode(storedHash);
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
