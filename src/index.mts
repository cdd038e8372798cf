// ESM door onto the one CommonJS build, so ESM and CJS users share one copy of module state (the job context,
// the managers) instead of two.
export * from './index.js';
