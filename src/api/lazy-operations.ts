/**
 * The operation families `api/operations.ts` loads on first use, as one module (its `later`).
 * Key lifecycle and encryption are not here: every page calls them.
 */
export * as aliases from '../ops/aliases.js';
export * as asymmetric from '../ops/asymmetric.js';
export * as grants from '../ops/grants.js';
export * as imports from '../ops/import.js';
export * as mac from '../ops/mac.js';
export * as multiRegion from '../ops/multi-region.js';
export * as policies from '../ops/policies.js';
export * as rotation from '../ops/rotation.js';
export * as tags from '../ops/tags.js';
