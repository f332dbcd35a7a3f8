/** @sig/edge: the WebSocket edge. Run `dist/main.js`; the pure domain is exported for tests and tools. */
export * from './domain/index.js';
export { edgeConfigSpec, loadEdgeConfig, type EdgeConfig } from './config.js';
