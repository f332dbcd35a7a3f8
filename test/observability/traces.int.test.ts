import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../support/ids.js';
import { waitFor } from '../support/wait.js';
import { TestClient } from '../edge/support/client.js';
import { bearer, token } from '../edge/support/tokens.js';
import { KIND, OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.js';
import { Publisher } from './support/publisher.js';
import { startStack, type Stack } from './support/stack.js';

// One client message through the real processes (edge, projector, SFU as separate processes
// exporting with their real OTLP exporters to a receiver in this process): its spans must form
// one trace, linked parent to child across every Kafka hop.

/** One expected hop: the span's name, the service that records it, its kind. */
interface Hop {
  readonly name: string;
  readonly service: 'edge' | 'projector' | 'sfu';
  readonly kind: number;
}

describe('one trace per signaling message', () => {
  let receiver: OtlpReceiver;
  let stack: Stack;
  const clients: TestClient[] = [];
  let publisher: Publisher | undefined;

  const topic = (name: string) => `${stack.fx.prefix}${name}`;
  const connect = async (identity: string) => {
    const jwt = await token({
      sub: identity,
      secret: stack.jwtSecret,
      video: { room: '*', roomJoin: true, canPublish: true, canSubscribe: true },
    });
    const c = await TestClient.connect(stack.wsUrl, { headers: bearer(jwt) });
    clients.push(c);
    return c;
  };

  /**
   * Follows `hops` from `root` down the parent links (not by trace id), so a broken propagation
   * shows up as a missing child; waits until every hop was exported. Returns the chain.
   */
  const chainFrom = async (root: ReceivedSpan, hops: readonly Hop[], last: (s: ReceivedSpan) => boolean) => {
    let chain: ReceivedSpan[] = [];
    const describeChain = () =>
      `found ${chain.map((s) => `${s.service}:${s.name}`).join(' → ')}; spans of the trace: ${receiver.spans
        .filter((s) => s.traceId === root.traceId)
        .map((s) => `${s.service}:${s.name}`)
        .join(', ')}`;
    // Depth first: a span may have several children of the same name (the SFU reports its room
    // status, its answer and candidates while handling one command); one path must match.
    const search = (path: ReceivedSpan[]): ReceivedSpan[] | undefined => {
      const depth = path.length - 1;
      if (depth === hops.length) return last(path.at(-1)!) ? path : undefined;
      const hop = hops[depth]!;
      for (const child of receiver.childrenOf(path.at(-1)!)) {
        if (child.name !== hop.name || child.service !== hop.service || child.kind !== hop.kind) continue;
        const found = search([...path, child]);
        if (found !== undefined) return found;
      }
      if (path.length > chain.length) chain = path;
      return undefined;
    };
    const found = waitFor(
      () => {
        chain = [root];
        const path = search([root]);
        if (path !== undefined) chain = path;
        return path !== undefined;
      },
      { timeoutMs: 20_000, message: 'the span chain to be exported' },
    );
    await found.catch((error: unknown) => {
      throw new Error(`${error instanceof Error ? error.message : String(error)}: ${describeChain()}`);
    });
    return chain;
  };

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    stack = await startStack({ env: { ...receiver.env(), LOG_LEVEL: 'info' } });
  });

  afterAll(async () => {
    for (const c of clients) if (c.isOpen) c.close();
    await publisher?.close();
    await stack?.dispose();
    await receiver?.close();
  });

  it('an offer from A to B: edge receive → produce → projector process/decide → produce → edge deliver → socket send', async () => {
    const room = randomId('room');
    const alice = await connect('alice');
    const bob = await connect('bob');
    for (const c of [alice, bob]) {
      c.send({ type: 'join', id: 'join', room });
      await c.take((m) => m.type === 'joined', 'joined', 20_000);
    }

    alice.send({ type: 'signal', id: 'offer', to: 'bob', kind: 'offer', sdp: 'v=0\r\n' });
    await alice.answerTo('offer');
    const offer = await bob.take((m) => m.type === 'signal', 'the offer at bob');

    let root: ReceivedSpan | undefined;
    await waitFor(
      () =>
        (root = receiver.spans.find(
          (s) => s.name === 'edge receive' && s.attributes['signal.command_type'] === 'PeerSignal',
        )) !== undefined,
      { timeoutMs: 20_000, message: 'the edge receive span of the offer to be exported' },
    );
    const chain = await chainFrom(
      root!,
      [
        { name: `send ${topic('signal.commands')}`, service: 'edge', kind: KIND.producer },
        { name: `process ${topic('signal.commands')}`, service: 'projector', kind: KIND.consumer },
        { name: 'projector decide', service: 'projector', kind: KIND.internal },
        { name: `send ${topic('signal.deliveries')}`, service: 'projector', kind: KIND.producer },
        { name: `process ${topic('signal.deliveries')}`, service: 'edge', kind: KIND.consumer },
        { name: 'edge deliver', service: 'edge', kind: KIND.internal },
        { name: 'ws send', service: 'edge', kind: KIND.internal },
      ],
      (s) => s.attributes['signal.participant'] === 'bob' && s.attributes['signal.event_type'] === 'signal',
    );
    const [receive, sendCommand, processCommand, decide, sendDelivery, processDelivery, , wsSend] = chain;

    // One trace, across both processes.
    expect(new Set(chain.map((s) => s.traceId))).toEqual(new Set([root!.traceId]));
    expect(new Set(chain.map((s) => s.service))).toEqual(new Set(['edge', 'projector']));
    // service.instance.id is the id the service logs with (set once its configuration is parsed).
    expect(receive!.instance).toMatch(/^edge-[0-9a-f]{8}$/);
    expect(processCommand!.instance).toMatch(/^projector-/);
    expect(receive).toMatchObject({
      kind: KIND.server,
      parentSpanId: undefined,
      attributes: { 'signal.room': room, 'signal.participant': 'alice' },
    });
    // Messaging semantic conventions on both sides of the hop, and the same message id.
    expect(sendCommand!.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'send',
      'messaging.destination.name': topic('signal.commands'),
      'messaging.kafka.message.key': room,
    });
    expect(processCommand!.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.destination.name': topic('signal.commands'),
      'messaging.message.id': sendCommand!.attributes['messaging.message.id'],
      'messaging.destination.partition.id': sendCommand!.attributes['messaging.destination.partition.id'],
      'messaging.kafka.offset': sendCommand!.attributes['messaging.kafka.offset'],
      'messaging.consumer.group.name': `${stack.fx.prefix}projector`,
    });
    expect(typeof processCommand!.attributes['messaging.kafka.offset']).toBe('string');
    expect(decide!.attributes).toMatchObject({
      'signal.room': room,
      'signal.command_type': 'PeerSignal',
      'signal.participant': 'alice',
    });
    expect(processDelivery!.attributes).toMatchObject({
      'messaging.destination.name': topic('signal.deliveries'),
      'messaging.message.id': sendDelivery!.attributes['messaging.message.id'],
      'messaging.kafka.offset': sendDelivery!.attributes['messaging.kafka.offset'],
    });
    expect(wsSend!.attributes['signal.seq']).toBe(offer['seq']);
    // The room event the offer became is written in the same trace.
    expect(receiver.childrenOf(decide!).map((s) => s.name)).toContain(`send ${topic('signal.room-events')}`);
    expect(receiver.errors).toEqual([]);
  });

  it('a publish: … → projector → media command → SFU handle → SFU answer → projector → edge → socket send', async () => {
    const room = randomId('room');
    const carol = await connect('carol');
    carol.send({ type: 'join', id: 'join', room });
    await carol.take((m) => m.type === 'joined', 'joined', 20_000);
    publisher = new Publisher('carol');
    carol.send(await publisher.publishMessage('pub'));
    await carol.answerTo('pub');
    const answer = await carol.take(
      (m) => m.type === 'media_signal' && m['transport'] === 'publisher' && m['kind'] === 'answer',
      'the SFU answer',
      30_000,
    );

    let root: ReceivedSpan | undefined;
    await waitFor(
      () =>
        (root = receiver.spans.find(
          (s) =>
            s.name === 'edge receive' &&
            s.attributes['signal.command_type'] === 'Publish' &&
            s.attributes['signal.room'] === room,
        )) !== undefined,
      { timeoutMs: 20_000, message: 'the edge receive span of the publish to be exported' },
    );
    const chain = await chainFrom(
      root!,
      [
        { name: `send ${topic('signal.commands')}`, service: 'edge', kind: KIND.producer },
        { name: `process ${topic('signal.commands')}`, service: 'projector', kind: KIND.consumer },
        { name: 'projector decide', service: 'projector', kind: KIND.internal },
        { name: `send ${topic('signal.media-commands')}`, service: 'projector', kind: KIND.producer },
        { name: `process ${topic('signal.media-commands')}`, service: 'sfu', kind: KIND.consumer },
        { name: 'sfu handle', service: 'sfu', kind: KIND.internal },
        { name: `send ${topic('signal.commands')}`, service: 'sfu', kind: KIND.producer },
        { name: `process ${topic('signal.commands')}`, service: 'projector', kind: KIND.consumer },
        { name: 'projector decide', service: 'projector', kind: KIND.internal },
        { name: `send ${topic('signal.deliveries')}`, service: 'projector', kind: KIND.producer },
        { name: `process ${topic('signal.deliveries')}`, service: 'edge', kind: KIND.consumer },
        { name: 'edge deliver', service: 'edge', kind: KIND.internal },
        { name: 'ws send', service: 'edge', kind: KIND.internal },
      ],
      (s) => s.attributes['signal.event_type'] === 'media_signal' && s.attributes['signal.seq'] === answer['seq'],
    );
    expect(new Set(chain.map((s) => s.traceId))).toEqual(new Set([root!.traceId]));
    expect(new Set(chain.map((s) => s.service))).toEqual(new Set(['edge', 'projector', 'sfu']));
    const sfuHandle = chain[6]!;
    expect(sfuHandle.attributes).toMatchObject({ 'signal.room': room, 'signal.command_type': 'PublishOffer' });
    expect(chain[7]!.attributes['signal.command_type']).toBe('SfuSdp');
  });

  it('every service started telemetry before loading kafkajs, ioredis, pino, uWebSockets.js or werift', () => {
    for (const svc of stack.services) {
      const line = svc.output
        .join('')
        .split('\n')
        .find((l) => l.includes('"telemetry started"'));
      expect(line, `${svc.name} logs "telemetry started"`).toBeDefined();
      expect(JSON.parse(line!)).toMatchObject({ tracesExport: 'env', loadedTooEarly: [] });
    }
  });
});
