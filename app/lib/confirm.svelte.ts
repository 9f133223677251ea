export interface ConfirmRequest {
  title: string;
  message: string;
  confirmLabel: string;
  danger?: boolean;
}

/** One modal confirmation at a time, answered by `<ConfirmHost>` in the shell. */
class Confirmation {
  #request = $state<ConfirmRequest | null>(null);
  #resolve: ((ok: boolean) => void) | null = null;

  get request(): ConfirmRequest | null {
    return this.#request;
  }

  /** Asks the user; resolves true only when they press the confirm button. */
  ask(request: ConfirmRequest): Promise<boolean> {
    this.#resolve?.(false);
    this.#request = request;
    return new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  answer(ok: boolean): void {
    this.#resolve?.(ok);
    this.#resolve = null;
    this.#request = null;
  }
}

export const confirmation = new Confirmation();
export const confirm = (request: ConfirmRequest) => confirmation.ask(request);
