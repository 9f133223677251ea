/**
 * One operation at a time per key (a server group): a re-delivered task, or a disable racing a
 * destroy, waits for the other instead of interleaving with it. Different keys run in parallel.
 */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Runs `work` once every earlier `run` for `key` has settled. */
  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.#tails.get(key) ?? Promise.resolve();
    const result = before.catch(() => undefined).then(work);
    const tail = result.catch(() => undefined);
    this.#tails.set(key, tail);
    try {
      return await result;
    } finally {
      // Forget the key once nothing else queued behind this run.
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}
