export const DEMO_APPLICATION: string;
export const DEMO_PIPELINE: string;
export function demoPipelineConfig(): Record<string, unknown>;
export function seedDemo(options: { url: string; token: string; ownerEmail: string }): Promise<{ application: boolean; pipeline: boolean }>;
export const DEMO_DEPLOY_PIPELINE: string;
export function demoDeployPipelineConfig(): Record<string, unknown>;
