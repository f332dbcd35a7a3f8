export * from './codec.js';
export * from './compatibility.js';
export * from './errors.js';
export * from './fingerprint.js';
export * from './schema-set.js';
export * from './dead-letter.js';
export * from './registry.js';
