import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError } from '../../../src/core/errors.ts';
import { loadPipelineFile, parsePipeline } from '../../../src/config/load-pipeline.ts';
import { interpolateEnv } from '../../../src/config/interpolate-env.ts';
import { applyRunOverrides } from '../../../src/config/run-overrides.ts';
import { pipelineFingerprint } from '../../../src/config/fingerprint.ts';
import { createPromptRenderer } from '../../../src/llm/prompt.ts';

const minimal = `
name: t
model: { name: m }
prompt: { user: "Review: {text}" }
output: { schema: { type: object, properties: { a: { type: string } }, required: [a] } }
`;

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ConfigError');
}

describe('pipelines/ directory', () => {
  const files = readdirSync('pipelines').filter((f) => f.endsWith('.yaml'));
  test('holds at least the two documented pipelines', () => {
    assert.ok(files.includes('review-insights.yaml'));
    assert.ok(files.length >= 2);
  });
  for (const file of files) {
    test(`${file} is valid, with parseable prompt templates`, async () => {
      const { config } = await loadPipelineFile(`pipelines/${file}`, {});
      assert.equal(typeof config.name, 'string');
      const renderer = createPromptRenderer(config.prompt);
      assert.ok(renderer.inputVariables.length > 0, 'the prompt uses at least one record field');
    });
  }
});

describe('parsePipeline', () => {
  test('applies documented defaults', () => {
    const config = parsePipeline(minimal, {});
    assert.equal(config.concurrency, 'auto');
    assert.equal(config.ordered, true);
    assert.equal(config.input.idField, 'id');
    assert.equal(config.model.maxTokens, 256);
    assert.equal(config.retries.maxAttempts, 6);
  });

  test('names the path of every problem at once', () => {
    const error = configError(() =>
      parsePipeline(minimal.replace('{ name: m }', '{ name: m, timeoutMs: -5, temperature: 9 }'), {}),
    );
    assert.match(error.message, /model\.timeoutMs: /);
    assert.match(error.message, /model\.temperature: /);
  });

  test('rejects unknown fields (typos do not pass silently)', () => {
    const error = configError(() => parsePipeline(`${minimal}\nconcurency: 4\n`, {}));
    assert.match(error.message, /concurency/);
  });

  test('rejects kept fields that shadow output fields', () => {
    const error = configError(() => parsePipeline(`${minimal}\ninput: { keep: [category, result] }\n`, {}));
    assert.match(error.message, /input\.keep\[1\]: "result"/);
  });

  test('reports YAML syntax errors', () => {
    const error = configError(() => parsePipeline('name: [unclosed\n', {}));
    assert.match(error.message, /not valid YAML/);
  });

  test('a pipeline may be written in JSON (JSON is YAML): it is not mistaken for a data file', () => {
    const json = JSON.stringify(
      { name: 'j', model: { name: 'm' }, prompt: { user: 'Review: {text}' }, output: { schema: { type: 'object' } } },
      null,
      2,
    );
    assert.equal(parsePipeline(json, {}).name, 'j');
  });

  test('a data file larger than any pipeline is named as such without being parsed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-big-'));
    const path = join(dir, 'big.jsonl');
    writeFileSync(path, `${JSON.stringify({ id: 1, text: 'x'.repeat(1000) })}\n`.repeat(1500));
    await assert.rejects(
      loadPipelineFile(path, {}),
      /big\.jsonl is 1\.5 MB: a pipeline file is a short YAML file; .*looks like a data file \(JSON\), not a pipeline/,
    );
  });
});

describe('interpolateEnv', () => {
  test('replaces references, applies defaults, keeps $${ literal', () => {
    const out = interpolateEnv({ a: '${X}/v1', b: ['${Y:-dflt}'], c: 'cost $${X}' }, { X: 'http://h' });
    assert.deepEqual(out, { a: 'http://h/v1', b: ['dflt'], c: 'cost ${X}' });
  });

  test('an unset whole-value reference leaves the field unset', () => {
    assert.deepEqual(interpolateEnv({ baseUrl: '${NOPE}' }, {}), { baseUrl: undefined });
  });

  test('an unset reference inside text is an error naming the field', () => {
    const error = configError(() => interpolateEnv({ model: { name: 'gpt-${NOPE}' } }, {}));
    assert.match(error.message, /^model\.name: environment variable NOPE is not set/);
  });
});

describe('applyRunOverrides', () => {
  test('CLI options win and are validated like the file', () => {
    const config = applyRunOverrides(parsePipeline(minimal, {}), {
      concurrency: 8,
      unordered: true,
      model: 'other',
      maxAttempts: 2,
    });
    assert.equal(config.concurrency, 8);
    assert.equal(config.ordered, false);
    assert.equal(config.model.name, 'other');
    assert.equal(config.retries.maxAttempts, 2);
    const error = configError(() => applyRunOverrides(parsePipeline(minimal, {}), { baseUrl: 'not a url' }));
    assert.match(error.message, /model\.baseUrl/);
  });
});

describe('pipelineFingerprint', () => {
  const base = parsePipeline(minimal, {});
  test('changes with the prompt, the model or the schema, not with limits', () => {
    const same = pipelineFingerprint(base);
    assert.equal(pipelineFingerprint(applyRunOverrides(base, { concurrency: 3, timeout: 5 })), same);
    assert.notEqual(pipelineFingerprint(applyRunOverrides(base, { model: 'other' })), same);
    assert.notEqual(pipelineFingerprint({ ...base, prompt: { ...base.prompt, user: 'R: {text}' } }), same);
    assert.notEqual(pipelineFingerprint({ ...base, output: { ...base.output, schema: { type: 'object' } } }), same);
  });
  test('does not depend on key order', () => {
    const reordered = {
      ...base,
      output: { ...base.output, schema: { required: ['a'], properties: { a: { type: 'string' } }, type: 'object' } },
    };
    assert.equal(pipelineFingerprint(reordered), pipelineFingerprint(base));
  });
});
