/** Tells listeners that something inventory shows has changed, once per burst of changes. */
export class ChangeSignal {
  readonly #listeners: Array<() => void> = [];
  readonly #log: (line: string) => void;
  #pending = false;

  constructor(log: (line: string) => void) {
    this.#log = log;
  }

  listen(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /** Calls every listener once, after the current task: a health round may change many instances. */
  fire(): void {
    if (this.#pending) return;
    this.#pending = true;
    queueMicrotask(() => {
      this.#pending = false;
      for (const listener of this.#listeners) {
        try {
          listener();
        } catch (err) {
          // One broken listener must not keep the others (the inventory report) uninformed.
          this.#log(`change listener failed: ${(err as Error).message}`);
        }
      }
    });
  }
}
