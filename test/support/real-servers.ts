/**
 * Whether the real-server tests run: llama.cpp's `llama-server` and the LiteLLM proxy, installed by
 * scripts/llama/fetch-and-build.sh and scripts/litellm/install.sh (cached outside the clone; `.ci/run` runs both).
 * Without them the tests are skipped with a message saying how to install them — except in CI (CI=true), where a
 * missing installation fails, as a missing Kafka broker does.
 */
import { llamaInstallation } from '../../scripts/real-servers/llama-server.mjs';
import { litellmInstallation } from '../../scripts/real-servers/litellm-proxy.mjs';

function skipUnless(installed: boolean, what: string, how: string): string | false {
  if (installed) return false;
  if (process.env.CI === 'true')
    throw new Error(`CI=true but ${what} is not installed: run ${how} first (.ci/run does)`);
  const reason = `${what} tests skipped: not installed (run \`${how}\` once)`;
  process.stderr.write(`${reason}\n`);
  return reason;
}

/** For `describe(name, { skip: llamaSkip() }, ...)`. */
export function llamaSkip(): string | false {
  return skipUnless(llamaInstallation() !== undefined, 'llama-server', 'bash scripts/llama/fetch-and-build.sh');
}

export function litellmSkip(): string | false {
  return skipUnless(litellmInstallation() !== undefined, 'LiteLLM proxy', 'bash scripts/litellm/install.sh');
}
