/**
 * @sig/sfu: the SFU worker (werift). Its only interface with the rest of the system is Kafka:
 * media commands in, `SfuSource` commands out (see schemas/src/topics.ts).
 */
export * from './config.js';
export * from './domain/index.js';
export { SfuWorker, type SfuWorkerOptions, type WorkerCensus } from './adapters/worker.js';
