/**
 * kafkajs 2.2.4 schedules a timer with a negative delay on every connection, which Node ≥ 24
 * reports as a TimeoutNegativeWarning (tulios/kafkajs#1751; Node clamps it to 1 ms, so it is
 * harmless). Child processes get the flag; this process uses the runtime's filter.
 */
export const KAFKAJS_WARNING_FLAG = '--disable-warning=TimeoutNegativeWarning';

export { hideKafkajsTimerWarning } from '@sig/runtime';
