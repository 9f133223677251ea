/** Epoch milliseconds as an ISO string, or null. */
export const iso = (ms: number | null | undefined): string | null => (ms == null ? null : new Date(ms).toISOString());
/** Like {@link iso} for columns that are never null. */
export const isoOf = (ms: number): string => new Date(ms).toISOString();
