/** Scenario 7: kafkajs against @platformatic/kafka, hop latency and throughput under our settings. */
import { randomBytes } from 'node:crypto';
import { createTopicsAndWait } from '@sig/infra-local';
import kafkajs from 'kafkajs';
import { onCleanup } from '../lib/cleanup.js';
import { Proc, PROFILE_DIR } from '../lib/procs.js';
import { printProfiles, summariseProfiles } from '../lib/profile.js';
import { recordScenario, type RunOptions } from '../lib/results.js';
import { percentiles, round } from '../lib/stats.js';
import { printTable } from '../lib/table.js';
import { within } from '../lib/wait.js';

interface KafkaResult {
  client: string;
  latency: { sent: number; received: number; errors: number; samples: number[] };
  throughput: { count: number; produceMsgPerS: number; consumed: number; consumeMsgPerS: number };
}

const CLIENTS = ['kafkajs', '@platformatic/kafka'] as const;

async function withTopic<T>(brokers: string[], topic: string, fn: () => Promise<T>): Promise<T> {
  const admin = new kafkajs.Kafka({ clientId: 'bench-admin', brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  const drop = () => admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  const unregister = onCleanup(`topic ${topic}`, async () => {
    await drop();
    await admin.disconnect();
  });
  try {
    await createTopicsAndWait(admin, [{ topic, numPartitions: 1 }]);
    return await fn();
  } finally {
    unregister();
    await drop();
    await admin.disconnect();
  }
}

/** Runs both clients, one after the other, each in its own process and on its own topic. */
export function kafkaClients(run: RunOptions): Promise<string> {
  const params = run.quick
    ? { rate: 500, latencyMs: 3000, count: 20_000 }
    : { rate: 1000, latencyMs: 15_000, count: 200_000 };
  return recordScenario(run, 'kafka-client', async () => {
    const rows: Record<string, unknown>[] = [];
    const results: Record<string, unknown> = {};
    const profiles: Record<string, unknown> = {};
    for (const client of CLIENTS) {
      const topic = `bench-${randomBytes(5).toString('hex')}.kafka-client`;
      const profile = run.profile ? { prefix: `${run.stamp}-kafka-client-${client.replace(/\W/g, '')}` } : undefined;
      console.log(`[bench] kafka-client: ${client} on ${topic}`);
      const r = await withTopic(run.kafkaBrokers, topic, async () => {
        const { proc, ready } = await Proc.start({
          name: `kafka-${client.replace(/\W/g, '')}`,
          script: 'bench/dist/gen/kafka-worker.js',
          args: [
            client,
            run.kafkaBrokers.join(','),
            topic,
            String(params.rate),
            String(params.latencyMs),
            String(params.count),
          ],
          ready: (l) => l['msg'] === 'result',
          readyTimeoutMs: 300_000,
          profile,
        });
        await within(proc.exited, 30_000, `${client} worker to exit`).finally(() => proc.stop());
        return ready as unknown as KafkaResult;
      });
      const p = percentiles(r.latency.samples);
      results[client] = { ...r, latency: { ...r.latency, samples: undefined, percentiles: p } };
      rows.push({
        client,
        'hop p50': round(p.p50),
        'hop p99': round(p.p99),
        'hop max': round(p.max),
        'lost/err': `${r.latency.sent - r.latency.received}/${r.latency.errors}`,
        'produce msg/s': r.throughput.produceMsgPerS,
        'consume msg/s': r.throughput.consumeMsgPerS,
      });
      if (profile) {
        const summary = summariseProfiles(PROFILE_DIR, profile.prefix);
        printProfiles(summary);
        profiles[client] = summary;
      }
    }
    printTable('Kafka client: produce → consume hop (ms) and throughput', rows);
    return {
      parameters: {
        ...params,
        settings: 'idempotent producer, acks=all, maxInFlight 5 (kafkajs), read_committed, maxWait 100 ms, 1 partition',
        payloadBytes: 300,
        batch: 500,
      },
      results,
      ...(run.profile ? { profiles } : {}),
    };
  });
}
