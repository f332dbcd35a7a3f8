/** Every scenario, in the order a full run executes them. */
import type { RunOptions } from '../lib/results.js';
import { connections } from './connections.js';
import { joinLatency } from './join.js';
import { kafkaClients } from './kafka-client.js';
import { projectorReplay } from './projector.js';
import { relayLatency, relayThroughput } from './relay.js';
import { sfuForwarding } from './sfu.js';

/** A scenario: measures, prints its table, writes its result; resolves with the JSON path. */
export type Scenario = (run: RunOptions) => Promise<string>;

export const SCENARIOS: Record<string, Scenario> = {
  connections,
  'relay-latency': relayLatency,
  throughput: relayThroughput,
  join: joinLatency,
  projector: projectorReplay,
  sfu: sfuForwarding,
  'kafka-client': kafkaClients,
};
