/**
 * The fault suite's ledger: what every client sent (and whether the edge acked it) and every
 * room message it received, in arrival order. `check()` is pure over what was recorded and
 * returns each broken guarantee with the exact message concerned:
 *
 * - every acked data message reaches each of its recipients exactly once (`lost`, `duplicate`);
 * - a message that was not acked (refused, or its connection died first) reaches each recipient
 *   at most once: it may or may not be in the log (docs/protocol.md, request ids);
 * - nobody receives a message that was not addressed to them (`misrouted`) or never sent (`phantom`);
 * - per recipient, room `seq` strictly increases across the whole session, resumes included
 *   (`out_of_sequence`), and one sender's messages arrive in the order it sent them (`reordered`);
 * - an acked message the room then refused (an `error` with `seq`) is reported (`rejected`): in this
 *   suite every sender is a member with every grant, so a refusal is a fault's side effect.
 *
 * Payload ids are `<sender>.<n>` with `n` counting up per sender, which is what makes the order of
 * one sender's messages checkable without reading the log.
 */

/** What happened to a sent message at the sender's edge. */
export type SendStatus = 'pending' | 'acked' | 'refused';

export interface SentMessage {
  readonly payloadId: string;
  readonly room: string;
  readonly sender: string;
  /** Who must receive it (everyone else in the room, or the `to` list). */
  readonly recipients: readonly string[];
  /** Position in the sender's sequence of messages. */
  readonly n: number;
  /** When it was sent (the caller's clock; only `outstanding(sentBefore)` reads it). */
  readonly at: number;
  status: SendStatus;
  /** The room refused it after the ack (error with seq): its code and seq. */
  rejected?: { readonly code: string; readonly seq: number };
}

/** A server message with a room `seq`, as one client received it. */
export interface Received {
  readonly type: string;
  readonly seq: number;
  readonly from?: string;
  /** For `data`: the payload id (the payload up to its first "|"). */
  readonly payloadId?: string;
}

export type Violation =
  | { kind: 'lost'; room: string; sender: string; recipient: string; payloadId: string; seq: number | undefined }
  | { kind: 'duplicate'; room: string; sender: string; recipient: string; payloadId: string; seq: number }
  | { kind: 'misrouted'; room: string; sender: string; recipient: string; payloadId: string; seq: number }
  | { kind: 'phantom'; room: string; recipient: string; payloadId: string; seq: number }
  | {
      kind: 'reordered';
      room: string;
      sender: string;
      recipient: string;
      payloadId: string;
      seq: number;
      after: string;
    }
  | { kind: 'out_of_sequence'; room: string; recipient: string; seq: number; lastSeq: number; type: string }
  | { kind: 'rejected'; room: string; sender: string; payloadId: string; seq: number; code: string };

/** One line naming room, seq, sender, recipient and payload id: the failure message of the suite. */
export function describeViolation(v: Violation): string {
  switch (v.kind) {
    case 'lost':
      return `lost: room ${v.room}, seq ${v.seq ?? '? (nobody received it)'}, sender ${v.sender}, recipient ${v.recipient}, payload ${v.payloadId} (acked, never delivered)`;
    case 'duplicate':
      return `duplicate: room ${v.room}, seq ${v.seq}, sender ${v.sender}, recipient ${v.recipient}, payload ${v.payloadId} (delivered again)`;
    case 'misrouted':
      return `misrouted: room ${v.room}, seq ${v.seq}, sender ${v.sender}, recipient ${v.recipient}, payload ${v.payloadId} (not addressed to this recipient)`;
    case 'phantom':
      return `phantom: room ${v.room}, seq ${v.seq}, recipient ${v.recipient}, payload ${v.payloadId} (never sent)`;
    case 'reordered':
      return `reordered: room ${v.room}, seq ${v.seq}, sender ${v.sender}, recipient ${v.recipient}, payload ${v.payloadId} arrived after ${v.after}`;
    case 'out_of_sequence':
      return `out of sequence: room ${v.room}, recipient ${v.recipient}, ${v.type} seq ${v.seq} after seq ${v.lastSeq}`;
    case 'rejected':
      return `rejected after ack: room ${v.room}, seq ${v.seq}, sender ${v.sender}, payload ${v.payloadId}, code ${v.code}`;
  }
}

/** Totals for a report. */
export interface LedgerTotals {
  readonly sent: number;
  readonly acked: number;
  readonly refused: number;
  /** (acked message, recipient) pairs. */
  readonly expectedDeliveries: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly otherViolations: number;
}

/** The payload id of a `data` payload (`<id>` or `<id>|<padding>`). */
export function payloadIdOf(payload: string): string {
  const bar = payload.indexOf('|');
  return bar < 0 ? payload : payload.slice(0, bar);
}

export class Ledger {
  readonly #members = new Map<string, Set<string>>();
  readonly #sent = new Map<string, SentMessage>();
  /** recipient → room → messages in arrival order. */
  readonly #received = new Map<string, Map<string, Received[]>>();
  /** payloadId → recipient → times received (kept incrementally for `outstanding`). */
  readonly #deliveries = new Map<string, Map<string, number>>();
  /** payloadId → recipient → when it first arrived. */
  readonly #firstAt = new Map<string, Map<string, number>>();

  /** `identity` is in `room` (joined); later messages to the room include it. */
  join(room: string, identity: string): void {
    let members = this.#members.get(room);
    if (members === undefined) this.#members.set(room, (members = new Set()));
    members.add(identity);
  }

  /** A data message is about to be sent at `at`; returns its record. `to` = directed recipients. */
  send(room: string, sender: string, n: number, to?: readonly string[], at = 0): SentMessage {
    const payloadId = `${sender}.${n}`;
    if (this.#sent.has(payloadId)) throw new Error(`payload id ${payloadId} sent twice`);
    const recipients = to ?? [...(this.#members.get(room) ?? [])].filter((m) => m !== sender);
    const message: SentMessage = { payloadId, room, sender, recipients, n, at, status: 'pending' };
    this.#sent.set(payloadId, message);
    return message;
  }

  /** The edge acked it: it is durably in the log. */
  ack(payloadId: string): void {
    const m = this.#sent.get(payloadId);
    if (m !== undefined) m.status = 'acked';
  }

  /** The edge refused it (error without seq): it was not logged. */
  refuse(payloadId: string): void {
    const m = this.#sent.get(payloadId);
    if (m !== undefined && m.status === 'pending') m.status = 'refused';
  }

  /** The room refused it after the ack (error with seq). */
  reject(payloadId: string, code: string, seq: number): void {
    const m = this.#sent.get(payloadId);
    if (m !== undefined) m.rejected = { code, seq };
  }

  /** `recipient` received a room message with a seq in `room`, at `at` (the caller's clock). */
  receive(recipient: string, room: string, message: Received, at = 0): void {
    let rooms = this.#received.get(recipient);
    if (rooms === undefined) this.#received.set(recipient, (rooms = new Map<string, Received[]>()));
    let list = rooms.get(room);
    if (list === undefined) rooms.set(room, (list = []));
    list.push(message);
    if (message.payloadId !== undefined) {
      let byRecipient = this.#deliveries.get(message.payloadId);
      if (byRecipient === undefined) this.#deliveries.set(message.payloadId, (byRecipient = new Map<string, number>()));
      byRecipient.set(recipient, (byRecipient.get(recipient) ?? 0) + 1);
      let first = this.#firstAt.get(message.payloadId);
      if (first === undefined) this.#firstAt.set(message.payloadId, (first = new Map<string, number>()));
      if (!first.has(recipient)) first.set(recipient, at);
    }
  }

  /**
   * Acked messages sent before `sentBefore` not yet delivered to all their recipients (pairs):
   * 0 for every message once the system settled; 0 for those older than a second while it delivers
   * normally under load.
   */
  outstanding(sentBefore = Number.POSITIVE_INFINITY): number {
    let missing = 0;
    for (const m of this.#sent.values()) {
      if (m.status !== 'acked' || m.rejected !== undefined || m.at >= sentBefore) continue;
      const got = this.#deliveries.get(m.payloadId);
      for (const r of m.recipients) if ((got?.get(r) ?? 0) === 0) missing++;
    }
    return missing;
  }

  /**
   * The longest wait of an acked message sent in [`from`, `to`] for a recipient, counted from
   * `since` at the earliest (the fault: what was sent before it waited through no fault of its
   * own until then). Undelivered pairs are `lost`, not delays; undefined when nothing matched.
   */
  worstDelay(from: number, to: number, since = from): number | undefined {
    let worst: number | undefined;
    for (const m of this.#sent.values()) {
      if (m.status !== 'acked' || m.at < from || m.at > to) continue;
      for (const at of this.#firstAt.get(m.payloadId)?.values() ?? []) {
        const delay = at - Math.max(m.at, since);
        if (worst === undefined || delay > worst) worst = delay;
      }
    }
    return worst;
  }

  /** Every broken guarantee, in a stable order. */
  check(): Violation[] {
    const violations: Violation[] = [];
    const seqSeen = new Map<string, number>();
    for (const [recipient, rooms] of this.#received) {
      for (const [room, list] of rooms) {
        let lastSeq: number | undefined;
        const lastFromSender = new Map<string, SentMessage>();
        const count = new Map<string, number>();
        for (const r of list) {
          if (lastSeq !== undefined && r.seq <= lastSeq) {
            violations.push({ kind: 'out_of_sequence', room, recipient, seq: r.seq, lastSeq, type: r.type });
          }
          if (lastSeq === undefined || r.seq > lastSeq) lastSeq = r.seq;
          if (r.payloadId === undefined) continue;
          const sent = this.#sent.get(r.payloadId);
          if (sent === undefined) {
            violations.push({ kind: 'phantom', room, recipient, payloadId: r.payloadId, seq: r.seq });
            continue;
          }
          if (!seqSeen.has(sent.payloadId)) seqSeen.set(sent.payloadId, r.seq);
          const base = { room, sender: sent.sender, recipient, payloadId: sent.payloadId, seq: r.seq };
          if (!sent.recipients.includes(recipient)) {
            violations.push({ kind: 'misrouted', ...base });
            continue;
          }
          const times = (count.get(sent.payloadId) ?? 0) + 1;
          count.set(sent.payloadId, times);
          if (times > 1) {
            violations.push({ kind: 'duplicate', ...base });
            continue;
          }
          const previous = lastFromSender.get(sent.sender);
          if (previous !== undefined && previous.n > sent.n) {
            violations.push({ kind: 'reordered', ...base, after: previous.payloadId });
          }
          if (previous === undefined || sent.n > previous.n) lastFromSender.set(sent.sender, sent);
        }
      }
    }
    for (const m of this.#sent.values()) {
      if (m.rejected !== undefined) {
        violations.push({ kind: 'rejected', room: m.room, sender: m.sender, payloadId: m.payloadId, ...m.rejected });
        continue;
      }
      if (m.status !== 'acked') continue;
      const got = this.#deliveries.get(m.payloadId);
      for (const recipient of m.recipients) {
        if ((got?.get(recipient) ?? 0) === 0) {
          violations.push({
            kind: 'lost',
            room: m.room,
            sender: m.sender,
            recipient,
            payloadId: m.payloadId,
            seq: seqSeen.get(m.payloadId),
          });
        }
      }
    }
    return violations;
  }

  /** Counts for the report (`check()` decides what counts as lost or duplicated). */
  totals(violations: readonly Violation[] = this.check()): LedgerTotals {
    let acked = 0;
    let refused = 0;
    let expectedDeliveries = 0;
    for (const m of this.#sent.values()) {
      if (m.status === 'acked') {
        acked++;
        if (m.rejected === undefined) expectedDeliveries += m.recipients.length;
      }
      if (m.status === 'refused') refused++;
    }
    const lost = violations.filter((v) => v.kind === 'lost').length;
    const duplicated = violations.filter((v) => v.kind === 'duplicate').length;
    return {
      sent: this.#sent.size,
      acked,
      refused,
      expectedDeliveries,
      lost,
      duplicated,
      otherViolations: violations.length - lost - duplicated,
    };
  }
}
