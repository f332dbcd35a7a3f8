import type { DeadLetterReason } from '../generated/types.js';

/** A record that cannot be read: the reason doubles as the dead-letter reason. */
export class SchemaDecodeError extends Error {
  override readonly name = 'SchemaDecodeError';
  constructor(
    readonly reason: DeadLetterReason,
    message: string,
    readonly fingerprintHex?: string,
  ) {
    super(message);
  }
}

/** A value that does not match the writer schema (a programming error, never retriable). */
export class SchemaEncodeError extends Error {
  override readonly name = 'SchemaEncodeError';
  constructor(
    readonly schemaName: string,
    readonly paths: readonly string[],
  ) {
    super(`value is not a valid ${schemaName}: invalid at ${paths.join(', ') || '(root)'}`);
  }
}
