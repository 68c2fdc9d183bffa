/**
 * `sluice validate FILE...`: checks pipeline files without running them. Prints `ok FILE` per valid file, or
 * every problem with the path it concerns; exits 2 if any file is invalid.
 */
import type { Command } from 'commander';
import { ConfigError, ExitCode, SluiceError } from '../../core/errors.ts';

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('check pipeline files: YAML, fields, prompt templates and output schema')
    .argument('<files...>', 'pipeline files')
    .action(async (files: string[]) => {
      // Loaded on use, so that `sluice --help` starts without the schema and YAML libraries.
      const [{ loadPipelineFile }, { createPromptRenderer }, { checkPackable }] = await Promise.all([
        import('../../config/load-pipeline.ts'),
        import('../../llm/prompt.ts'),
        import('../../stages/llm-map-packed.ts'),
      ]);
      let invalid = 0;
      for (const file of files) {
        try {
          const { config } = await loadPipelineFile(file);
          createPromptRenderer(config.prompt); // throws ConfigError naming prompt.system / prompt.user
          if (config.pack > 1) checkPackable(config);
          process.stdout.write(`ok ${file} (${config.name})\n`);
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          invalid++;
          process.stderr.write(`invalid ${file}\n${error.message}\n`);
        }
      }
      if (invalid > 0)
        throw new SluiceError(
          'invalid_config',
          `${invalid} of ${files.length} pipeline files are invalid`,
          ExitCode.usage,
        );
    });
}
