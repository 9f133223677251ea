/**
 * Spinnaker's naming convention (Netflix Frigga): a cluster is `app`, `app-stack`, `app--detail`
 * or `app-stack-detail`; its server groups add `-vNNN`.
 */
import type { Moniker } from '../../contract/operations.ts';

/** How many sequence numbers a cluster has: `v000` to `v999`. */
export const SEQUENCE_SPACE = 1000;

const NAME_CHARS = 'a-zA-Z0-9._';
// Frigga lets a detail hold dashes, `~` and `^`.
const NAME_HYPHEN_CHARS = '\\-a-zA-Z0-9._~^';
// Frigga has taken 3 to 6 digits since 2019, but Gennaker's sequences stop at 999, so exactly 3.
const PUSH_PATTERN = new RegExp(`^([${NAME_HYPHEN_CHARS}]*)-v([0-9]{3})$`);
const NAME_PATTERN = new RegExp(`^([${NAME_CHARS}]+)(?:-([${NAME_CHARS}]*)(?:-([${NAME_HYPHEN_CHARS}]*?))?)?$`);

export interface ClusterParts {
  app: string;
  stack?: string | null;
  detail?: string | null;
}

/** `app`, `app-stack`, `app--detail` or `app-stack-detail` (Frigga's `combineAppStackDetail`). */
export function clusterName({ app, stack, detail }: ClusterParts): string {
  if (!app) throw new Error('a cluster name needs an application');
  const s = stack ?? '';
  if (detail) return `${app}-${s}-${detail}`;
  if (s) return `${app}-${s}`;
  return app;
}

/** `app-stack-detail-v003`: the cluster name plus a 3-digit sequence. */
export function serverGroupName(moniker: ClusterParts, sequence: number): string {
  if (!Number.isInteger(sequence) || sequence < 0 || sequence >= SEQUENCE_SPACE) {
    throw new RangeError(`server group sequence must be a whole number from 0 to ${SEQUENCE_SPACE - 1}, not ${sequence}`);
  }
  return `${clusterName(moniker)}-v${String(sequence).padStart(3, '0')}`;
}

/**
 * Splits a server group (or cluster) name into its moniker as Frigga does, or null when the name
 * does not follow the convention. Without `-vNNN` the sequence is null and the whole name is the
 * cluster. The cluster is the name before `-vNNN` as written (`app--v003` is cluster `app-`).
 */
export function parseServerGroupName(name: string): Moniker | null {
  if (!name || !name.trim()) return null;
  const push = PUSH_PATTERN.exec(name);
  const cluster = push ? push[1]! : name;
  const parts = NAME_PATTERN.exec(cluster);
  if (!parts) return null;
  return { app: parts[1]!, stack: parts[2] ?? '', detail: parts[3] ?? '', cluster, sequence: push ? Number(push[2]) : null };
}

/** Thrown when every sequence of a cluster is in use. */
export class SequencesExhaustedError extends Error {
  constructor(cluster: string) {
    super(`cluster ${cluster ? `"${cluster}" ` : ''}has ${SEQUENCE_SPACE} server groups; destroy some`);
    this.name = 'SequencesExhaustedError';
  }
}

export interface TakenSlot {
  sequence: number | null;
  /** Epoch ms. */
  createdAt: number;
  moniker?: { cluster: string };
}

/**
 * The sequence for a cluster's next server group (Clouddriver's `AbstractServerGroupNameResolver`):
 * the newest group's sequence + 1, wrapping at 1000 and skipping sequences in use; 0 for an empty
 * cluster. Groups named without `-vNNN` take no sequence. Throws {@link SequencesExhaustedError}
 * when all 1000 are taken.
 */
export function nextSequence(existing: readonly TakenSlot[], cluster = existing[0]?.moniker?.cluster ?? ''): number {
  const taken = existing.filter((s): s is TakenSlot & { sequence: number } => s.sequence !== null);
  if (taken.length === 0) return 0;
  // Newest by creation; a tie goes to the higher sequence so the answer does not depend on order.
  const latest = taken.reduce((a, b) => (b.createdAt > a.createdAt || (b.createdAt === a.createdAt && b.sequence > a.sequence) ? b : a));
  const used = new Set(taken.map((s) => s.sequence));
  for (let step = 1; step <= SEQUENCE_SPACE; step++) {
    const candidate = (latest.sequence + step) % SEQUENCE_SPACE;
    if (!used.has(candidate)) return candidate;
  }
  throw new SequencesExhaustedError(cluster);
}
