/**
 * Reconnect delay before attempt `attempt` (0-based): 1, 2, 4, 8 … capped at
 * `maxMs`, each spread by ±`jitter` so many dashboards do not reconnect in step.
 */
export function backoffDelayMs(
  attempt: number,
  random: () => number = Math.random,
  baseMs = 1000,
  maxMs = 30_000,
  jitter = 0.2,
): number {
  const exact = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
  const spread = (random() * 2 - 1) * jitter;
  return Math.round(exact * (1 + spread));
}
