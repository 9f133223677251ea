/** The canary judge's public entry points. */
export { judge, classifierParams } from './judge.ts';
export type * from './types.ts';
