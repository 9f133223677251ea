/** The questions both config editors ask before edits could be lost. */
import { beforeNavigate } from '$app/navigation';
import { confirm } from '$lib/confirm.svelte.ts';

/** Asks before saving `version` again as the newest (`newest + 1`); says when unsaved edits go with it. */
export function confirmRestore(version: number, newest: number, dirty: boolean): Promise<boolean> {
  return confirm({
    title: `Restore version ${version}?`,
    message: `Version ${version}'s config will be saved as a new version (v${newest + 1}).${dirty ? ' Your unsaved edits in the editor will be lost.' : ''}`,
    confirmLabel: `Restore version ${version}`,
  });
}

/** Asks before the newest saved version replaces unsaved edits; no question when there are none. */
export async function confirmDiscard(dirty: boolean): Promise<boolean> {
  return (
    !dirty ||
    confirm({
      title: 'Discard your edits?',
      message: 'The editor will show the newest saved version instead of your unsaved text.',
      confirmLabel: 'Discard and load',
      danger: true,
    })
  );
}

/**
 * Asks before leaving a page with unsaved edits of `what` (call while the page's component is
 * created). Moving within the page (its mode in the URL) is not leaving.
 */
export function guardUnsaved(unsaved: () => boolean, what: string): void {
  beforeNavigate(({ cancel, type, to }) => {
    if (!unsaved() || to?.url.pathname === location.pathname) return;
    // A reload or leaving the site gets the browser's own prompt; in-app links get ours.
    if (type === 'leave') cancel();
    else if (!window.confirm(`Leave without saving? Your edits to this ${what} will be lost.`)) cancel();
  });
}
