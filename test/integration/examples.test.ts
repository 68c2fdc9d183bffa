/**
 * What a newcomer tries first must work (the CLI as a child process, the real simulator): every bundled pipeline
 * over its bundled sample input, the README walkthrough's pipeline, and the endpoint precedence README states.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadPipelineFile } from '../../src/config/load-pipeline.ts';
import { compileOutputSchema } from '../../src/llm/output-schema.ts';
import { startSimulator, type Simulator } from '../../src/sim/index.ts';
import { ROOT, runCli } from '../support/cli.ts';

/** The sample input of each pipeline in pipelines/. */
const SAMPLES: Record<string, string> = {
  'review-insights.yaml': 'examples/reviews-en.sample.jsonl',
  'ticket-triage.yaml': 'examples/tickets.sample.jsonl',
};

let sim: Simulator;
before(async () => {
  sim = await startSimulator({ profile: 'null', seed: 9 });
});
after(() => sim.close());

describe('bundled pipelines on their sample inputs (CLI)', () => {
  test('every pipeline in pipelines/ has a sample input', () => {
    assert.deepEqual(
      readdirSync(join(ROOT, 'pipelines'))
        .filter((f) => f.endsWith('.yaml'))
        .sort(),
      Object.keys(SAMPLES).sort(),
    );
  });

  for (const [pipeline, sample] of Object.entries(SAMPLES)) {
    test(`${pipeline} over ${sample}: one valid result per record, exit 0`, async () => {
      const path = join(ROOT, 'pipelines', pipeline);
      const { config } = await loadPipelineFile(path, {});
      const inputs = readFileSync(join(ROOT, sample), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const run = await runCli(['run', path, '-i', sample, '--no-progress'], {
        env: { SLUICE_BASE_URL: sim.url, OPENAI_API_KEY: 'sk-test-examples-00' },
      });
      assert.equal(run.code, 0, run.stderr);
      const outputs = run.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { id: string; result: unknown });
      assert.deepEqual(outputs.map((o) => o.id).sort(), inputs.map((r) => String(r[config.input.idField])).sort());
      const schema = compileOutputSchema(config.output.schema);
      for (const output of outputs)
        assert.ok(schema.validate(output.result).ok, `${output.id}: ${JSON.stringify(output.result)}`);
    });
  }
});

describe('README promises (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-readme-'));
  let closed = '';
  before(async () => {
    // A port that was free a moment ago and now refuses connections.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closed = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test("the walkthrough's pipeline validates and runs over the ticket sample", async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const yaml = /```yaml\n(name: my-job[\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(yaml, 'README has the my-job.yaml of the walkthrough');
    const path = join(dir, 'my-job.yaml');
    writeFileSync(path, yaml);
    const validated = await runCli(['validate', path]);
    assert.equal(validated.code, 0, validated.stderr);
    const run = await runCli(['run', path, '-i', 'examples/tickets.sample.jsonl', '--no-progress'], {
      env: { OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'sk-test-readme-0000' },
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim().split('\n').length, 12);
  });

  test('endpoint precedence: --base-url beats model.baseUrl, which beats OPENAI_BASE_URL', async () => {
    const base = readFileSync(join(ROOT, 'pipelines/ticket-triage.yaml'), 'utf8');
    const pointing = (url: string) => {
      const path = join(dir, `triage-${url.length}-${Math.random()}.yaml`);
      writeFileSync(path, base.replace('baseUrl: ${SLUICE_BASE_URL}', `baseUrl: ${url}`));
      return path;
    };
    let n = 0;
    const args = (pipeline: string) => [
      'run',
      pipeline,
      '-i',
      'examples/tickets.sample.jsonl',
      '-o',
      join(dir, `out-${++n}.jsonl`),
      '--no-progress',
      '--max-attempts',
      '1',
    ];
    const env = { OPENAI_API_KEY: 'sk-test-readme-0000' };
    const flagBeatsFile = await runCli([...args(pointing(closed)), '--base-url', sim.url], {
      env: { ...env, OPENAI_BASE_URL: closed },
    });
    assert.equal(flagBeatsFile.code, 0, flagBeatsFile.stderr);
    const fileBeatsEnv = await runCli(args(pointing(sim.url)), { env: { ...env, OPENAI_BASE_URL: closed } });
    assert.equal(fileBeatsEnv.code, 0, fileBeatsEnv.stderr);
    const envAlone = await runCli(args(join(ROOT, 'pipelines/ticket-triage.yaml')), {
      env: { ...env, OPENAI_BASE_URL: closed, SLUICE_BASE_URL: undefined },
    });
    assert.equal(
      envAlone.code,
      3,
      'OPENAI_BASE_URL is used when nothing else names an endpoint (here: refused, so dead letters)',
    );
    assert.ok(
      readFileSync(join(dir, `out-${n}.dead-letters.jsonl`), 'utf8').includes(`ECONNREFUSED ${new URL(closed).host}`),
    );
  });
});
