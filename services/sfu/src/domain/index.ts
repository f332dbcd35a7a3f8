export * from './capacity.js';
export * from './candidates.js';
export * from './meters.js';
export * from './negotiation.js';
export * from './recovery.js';
export * from './subscriptions.js';
export * from './tracks.js';
