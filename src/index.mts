// ESM door onto the one CommonJS build, so ESM and CJS users share one copy of module state (the job context,
// the managers) instead of two.
export * from './index.js';
// `export *` leaves the default out, and Node's default of a CommonJS module is its whole exports object: name it.
export { backgroundJobs as default } from './index.js';
