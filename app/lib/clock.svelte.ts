import { createSubscriber } from 'svelte/reactivity';

/** The current time as reactive state, ticking only while something on screen reads it. */
export class Clock {
  readonly #subscribe: () => void;

  constructor(intervalMs = 1000) {
    this.#subscribe = createSubscriber((update) => {
      const timer = setInterval(update, intervalMs);
      return () => clearInterval(timer);
    });
  }

  get now(): number {
    this.#subscribe();
    return Date.now();
  }
}

/** One shared one-second clock for running durations. */
export const clock = new Clock();
