// Runs the bundled action the way a GitHub Actions runner does: the main entry point and then
// the post entry point as separate node processes, inputs as INPUT_* variables, and the
// GITHUB_OUTPUT, GITHUB_STATE and GITHUB_STEP_SUMMARY files that @actions/core writes to.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Parses a GITHUB_OUTPUT or GITHUB_STATE file: `name<<DELIMITER`, value lines, `DELIMITER`. */
export function parseFileCommands(text) {
  const values = {};
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const heredoc = /^([^=<]+)<<(.+)$/.exec(lines[index]);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const valueLines = [];
      for (index++; index < lines.length && lines[index] !== delimiter; index++) {
        valueLines.push(lines[index]);
      }
      values[name] = valueLines.join('\n');
      continue;
    }
    const assignment = /^([^=]+)=(.*)$/.exec(lines[index]);
    if (assignment) values[assignment[1]] = assignment[2];
  }
  return values;
}

/**
 * Runs one node process and collects its output, echoing it when `echo` is set. When the
 * standard output first contains `interruptOn`, the process gets SIGINT, as a runner sends it
 * to a cancelled step.
 */
function runNode(script, env, cwd, echo, interruptOn) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [script], {
      env,
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (echo) process.stdout.write(chunk);
      if (interruptOn && !interrupted && stdout.includes(interruptOn)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (echo) process.stderr.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (exitCode, signal) => resolvePromise({ exitCode, signal, stdout, stderr }));
  });
}

/**
 * Runs main and then post with `inputs` (action.yml names to values). Variables in `env` are
 * added to this process's environment; a value of undefined removes one. `interruptMainOn`
 * cancels the main step when its output first contains that text. Returns each step's exit
 * code, output and the values it wrote, and the job summary.
 */
export async function runAction({
  inputs = {},
  env = {},
  cwd = projectRoot,
  echo = false,
  skipPost = false,
  interruptMainOn = undefined,
}) {
  const runDirectory = mkdtempSync(join(tmpdir(), 'go-buildx-run-'));
  const files = {
    GITHUB_OUTPUT: join(runDirectory, 'output'),
    GITHUB_STATE: join(runDirectory, 'state'),
    GITHUB_STEP_SUMMARY: join(runDirectory, 'summary.md'),
  };
  for (const file of Object.values(files)) writeFileSync(file, '');

  const baseEnv = { ...process.env, ...files, RUNNER_TEMP: runDirectory };
  for (const name of Object.keys(baseEnv)) {
    if (name.startsWith('INPUT_') || name.startsWith('STATE_')) delete baseEnv[name];
  }
  for (const [name, value] of Object.entries(inputs)) {
    baseEnv[`INPUT_${name.toUpperCase()}`] = String(value);
  }
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete baseEnv[name];
    else baseEnv[name] = value;
  }

  const main = await runNode(
    join(projectRoot, 'dist/main/index.js'),
    baseEnv,
    cwd,
    echo,
    interruptMainOn,
  );
  const outputs = parseFileCommands(readFileSync(files.GITHUB_OUTPUT, 'utf8'));
  const state = parseFileCommands(readFileSync(files.GITHUB_STATE, 'utf8'));

  let post;
  if (!skipPost) {
    const postEnv = { ...baseEnv };
    for (const [name, value] of Object.entries(state)) postEnv[`STATE_${name}`] = value;
    post = await runNode(join(projectRoot, 'dist/post/index.js'), postEnv, cwd, echo);
  }
  const summary = readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8');
  return { main, post, outputs, state, summary, runDirectory };
}
