/**
 * One place that knows everything the run started (processes, topics, servers), so that a
 * failure, Ctrl-C or SIGTERM stops all of it: disposers run last-in first-out, each bounded.
 */

type Disposer = () => unknown;

const disposers: { name: string; fn: Disposer }[] = [];
let disposing: Promise<void> | undefined;

/** Registers `fn` to run at cleanup; returns a function that unregisters it (once done by other means). */
export function onCleanup(name: string, fn: Disposer): () => void {
  const entry = { name, fn };
  disposers.push(entry);
  return () => {
    const i = disposers.indexOf(entry);
    if (i >= 0) disposers.splice(i, 1);
  };
}

async function bounded(name: string, fn: Disposer, timeoutMs = 20_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.resolve().then(fn),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`cleanup of ${name} took over ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    console.error(`[bench] cleanup ${name}: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every registered disposer, newest first (idempotent). */
export function cleanupAll(): Promise<void> {
  disposing ??= (async () => {
    while (disposers.length > 0) {
      const entry = disposers.pop()!;
      await bounded(entry.name, entry.fn);
    }
  })();
  return disposing;
}

/** Ctrl-C / SIGTERM: clean up, then exit 130; a second signal exits at once. */
export function installSignalHandlers(): void {
  // Whatever fails late (a scenario still unwinding while cleanup runs) must not skip the cleanup.
  process.on('uncaughtException', (err) => {
    console.error(`[bench] uncaught: ${err.stack ?? err.message}`);
    void cleanupAll().finally(() => process.exit(1));
  });
  process.on('unhandledRejection', (err) => {
    console.error(`[bench] unhandled rejection: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  });
  let count = 0;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (++count > 1) process.exit(130);
      console.error(`\n[bench] ${sig}: stopping everything the run started…`);
      void cleanupAll().finally(() => process.exit(130));
    });
  }
}
