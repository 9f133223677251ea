import { api, ApiError, call } from '$lib/api.ts';
import { canonical, fromConfig, toConfig, type ConfigForm } from '$lib/canary/config-form.ts';
import type { CanaryConfigVersion, StoredCanaryConfig } from '$lib/canary/types.ts';
import { markerOf, type EditMode, type Marker, type Refusal } from '$lib/components/editing.ts';
import { pretty } from '$lib/format.ts';
import { scanJson } from '$lib/json-lines.ts';

type Json = Record<string, unknown>;

/** What the page a save left says on the page it went to (a created config's own address). */
let handedOver: string | null = null;
/** Leaves `notice` for the next editor made; it is said once. */
export function handOverNotice(notice: string | null): void {
  handedOver = notice;
}

/**
 * One canary config being edited, in the form or as JSON: the saved config and its history as the
 * edge last told us, the edits (the form's model or the JSON text, whichever is shown), and what is
 * wrong with them (a JSON syntax error, the field a save was refused for). A new config has no
 * saved one yet; its first save creates it.
 */
export class CanaryConfigDoc {
  #stored = $state.raw<StoredCanaryConfig | null>(null);
  #versions = $state.raw<CanaryConfigVersion[]>([]);
  #failure = $state.raw<unknown>(null);
  #latest = $state.raw<StoredCanaryConfig | null>(null);
  #saving = $state(false);
  #base = $state.raw<Json>({});
  readonly application: string;
  mode = $state<EditMode>('form');
  form = $state<ConfigForm>(undefined as unknown as ConfigForm);
  text = $state('');
  notice = $state<string | null>(null);
  /** Why the JSON could not be shown in the form, at which field. */
  refusal = $state<Refusal | null>(null);

  readonly scan = $derived(scanJson(this.text));
  /** The config the editor holds now; null while the JSON text does not parse. */
  readonly current = $derived.by((): unknown => {
    if (this.mode === 'form') return toConfig($state.snapshot(this.form) as ConfigForm);
    return this.scan.ok ? JSON.parse(this.text) : null;
  });
  readonly #savedCanonical = $derived(canonical(this.#stored?.config ?? this.#base));
  readonly dirty = $derived(this.current === null || canonical(this.current) !== this.#savedCanonical);
  /** The line the JSON editor marks: a syntax error, else the field a save or the form refused. */
  readonly marker = $derived.by((): Marker | null => {
    const err = this.#failure;
    return markerOf(this.scan, err instanceof ApiError && err.field ? { field: err.field, message: err.message } : this.refusal);
  });

  constructor(application: string, stored: StoredCanaryConfig | null, versions: CanaryConfigVersion[], starter: Json) {
    this.application = application;
    this.#stored = stored;
    this.#versions = versions;
    this.#base = starter;
    this.#show(stored?.config ?? starter);
    this.notice = handedOver;
    handedOver = null;
  }

  get stored(): StoredCanaryConfig | null {
    return this.#stored;
  }
  get versions(): CanaryConfigVersion[] {
    return this.#versions;
  }
  get failure(): unknown {
    return this.#failure;
  }
  get saving(): boolean {
    return this.#saving;
  }
  /** After a save lost to someone else's: the newest saved config, to compare with or overwrite. */
  get conflict(): StoredCanaryConfig | null {
    return this.#latest;
  }
  /** The saved config as text, for diffs. */
  get savedText(): string {
    return pretty(this.#stored?.config ?? this.#base);
  }
  /** The editor's config as text, for diffs (the raw text while it does not parse). */
  get currentText(): string {
    return this.current === null ? this.text : pretty(this.current);
  }

  /** Shows the JSON editor with the form's edits in it. */
  toJson(): void {
    if (this.mode === 'json') return;
    this.text = pretty(this.current);
    this.mode = 'json';
    this.refusal = null;
  }

  /** Shows the form with the JSON's edits, unless the text is not JSON or has a shape the form would change. */
  toForm(): boolean {
    if (this.mode === 'form') return true;
    const scan = this.scan;
    if (!scan.ok) {
      this.refusal = { field: '', message: `Fix the JSON first: ${scan.message} on line ${scan.line}, column ${scan.column}.` };
      return false;
    }
    const r = fromConfig(JSON.parse(this.text));
    if (!r.ok) {
      this.refusal = { field: r.field, message: `The form cannot show this without changing it: ${r.message}. Edit it here, or fix it first.` };
      return false;
    }
    this.refusal = null;
    this.form = r.form;
    this.mode = 'form';
    return true;
  }

  /**
   * Saves the edits: creates the config, or saves a new version conditional on the one loaded.
   * Resolves to the stored config on success, null when it was refused (the reason is `failure`).
   */
  async save(): Promise<StoredCanaryConfig | null> {
    this.notice = null;
    const config = this.current;
    if (config === null) {
      const scan = this.scan;
      this.#failure = new Error(scan.ok ? 'The JSON is not valid.' : `The JSON is not valid: ${scan.message} on line ${scan.line}, column ${scan.column}.`);
      return null;
    }
    if (typeof config !== 'object' || Array.isArray(config)) {
      this.#failure = new Error('A canary config is a JSON object: { "name": …, "metrics": [ … ], "classifier": { … } }.');
      return null;
    }
    const stored = this.#stored;
    return this.#write(async () => {
      if (!stored) {
        const next = await call(api.applications[':app']['canary-configs'].$post({ param: { app: this.application }, json: config as Json }));
        return { next, notice: `Created "${next.name}" as version 1.` };
      }
      const next = await call(
        api['canary-configs'][':id'].$put({ param: { id: stored.id }, header: { 'if-match': `"${stored.version}"` }, json: config as Json }),
      );
      return { next, notice: `Saved as version ${next.version}.` };
    });
  }

  /** Saves an old version again as the newest one, replacing the edits. */
  async restore(version: number): Promise<void> {
    const stored = this.#stored;
    if (!stored) return;
    this.notice = null;
    await this.#write(async () => {
      const next = await call(api['canary-configs'][':id'].versions[':version'].restore.$post({ param: { id: stored.id, version: String(version) } }));
      return { next, notice: `Restored version ${version} as version ${next.version}.` };
    });
  }

  /** Saves the edits on top of the version someone else saved meanwhile. */
  async overwrite(): Promise<StoredCanaryConfig | null> {
    if (!this.#latest) return null;
    this.#stored = this.#latest;
    this.#latest = null;
    return this.save();
  }

  /** Loads the newest saved version, dropping the edits. */
  async reload(): Promise<void> {
    const stored = this.#stored;
    if (!stored) return;
    this.#failure = null;
    this.notice = null;
    const [next, versions] = await Promise.all([call(api['canary-configs'][':id'].$get({ param: { id: stored.id } })), this.#loadVersions(stored.id)]);
    this.#accept(next, versions);
    this.notice = `Loaded version ${next.version}.`;
  }

  /** Puts the saved config back in the form and the JSON. */
  discard(): void {
    this.#failure = null;
    this.notice = null;
    this.refusal = null;
    this.#show(this.#stored?.config ?? this.#base);
  }

  /** Re-indents valid JSON; leaves invalid text as it is for the marker to point at. */
  format(): void {
    if (this.mode === 'json' && this.scan.ok) this.text = pretty(JSON.parse(this.text));
  }

  #show(config: Json): void {
    this.text = pretty(config);
    const r = fromConfig(config);
    // A stored config always fits the form (the API parsed it); if one ever does not, show its JSON.
    if (r.ok) this.form = r.form;
    else this.mode = 'json';
  }

  async #write(op: () => Promise<{ next: StoredCanaryConfig; notice: string }>): Promise<StoredCanaryConfig | null> {
    this.#saving = true;
    this.#failure = null;
    this.#latest = null;
    this.refusal = null;
    try {
      const { next, notice } = await op();
      this.#accept(next, await this.#loadVersions(next.id).catch(() => this.#versions));
      this.notice = notice;
      return next;
    } catch (err) {
      this.#failure = err;
      if (err instanceof ApiError && err.status === 409 && err.field !== 'name' && this.#stored) await this.#fetchLatest(this.#stored.id);
      return null;
    } finally {
      this.#saving = false;
    }
  }

  /** Someone saved meanwhile: learn what they saved, keeping the edits. */
  async #fetchLatest(id: string): Promise<void> {
    try {
      const [latest, versions] = await Promise.all([call(api['canary-configs'][':id'].$get({ param: { id } })), this.#loadVersions(id)]);
      this.#latest = latest;
      this.#versions = versions;
    } catch {
      // The banner still says what happened; "Load theirs" tries again.
    }
  }

  #accept(next: StoredCanaryConfig, versions: CanaryConfigVersion[]): void {
    this.#latest = null;
    this.#stored = next;
    this.#versions = versions;
    // The stored config has the API's defaults filled in: show it as saved.
    this.#show(next.config);
  }

  async #loadVersions(id: string): Promise<CanaryConfigVersion[]> {
    return (await call(api['canary-configs'][':id'].versions.$get({ param: { id } }))).items;
  }
}
