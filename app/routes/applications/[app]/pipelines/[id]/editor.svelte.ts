import { api, ApiError, call, type Pipeline, type PipelineVersion } from '$lib/api.ts';
import { markerOf, type Marker } from '$lib/components/editing.ts';
import { pretty } from '$lib/format.ts';
import { scanJson } from '$lib/json-lines.ts';
import { newStage, type StageTypeInfo } from '$lib/stage-types.ts';

/**
 * One pipeline being edited: the saved pipeline and its history as the edge last told us, the
 * text in the editor, and where the text is wrong (JSON syntax, or the field a save was refused for).
 */
export class PipelineDoc {
  // Set in the constructor; a class field needs its rune at the declaration.
  #pipeline = $state.raw<Pipeline>(undefined as unknown as Pipeline);
  #versions = $state.raw<PipelineVersion[]>([]);
  #failure = $state.raw<unknown>(null);
  #latest = $state.raw<Pipeline | null>(null);
  #saving = $state(false);
  text = $state('');
  notice = $state<string | null>(null);

  readonly saved = $derived(pretty(this.#pipeline.config));
  readonly dirty = $derived(this.text !== this.saved);
  readonly scan = $derived(scanJson(this.text));
  /**
   * The pipeline object the text holds, which the form editor reads and edits; null while the
   * text is not a JSON object (the form cannot show it then).
   */
  readonly config = $derived.by((): Record<string, unknown> | null => {
    if (!this.scan.ok) return null;
    const value = JSON.parse(this.text) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  });
  readonly marker = $derived.by((): Marker | null => {
    const err = this.#failure;
    return markerOf(this.scan, err instanceof ApiError && err.field ? { field: err.field, message: err.message } : null);
  });

  constructor(pipeline: Pipeline, versions: PipelineVersion[]) {
    this.#pipeline = pipeline;
    this.#versions = versions;
    this.text = pretty(pipeline.config);
  }

  get pipeline(): Pipeline {
    return this.#pipeline;
  }
  get versions(): PipelineVersion[] {
    return this.#versions;
  }
  /** The last save or restore failure; cleared by the next attempt. */
  get failure(): unknown {
    return this.#failure;
  }
  get saving(): boolean {
    return this.#saving;
  }
  /** After a save lost to someone else's: the newest saved pipeline, to compare with or overwrite. */
  get conflict(): Pipeline | null {
    return this.#latest;
  }

  /**
   * Saves the text as a new version, conditional on the version it was loaded from. Returns the
   * line to show when the text or a field in it is wrong.
   */
  async save(): Promise<number | null> {
    this.notice = null;
    const scan = this.scan;
    if (!scan.ok) {
      this.#failure = new Error(`The JSON is not valid: ${scan.message} on line ${scan.line}, column ${scan.column}.`);
      return scan.line;
    }
    const config = JSON.parse(this.text) as unknown;
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      this.#failure = new Error('A pipeline config is a JSON object: { "name": …, "stages": [ … ] }.');
      return 1;
    }
    return this.#write(async () => {
      const next = await call(
        api.pipelines[':id'].$put({
          param: { id: this.#pipeline.id },
          header: { 'if-match': `"${this.#pipeline.version}"` },
          json: config as Record<string, unknown>,
        }),
      );
      return { next, notice: `Saved as version ${next.version}.` };
    });
  }

  /** Saves an old version again as the newest one, replacing the editor's text. */
  async restore(version: number): Promise<void> {
    this.notice = null;
    await this.#write(async () => {
      const next = await call(
        api.pipelines[':id'].versions[':version'].restore.$post({ param: { id: this.#pipeline.id, version: String(version) } }),
      );
      return { next, notice: `Restored version ${version} as version ${next.version}.` };
    });
  }

  /** Saves the editor's text on top of the version someone else saved meanwhile. */
  async overwrite(): Promise<number | null> {
    if (!this.#latest) return null;
    this.#pipeline = this.#latest;
    this.#latest = null;
    return this.save();
  }

  /** Loads the newest saved version, dropping unsaved edits (after a conflict, say). */
  async reload(): Promise<void> {
    this.#failure = null;
    this.notice = null;
    const [next, versions] = await Promise.all([
      call(api.pipelines[':id'].$get({ param: { id: this.#pipeline.id } })),
      this.#loadVersions(),
    ]);
    this.#accept(next, versions);
    this.notice = `Loaded version ${next.version}.`;
  }

  /** Puts the saved text back. */
  discard(): void {
    this.text = this.saved;
    this.#failure = null;
    this.notice = null;
  }

  /** Replaces the pipeline object (a form edit); the text follows, so both modes show one config. */
  edit(config: Record<string, unknown>): void {
    this.text = pretty(config);
    this.notice = null;
  }

  /** Re-indents valid JSON; leaves invalid text as it is for the marker to point at. */
  format(): void {
    if (this.scan.ok) this.text = pretty(JSON.parse(this.text));
  }

  /** Appends a stage of `type` after the last one. False when the text is not a valid config to add to. */
  addStage(type: StageTypeInfo): boolean {
    if (!this.scan.ok) return false;
    const config = JSON.parse(this.text) as { stages?: unknown };
    if (typeof config !== 'object' || config === null) return false;
    const stages = Array.isArray(config.stages) ? (config.stages as { refId?: unknown }[]) : [];
    config.stages = [...stages, newStage(type, stages)];
    this.text = pretty(config);
    return true;
  }

  async #write(op: () => Promise<{ next: Pipeline; notice: string }>): Promise<number | null> {
    this.#saving = true;
    this.#failure = null;
    this.#latest = null;
    try {
      const { next, notice } = await op();
      this.#accept(next, await this.#loadVersions().catch(() => this.#versions));
      this.notice = notice;
      return null;
    } catch (err) {
      this.#failure = err;
      if (err instanceof ApiError && err.status === 409 && err.field !== 'name') await this.#fetchLatest();
      return this.marker?.line ?? null;
    } finally {
      this.#saving = false;
    }
  }

  /** Someone saved meanwhile: learn what they saved, keeping the editor's text. */
  async #fetchLatest(): Promise<void> {
    try {
      const [latest, versions] = await Promise.all([
        call(api.pipelines[':id'].$get({ param: { id: this.#pipeline.id } })),
        this.#loadVersions(),
      ]);
      this.#latest = latest;
      this.#versions = versions;
    } catch {
      // The banner still says what happened; "Load latest" tries again.
    }
  }

  #accept(next: Pipeline, versions: PipelineVersion[]): void {
    this.#latest = null;
    this.#pipeline = next;
    this.#versions = versions;
    this.text = pretty(next.config);
  }

  async #loadVersions(): Promise<PipelineVersion[]> {
    return (await call(api.pipelines[':id'].versions.$get({ param: { id: this.#pipeline.id } }))).items;
  }
}
