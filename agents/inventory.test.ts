import { describe, expect, it } from 'vitest';
import type { InventoryReport } from '../contract/operations.ts';
import { startInventoryReporter, type Timers } from './inventory.ts';
import type { Provider } from './providers/provider.ts';

/** Timers driven by the test: time moves only in `advance`, and due callbacks run in order. */
class ManualTimers implements Timers {
  time = 0;
  #next = 0;
  #pending = new Map<number, { at: number; fn: () => void }>();
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.#next;
    this.#pending.set(id, { at: this.time + ms, fn });
    return id;
  };
  clearTimeout = (id: unknown) => void this.#pending.delete(id as number);
  now = () => this.time;

  /** Moves time forward by `ms`, running what falls due (and letting the reports they start settle). */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      await settle();
      const due = [...this.#pending].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!due) break;
      this.#pending.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
    }
    this.time = end;
    await settle();
  }
}
const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

/** A provider whose inventory names the account and a counter, with a change button. */
function provider(): Provider & { change(): void; inventoryCalls: number; malformed: boolean } {
  const listeners: (() => void)[] = [];
  const p = {
    type: 'local' as const,
    inventoryCalls: 0,
    malformed: false,
    async inventory(account: string): Promise<InventoryReport> {
      p.inventoryCalls++;
      if (p.malformed) return { account, serverGroups: [{ name: '' }] } as unknown as InventoryReport;
      return { account, serverGroups: [], loadBalancers: [] };
    },
    onChange: (listener: () => void) => void listeners.push(listener),
    change: () => listeners.forEach((l) => l()),
    close: async () => undefined,
  } as unknown as Provider & { change(): void; inventoryCalls: number; malformed: boolean };
  return p;
}

function harness(accounts: string[] = ['local']) {
  const timers = new ManualTimers();
  const p = provider();
  const sent: { at: number; account: string }[] = [];
  const lines: string[] = [];
  let fail: Error | null = null;
  let gate: Promise<void> | null = null;
  const reporter = startInventoryReporter(
    new Map(accounts.map((a) => [a, p])),
    {
      send: async (report) => {
        if (gate) await gate;
        if (fail) throw fail;
        sent.push({ at: timers.time, account: report.account });
      },
      log: (line) => lines.push(line),
      timers,
    },
    { debounceMs: 250, intervalMs: 30_000 },
  );
  return {
    timers, provider: p, sent, lines, reporter,
    failWith: (err: Error | null) => void (fail = err),
    hold: () => {
      let open!: () => void;
      gate = new Promise((r) => (open = r));
      return () => {
        gate = null;
        open();
      };
    },
  };
}

describe('startInventoryReporter', () => {
  it('reports every account at once on start', async () => {
    const h = harness(['local', 'edge']);
    await h.timers.advance(0);
    expect(h.sent).toEqual([{ at: 0, account: 'local' }, { at: 0, account: 'edge' }]);
    await h.reporter.stop();
  });

  it('sends changes within 250 ms of the first as one report, 250 ms after it', async () => {
    const h = harness();
    await h.timers.advance(1000);
    h.sent.length = 0;
    h.provider.change();
    await h.timers.advance(100);
    h.provider.change();
    await h.timers.advance(100);
    h.provider.change();
    expect(h.sent).toEqual([]);
    await h.timers.advance(50);
    expect(h.sent).toEqual([{ at: 1250, account: 'local' }]);
    await h.timers.advance(1000);
    expect(h.sent).toHaveLength(1);
    await h.reporter.stop();
  });

  it('reports at least every interval, counted from the last report', async () => {
    const h = harness();
    await h.timers.advance(0);
    await h.timers.advance(30_000);
    expect(h.sent.map((s) => s.at)).toEqual([0, 30_000]);
    await h.timers.advance(10_000);
    h.provider.change();
    await h.timers.advance(250);
    await h.timers.advance(29_999);
    expect(h.sent.map((s) => s.at)).toEqual([0, 30_000, 40_250]);
    await h.timers.advance(1);
    expect(h.sent.map((s) => s.at)).toEqual([0, 30_000, 40_250, 70_250]);
    await h.reporter.stop();
  });

  it('reports again after a report in flight when something changed meanwhile', async () => {
    const h = harness();
    const release = h.hold();
    await h.timers.advance(0);
    h.provider.change();
    h.provider.change();
    await h.timers.advance(5_000);
    expect(h.provider.inventoryCalls).toBe(1);
    release();
    await h.timers.advance(0);
    await h.timers.advance(250);
    expect(h.sent.map((s) => s.at)).toEqual([5_000, 5_250]);
    await h.reporter.stop();
  });

  it('says once that reports fail, retries with backoff rather than at the interval, and says when they work again', async () => {
    const h = harness();
    h.failWith(new Error('no answer to POST /inventory: ECONNREFUSED'));
    await h.timers.advance(0);
    await h.timers.advance(3_000);
    // Backoff starts under a second and doubles: at least three tries in the first three seconds.
    expect(h.provider.inventoryCalls).toBeGreaterThanOrEqual(3);
    expect(h.lines).toEqual(['cannot report the inventory of account local (no answer to POST /inventory: ECONNREFUSED); retrying with backoff and on change']);
    h.failWith(null);
    await h.timers.advance(30_000);
    // Back well before the 30 s interval would have brought it.
    expect(h.sent[0]!.at).toBeLessThan(20_000);
    expect(h.lines.at(-1)).toBe('inventory of account local reported again');
    await h.reporter.stop();
  });

  it('does not send an inventory the protocol would refuse', async () => {
    const h = harness();
    h.provider.malformed = true;
    await h.timers.advance(0);
    expect(h.sent).toEqual([]);
    expect(h.lines[0]).toMatch(/^cannot report the inventory of account local \(the local provider's inventory is malformed \(serverGroups\[0\]\.name: /);
    await h.reporter.stop();
  });

  it('stops reporting once stopped, after the report in flight', async () => {
    const h = harness();
    const release = h.hold();
    await h.timers.advance(0);
    const stopped = h.reporter.stop();
    release();
    await stopped;
    expect(h.sent).toHaveLength(1);
    h.provider.change();
    await h.timers.advance(60_000);
    expect(h.sent).toHaveLength(1);
  });
});
