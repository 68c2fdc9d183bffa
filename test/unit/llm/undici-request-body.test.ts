import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ModelSchema } from '../../../src/config/pipeline-schema.ts';
import { undiciBodyWriter, undiciChatBody, structuredOutputFields } from '../../../src/llm/chat-body.ts';

const schema = {
  type: 'object',
  properties: { sentiment: { type: 'string', enum: ['positive', 'negative'] }, note: { type: 'string' } },
  required: ['sentiment', 'note'],
  additionalProperties: false,
};
const messages = [
  { role: 'system' as const, content: 'Classify "reviews".\n' },
  { role: 'user' as const, content: 'Review: 质量很好 {not a field} \u2028 ok' },
];

test('the request body is the JSON of the whole request, byte for byte, for either structured-output method and any max_tokens', () => {
  for (const structuredOutput of ['jsonSchema', 'functionCalling'] as const) {
    const model = ModelSchema.parse({ name: 'gpt-4o-mini', temperature: 0.3, structuredOutput });
    const write = undiciBodyWriter(model);
    for (const maxTokens of [256, 1024, 256]) {
      const body = write({ messages, maxTokens, schema, schemaName: 'review' });
      const parsed = JSON.parse(body) as Record<string, unknown>;
      assert.equal(parsed.model, 'gpt-4o-mini');
      assert.deepEqual(parsed.messages, messages);
      assert.equal(parsed.temperature, 0.3);
      assert.equal(parsed.max_tokens, maxTokens);
      if (structuredOutput === 'jsonSchema')
        assert.deepEqual(parsed.response_format, {
          type: 'json_schema',
          json_schema: { name: 'review', schema, strict: true },
        });
      else assert.deepEqual((parsed.tool_choice as { function: { name: string } }).function.name, 'review');
      // Same bytes as serializing the request object in one go, key order included.
      const { model: name, messages: m, temperature, max_tokens, ...rest } = parsed;
      assert.equal(body, JSON.stringify({ model: name, messages: m, temperature, max_tokens, ...rest }));
      // And the body a Batch API request line carries (src/batch).
      assert.equal(
        body,
        undiciChatBody(
          model,
          { messages, maxTokens, schema, schemaName: 'review' },
          structuredOutputFields(structuredOutput, schema, 'review'),
        ),
      );
    }
  }
});
