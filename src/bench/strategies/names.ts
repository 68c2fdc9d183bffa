/** The bench's strategy names, in the order they run and appear in reports (no strategy code: the CLI's help reads it). */
export const STRATEGY_NAMES: readonly string[] = [
  'sequential',
  'seed-async',
  'seed-dynamic',
  'langchain-batch',
  'known-limits',
  'best-fixed',
  'sluice-auto',
];
