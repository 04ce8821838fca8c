// Runs the action on examples/go2docker outside GitHub Actions, then runs the image and prints
// the outputs and the job summary. Everything the run keeps lives in .local-cache/: the cache
// entries (local backend) and the Go module and build caches, which stand in for a runner's.
// Remove .local-cache/ to start cold again.
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runAction } from './local-runner.mjs';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const example = process.argv[2] || 'examples/go2docker';
const tag = `${example.split('/').pop()}:example`;

const localCache = join(projectRoot, '.local-cache');
const started = Date.now();
const result = await runAction({
  inputs: {
    'working-directory': example,
    tags: tag,
    'local-cache-dir': join(localCache, 'entries'),
  },
  env: {
    GITHUB_WORKSPACE: projectRoot,
    GOMODCACHE: join(localCache, 'runner', 'gomodcache'),
    GOCACHE: join(localCache, 'runner', 'gocache'),
  },
  echo: true,
});
const seconds = ((Date.now() - started) / 1000).toFixed(1);

if (result.main.exitCode !== 0) {
  console.error(
    `\nThe main step failed with exit code ${result.main.exitCode}; see the log above.`,
  );
  process.exit(1);
}

console.log(`\n== docker run --rm ${tag}`);
console.log(execFileSync('docker', ['run', '--rm', tag], { encoding: 'utf8' }).trimEnd());

console.log(`\n== Main and post steps took ${seconds} s`);
console.log('\n== Outputs');
for (const [name, value] of Object.entries(result.outputs)) console.log(`${name}: ${value}`);
console.log('\n== Job summary (Markdown and HTML, as GitHub renders it)');
console.log(result.summary.trimEnd());
