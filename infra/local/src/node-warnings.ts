/**
 * kafkajs 2.2.4 schedules a timer with a negative delay on every connection, which Node ≥ 24
 * reports as a TimeoutNegativeWarning (tulios/kafkajs#1751; Node clamps it to 1 ms, so it is
 * harmless). Hide only that warning so real ones stay visible.
 */
export const KAFKAJS_WARNING_FLAG = '--disable-warning=TimeoutNegativeWarning';

/** Drops TimeoutNegativeWarning from this process's warning output; other warnings still print. */
export function hideKafkajsTimerWarning(): void {
  const defaults = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'TimeoutNegativeWarning') return;
    for (const listener of defaults) listener(warning);
  });
}
