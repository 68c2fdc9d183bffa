/**
 * `--budget-usd X` for one job: the guard, the client decorated with it, and the hook that lets the guard stop the
 * running pipeline (attached once the pipeline starts). Needs prices for the model (`model.prices` or the default
 * table): without them a budget means nothing, so that is a usage error.
 */
import { pricesFor } from '../config/prices.ts';
import type { PipelineConfig } from '../config/pipeline-schema.ts';
import { ConfigError, JobStop } from '../core/errors.ts';
import type { RunningPipeline } from '../core/run-pipeline.ts';
import type { ModelClient } from '../llm/model-client.ts';
import { budgetClient } from './budget-client.ts';
import { BudgetGuard } from './budget-guard.ts';
import { loadTokenCounter } from './token-count.ts';

export interface JobBudget {
  readonly guard: BudgetGuard;
  readonly client: ModelClient;
  /** Lets the guard stop the job from reading when it trips. */
  attach(running: Pick<RunningPipeline, 'stop'>): void;
  /** The stop to report once the guard tripped. */
  stopError(): JobStop;
}

export async function createJobBudget(config: PipelineConfig, capUsd: number, client: ModelClient): Promise<JobBudget> {
  const prices = pricesFor(config.model);
  if (!prices)
    throw new ConfigError(
      '--budget-usd',
      `no price known for model "${config.model.name}": set model.prices in the pipeline`,
    );
  const guard = new BudgetGuard(capUsd, prices);
  const counter = await loadTokenCounter(config.model.name);
  let running: Pick<RunningPipeline, 'stop'> | undefined;
  guard.onTrip(() => running?.stop({ kind: 'budget' }));
  return {
    guard,
    client: budgetClient(client, guard, counter),
    attach(r) {
      running = r;
    },
    stopError() {
      const report = guard.report();
      return new JobStop(
        'budget_reached',
        `budget of $${capUsd} reached: spent $${report.spentUsd.toFixed(6)}; the next request could have cost up to $${(report.refused?.worstUsd ?? 0).toFixed(6)} more`,
      );
    },
  };
}
