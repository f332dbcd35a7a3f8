/**
 * Entry point: starts OpenTelemetry, then loads the service (app.ts, the composition root).
 *
 * Two dynamic imports, not static ones: Node loads a whole static import graph, running its
 * CommonJS dependencies (kafkajs, ioredis, pino, uWebSockets.js) before it evaluates any module
 * of it, so a first static `import './instrument.js'` would still start the SDK after them. Only
 * an import issued once the SDK started guarantees the order (what `node --import` does, without
 * changing how the service is launched). app.ts logs any library that loaded too early.
 */
await import('./instrument.js');
await import('./app.js');
