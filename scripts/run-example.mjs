// Runs the action on examples/go2docker outside GitHub Actions, with the local cache
// directory .local-cache/, then runs the image and prints the size report.
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runAction } from './local-runner.mjs';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const example = process.argv[2] || 'examples/go2docker';
const tag = `${example.split('/').pop()}:example`;

const result = await runAction({
  inputs: {
    'working-directory': example,
    tags: tag,
    'local-cache-dir': join(projectRoot, '.local-cache'),
  },
  env: { GITHUB_WORKSPACE: projectRoot },
  echo: true,
});

if (result.main.exitCode !== 0) {
  console.error(
    `\nThe main step failed with exit code ${result.main.exitCode}; see the log above.`,
  );
  process.exit(1);
}

console.log(`\n== docker run --rm ${tag}`);
console.log(execFileSync('docker', ['run', '--rm', tag], { encoding: 'utf8' }).trimEnd());

console.log('\n== Outputs');
for (const [name, value] of Object.entries(result.outputs)) console.log(`${name}: ${value}`);
console.log('\n== Job summary (Markdown and HTML, as GitHub renders it)');
console.log(result.summary.trimEnd());
