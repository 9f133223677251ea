import type { AgentAccount } from '../args.ts';

/**
 * What an agent does for the accounts of one provider (Clouddriver's role in Spinnaker). Each
 * provider lives in its own folder (`local/`, `kubernetes/`, `dcos/`) behind this interface;
 * the operations (deploy, resize, enable, disable, destroy, …) are added with the work protocol
 * in issue 4. Until then an agent registers its accounts and idles.
 */
export interface Provider {
  readonly provider: AgentAccount['provider'];
}

/** Implemented providers, an explicit list rather than discovery. Empty until issue 4. */
export const providers: readonly Provider[] = [];

/** The implementation serving an account, or undefined when its provider has none yet. */
export function providerFor(account: AgentAccount): Provider | undefined {
  return providers.find((p) => p.provider === account.provider);
}
