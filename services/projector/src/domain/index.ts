export * from './decide.js';
export * from './decision.js';
export * from './evolve.js';
export * from './replay.js';
export * from './route.js';
export * from './state.js';
export * from './timers.js';
export * from './state-json.js';
