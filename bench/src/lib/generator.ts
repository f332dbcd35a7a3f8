/** The parent side of a load-generator process (bench/dist/gen/worker.js). */
import type { GenCommand, GenReply } from '../gen/worker.js';
import { Proc, type ProfileSpec } from './procs.js';
import { within } from './wait.js';

/** One generator process; `request` sends a command and waits (bounded) for its reply. */
export class Generator {
  #replies: ((r: GenReply) => void)[] = [];

  private constructor(readonly proc: Proc) {
    proc.child.on('message', (r: GenReply) => this.#replies.shift()?.(r));
  }

  static async start(name: string, profile?: ProfileSpec): Promise<Generator> {
    const { proc } = await Proc.start({
      name,
      script: 'bench/dist/gen/worker.js',
      ready: (l) => l['msg'] === 'ready',
      ipc: true,
      profile,
    });
    return new Generator(proc);
  }

  /** Sends `command`; resolves with its reply, throws on an error reply or after `timeoutMs`. */
  async request<K extends (GenReply extends infer R ? (R extends { ok: infer O } ? O : never) : never)>(
    command: GenCommand & { cmd: K },
    timeoutMs: number,
  ): Promise<Extract<GenReply, { ok: K }>> {
    if (!this.proc.child.connected) throw new Error(`${this.proc.name} is gone:\n${this.proc.tail()}`);
    const reply = new Promise<GenReply>((resolve) => this.#replies.push(resolve));
    this.proc.child.send(command);
    const r = await within(
      Promise.race([
        reply,
        this.proc.exited.then((code) => ({ error: `generator exited (${code}):\n${this.proc.tail()}` })),
      ]),
      timeoutMs,
      `${this.proc.name} to answer ${command.cmd}`,
    );
    if ('error' in r) throw new Error(`${this.proc.name} ${command.cmd}: ${r.error}`);
    return r as Extract<GenReply, { ok: K }>;
  }

  /** Closes its sockets and lets it exit (writing its profile), bounded. */
  async close(): Promise<void> {
    if (this.proc.child.exitCode === null && this.proc.child.connected) {
      await this.request({ cmd: 'close' }, 30_000).catch(() => undefined);
    }
    await this.proc.stop(5000);
  }
}
