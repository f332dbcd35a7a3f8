/** Every scenario, in the order a full run executes them. */
import type { RunOptions } from '../lib/results.js';
import { joinLatency } from './join.js';
import { kafkaClients } from './kafka-client.js';
import { projectorReplay } from './projector.js';
import { relayLatency, relayThroughput } from './relay.js';

/** A scenario: measures, prints its table, writes its result; resolves with the JSON path. */
export type Scenario = (run: RunOptions) => Promise<string>;

export const SCENARIOS: Record<string, Scenario> = {
  'relay-latency': relayLatency,
  throughput: relayThroughput,
  join: joinLatency,
  projector: projectorReplay,
  'kafka-client': kafkaClients,
};
