import { adminConfigSpec, kafkaConfigSpec, logConfigSpec, parseConfig, type ConfigOf } from '@sig/runtime';

/** Every environment variable the analytics service reads. */
export const analyticsConfigSpec = {
  ...kafkaConfigSpec,
  ...logConfigSpec,
  ...adminConfigSpec(9104),
};

export type AnalyticsConfig = ConfigOf<typeof analyticsConfigSpec>;

/** Parses and validates the environment; throws a ConfigError naming every bad variable. */
export function loadAnalyticsConfig(
  source: Readonly<Record<string, string | undefined>> = process.env,
): AnalyticsConfig {
  return parseConfig(analyticsConfigSpec, source);
}
