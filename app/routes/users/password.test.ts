import { describe, expect, it } from 'vitest';
import { userCreate } from '../../../contract/users.ts';
import { generatePassword, PASSWORD_ALPHABET } from './password.ts';

/** A random source that hands out the given bytes in order, then zeros. */
const bytes = (...values: number[]) => {
  const queue = [...values];
  return (b: Uint8Array) => b.map(() => queue.shift() ?? 0);
};

describe('generatePassword', () => {
  it('makes passwords the API accepts, from the unambiguous alphabet only', () => {
    for (let i = 0; i < 50; i++) {
      const password = generatePassword();
      expect(password).toHaveLength(20);
      expect([...password].every((ch) => PASSWORD_ALPHABET.includes(ch))).toBe(true);
      expect(userCreate.safeParse({ email: 'a@b.test', name: 'A', password }).success).toBe(true);
    }
    expect(PASSWORD_ALPHABET).not.toMatch(/[0O1lI]/);
  });

  it('maps bytes onto the alphabet and draws again for bytes that would bias it', () => {
    const n = PASSWORD_ALPHABET.length;
    const limit = 256 - (256 % n);
    // limit and 255 are refused; n + 1 wraps to the second character.
    const password = generatePassword(3, bytes(limit, 255, 2, n + 1, 0));
    expect(password).toBe(`${PASSWORD_ALPHABET[2]}${PASSWORD_ALPHABET[1]}${PASSWORD_ALPHABET[0]}`);
  });

  it('differs from call to call', () => {
    expect(new Set(Array.from({ length: 20 }, () => generatePassword())).size).toBe(20);
  });
});
