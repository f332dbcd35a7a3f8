export * from './topics.js';
export * from './codec/index.js';
export * from './generated/types.js';
export * from './protocol/index.js';
