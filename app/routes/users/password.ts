/** Letters and digits without the look-alikes (0/O, 1/l/I), so a password read aloud or retyped survives. */
export const PASSWORD_ALPHABET = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** Fills a byte array with random bytes; the browser's `crypto.getRandomValues` by default. */
export type RandomBytes = (bytes: Uint8Array) => Uint8Array;

/**
 * An initial password for a new user: `length` characters of {@link PASSWORD_ALPHABET}
 * (20 × log2(57) ≈ 117 bits). Bytes that would bias the choice are drawn again.
 */
export function generatePassword(length = 20, random: RandomBytes = (b) => crypto.getRandomValues(b)): string {
  const n = PASSWORD_ALPHABET.length;
  // The largest multiple of n below 256: bytes at or above it would favour the first characters.
  const limit = 256 - (256 % n);
  let out = '';
  while (out.length < length) {
    for (const byte of random(new Uint8Array(length))) {
      if (byte < limit && out.length < length) out += PASSWORD_ALPHABET[byte % n];
    }
  }
  return out;
}
