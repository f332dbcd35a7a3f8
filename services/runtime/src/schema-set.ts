import { registerCatalogue, SchemaRegistryClient, SchemaSet } from '@sig/schemas';

/** What choosing the record encoding needs from a service's Kafka config. */
export interface RecordEncodingConfig {
  readonly topicPrefix: string;
  readonly schemaRegistryUrl?: string | undefined;
}

/**
 * The schema set every codec of a service is built from. Without a registry, codecs write Avro
 * single-object encoding; with `SCHEMA_REGISTRY_URL`, every topic's value schemas are registered
 * under `<topic>-value` first and codecs write the Confluent wire format. Both are always read.
 */
export async function loadSchemaSet(config: RecordEncodingConfig, dir?: string): Promise<SchemaSet> {
  const set = dir === undefined ? SchemaSet.load() : SchemaSet.load(dir);
  if (config.schemaRegistryUrl === undefined) return set;
  return registerCatalogue(set, new SchemaRegistryClient(config.schemaRegistryUrl), config.topicPrefix);
}
