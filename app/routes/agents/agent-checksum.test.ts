import { describe, expect, it } from 'vitest';
import { fetchAgentChecksum, parseChecksum } from './agent-checksum.ts';

const HEX = 'a'.repeat(63) + 'f';

describe('parseChecksum', () => {
  it.each([
    [`${HEX}  gennaker-agent.mjs\n`, HEX],
    [`${HEX}  gennaker-agent.mjs`, HEX],
    // sha256sum's binary mode marks the name with *.
    [`${HEX} *gennaker-agent.mjs\n`, HEX],
    [`${HEX}  other.mjs\n`, null],
    [`${HEX.toUpperCase()}  gennaker-agent.mjs\n`, null],
    [`${HEX.slice(1)}  gennaker-agent.mjs\n`, null],
    ['<!doctype html><html>…</html>', null],
    ['', null],
  ])('%j → %s', (text, hex) => expect(parseChecksum(text)).toBe(hex));
});

describe('fetchAgentChecksum', () => {
  /** A fetch answering every URL with `body` and `status`, recording what it was asked. */
  function fake(body: string, status = 200) {
    const asked: string[] = [];
    const fn = (async (url: string) => {
      asked.push(url);
      return new Response(body, { status });
    }) as typeof fetch;
    return { fn, asked };
  }

  it('reads the checksum served beside the agent on this origin', async () => {
    const { fn, asked } = fake(`${HEX}  gennaker-agent.mjs\n`);
    expect(await fetchAgentChecksum('http://localhost:8874/', fn)).toBe(HEX);
    expect(asked).toEqual(['http://localhost:8874/downloads/gennaker-agent.mjs.sha256']);
  });

  it('says what is missing when the edge has no checksum: a 404, or the console page served in its place', async () => {
    await expect(fetchAgentChecksum('https://g.example.com', fake('nope', 404).fn)).rejects.toThrow(
      'this Gennaker serves no agent checksum at https://g.example.com/downloads/gennaker-agent.mjs.sha256 (HTTP 404)',
    );
    await expect(fetchAgentChecksum('https://g.example.com', fake('<!doctype html>').fn)).rejects.toThrow('(not a sha256sum line)');
  });

  it('says when the edge cannot be reached', async () => {
    const down = (async () => {
      throw new TypeError('Failed to fetch');
    }) as typeof fetch;
    await expect(fetchAgentChecksum('https://g.example.com', down)).rejects.toThrow(
      "cannot read the agent's checksum from https://g.example.com/downloads/gennaker-agent.mjs.sha256 (Failed to fetch)",
    );
  });
});
