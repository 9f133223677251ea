/** What the console's browser journeys share: Debian's Chromium, the admin's view of the API, paths. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import type { Stack } from '../../scripts/stack.mjs';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SHOTS = path.join(ROOT, 'test-results', 'screenshots');

/**
 * Debian's Chromium, headless; the background-networking flags keep it from reaching for hosts
 * this machine cannot reach. Never a downloaded browser.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** The API as the admin's token sees it: to set up, and as a second opinion on what the console shows. */
export function adminApi(stack: () => Stack) {
  return async (p: string, init: { method?: string; body?: unknown } = {}): Promise<any> => {
    const s = stack();
    const res = await fetch(`${s.url}/api/v1${p}`, {
      method: init.method ?? 'GET',
      headers: { Authorization: `Bearer ${s.adminToken}`, ...(init.body ? { 'Content-Type': 'application/json' } : {}) },
      ...(init.body ? { body: JSON.stringify(init.body) } : {}),
    });
    const body = await res.json();
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${p}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  };
}
