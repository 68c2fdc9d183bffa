/**
 * `sluice batch cancel OUT`: cancels the running batches of the batch job whose output is OUT (its state file,
 * work-dir.ts). The key comes from the job's pipeline file, as when it ran; the endpoint from the state (or
 * --base-url). A batch whose creation was interrupted is looked up first (submit-chunk.ts). The state file is not
 * written: a job still running notices the cancellation when it polls, ingests what the batches finished, and
 * stops (exit 7); `--resume` later submits the rest.
 */
import { resolveApiKey } from '../config/api-key.ts';
import { loadPipelineFile } from '../config/load-pipeline.ts';
import { ExitCode, SluiceError } from '../core/errors.ts';
import { cancelBatchIfRunning } from './cancel-batch.ts';
import { readState } from './state-file.ts';
import { findChunkBatch } from './submit-chunk.ts';
import { createUndiciBatchApi } from './undici-batch-api.ts';
import { workDirFor } from './work-dir.ts';

export async function cancelBatchJob(output: string, options: { baseUrl?: string }): Promise<number> {
  const work = workDirFor(output);
  const state = await readState(work.state);
  if (!state) throw new SluiceError('no_batch_job', `no batch job writes ${output} (no ${work.state})`, ExitCode.usage);
  const { config } = await loadPipelineFile(state.pipeline);
  const baseUrl =
    options.baseUrl ?? state.baseUrl ?? config.model.baseUrl ?? (process.env.OPENAI_BASE_URL || undefined);
  const api = createUndiciBatchApi({ baseUrl, apiKey: resolveApiKey(config.model, process.env) });
  const signal = new AbortController().signal;
  const retry = { signal, log: (line: string) => void process.stderr.write(`${line}\n`) };
  let cancelled = 0;
  try {
    for (const chunk of state.chunks) {
      let id = chunk.batchId;
      if (!id && chunk.phase === 'creating') {
        const save = async () => undefined; // nothing is written: the job's own process owns the state file
        id = (await findChunkBatch(chunk, { api, state, save, work, retry, now: () => Math.floor(Date.now() / 1000) }))
          ?.id;
      }
      if (!id || chunk.phase === 'ingested' || chunk.phase === 'ended') continue;
      const batch = await cancelBatchIfRunning(api, id, retry);
      if (batch.status === 'cancelling' || batch.status === 'cancelled') cancelled++;
      process.stderr.write(`sluice: chunk ${chunk.n}: batch ${id} ${batch.status}\n`);
    }
  } finally {
    await api.close();
  }
  process.stderr.write(
    `sluice: ${cancelled} batch${cancelled === 1 ? '' : 'es'} cancelled; what they finished is kept: --resume on the job writes it and submits the rest\n`,
  );
  return ExitCode.ok;
}
