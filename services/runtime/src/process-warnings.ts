/**
 * kafkajs 2.2.4 arms a timer with a negative delay on every connection (tulios/kafkajs#1751);
 * Node 24 warns each time although it clamps the delay to 1 ms. Drops only that warning.
 */
export function hideKafkajsTimerWarning(): void {
  const defaults = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'TimeoutNegativeWarning') return;
    for (const listener of defaults) listener(warning);
  });
}
