import type { DeadLetter } from '../generated/types.js';
import type { AvroCodec, RecordName } from './codec.js';
import { SchemaDecodeError } from './errors.js';
import type { RecordTypes } from '../generated/types.js';

/** Where a consumed record came from. */
export interface RecordOrigin {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string | number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/** A decoded record, or the dead letter to publish instead of it. */
export type DecodeOutcome<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly deadLetter: DeadLetter };

/**
 * Decodes a consumed record; an unreadable one becomes a DeadLetter (with the original bytes
 * and the reason) so the consumer can publish it and move on instead of stalling the partition.
 */
export function decodeOrDeadLetter<N extends RecordName>(
  codec: AvroCodec<N>,
  origin: RecordOrigin,
  consumer: string,
  now: number,
): DecodeOutcome<RecordTypes[N]> {
  try {
    if (!origin.value) throw new SchemaDecodeError('NOT_SINGLE_OBJECT', 'record has no value');
    return { ok: true, value: codec.decode(origin.value) };
  } catch (err) {
    if (!(err instanceof SchemaDecodeError)) throw err;
    return {
      ok: false,
      deadLetter: {
        topic: origin.topic,
        partition: origin.partition,
        offset: Number(origin.offset),
        key: origin.key,
        value: origin.value ?? Buffer.alloc(0),
        reason: err.reason,
        message: err.message,
        consumer,
        at: now,
      },
    };
  }
}
