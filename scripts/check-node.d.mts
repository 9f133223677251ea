/** The one-line complaint for a Node.js version, or null when it is new enough. */
export function nodeVersionProblem(version: string): string | null;
