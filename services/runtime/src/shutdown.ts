import type { Logger } from './logger.js';

/** Options of `handleShutdownSignals`. */
export interface ShutdownOptions {
  readonly logger: Logger;
  /** Hard deadline from the first signal to process exit, whatever hangs. */
  readonly deadlineMs: number;
  /** Drains and closes the service; its failure is logged, never blocks the exit. */
  readonly stop: (signal: string) => Promise<void>;
  /** Stops telemetry last (flushes spans); bounded to 500 ms so a dead collector cannot delay the exit. */
  readonly telemetry?: { shutdown(): Promise<void> };
  /** Logged once stopped, e.g. "edge stopped". */
  readonly stoppedMessage: string;
}

/** What `handleShutdownSignals` returns. */
export interface ShutdownHandle {
  /** Whether a stop has begun. */
  readonly stopping: boolean;
  /** Starts the same stop as a signal would (e.g. after a fatal component failure). */
  stop(reason: string): void;
}

/**
 * SIGTERM/SIGINT → `stop`, then exit 0; a second signal exits at once, and a timer guarantees the
 * process is gone at the deadline whatever hangs (drain that never ends is a failure mode of the
 * systems we replace).
 */
export function handleShutdownSignals(options: ShutdownOptions): ShutdownHandle {
  const { logger } = options;
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    setTimeout(() => {
      logger.error({ deadlineMs: options.deadlineMs }, 'stop deadline reached: exiting');
      process.exit(1);
    }, options.deadlineMs).unref();
    void (async () => {
      await options.stop(signal).catch((err: unknown) => logger.error({ err }, 'stop failed'));
      if (options.telemetry) {
        const flush = options.telemetry.shutdown().catch(() => undefined);
        await Promise.race([flush, new Promise((resolve) => setTimeout(resolve, 500))]);
      }
      logger.info({ signal }, options.stoppedMessage);
      process.exit(0);
    })();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return {
    get stopping() {
      return stopping;
    },
    stop,
  };
}
