/** The bench's strategies by name, in the order they run and appear in reports. */
import type { Strategy } from '../strategy.ts';
import { seedAsyncStrategy, seedDynamicStrategy, sequentialStrategy } from './seed-strategies.ts';
import { bestFixedStrategy, sluiceAutoStrategy } from './sluice-strategies.ts';
import { knownLimitsStrategy } from './known-limits.ts';
import { langchainBatchStrategy } from './langchain-batch.ts';

export { STRATEGY_NAMES } from './names.ts';

export function makeStrategies(names: readonly string[], options: { maxLimit: number }): Strategy[] {
  return names.map((name) => {
    switch (name) {
      case 'sequential':
        return sequentialStrategy(50);
      case 'seed-async':
        return seedAsyncStrategy();
      case 'seed-dynamic':
        return seedDynamicStrategy();
      case 'langchain-batch':
        return langchainBatchStrategy(50);
      case 'known-limits':
        return knownLimitsStrategy();
      case 'best-fixed':
        return bestFixedStrategy([8, 16, 32, 48, 64, 128]);
      case 'sluice-auto':
        return sluiceAutoStrategy(options.maxLimit);
      default:
        throw new RangeError(`unknown strategy ${name}`);
    }
  });
}
