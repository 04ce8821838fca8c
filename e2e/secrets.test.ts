import { afterAll, beforeAll, expect, test } from '@jest/globals';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ActionRun, runAction } from '../scripts/local-runner.mjs';
import {
  ACTION_RUN_TIMEOUT_MS,
  copyExample,
  describeWithDocker,
  makeTempDirectory,
  removeModuleCache,
} from './support.js';

/** Lists every file below `directory`, for searching what a run left behind. */
function listFiles(directory: string): string[] {
  if (!fs.existsSync(directory)) return [];
  return fs
    .readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

// The build reads a secret and compares its SHA-256, so the secret must arrive, but the value
// itself is never written in the Dockerfile. Then the whole output of the run is searched.
describeWithDocker('build secrets', () => {
  const secret = `s3cr3t-${crypto.randomBytes(12).toString('hex')}`;
  const secretHash = crypto.createHash('sha256').update(secret).digest('hex');
  const work = makeTempDirectory('e2e-secrets-');
  const project = copyExample('go2docker');
  const env = {
    GITHUB_WORKSPACE: path.dirname(project),
    GOMODCACHE: path.join(work, 'gomodcache'),
    GOCACHE: path.join(work, 'gocache'),
  };
  let run: ActionRun;

  beforeAll(async () => {
    const dockerfile = path.join(project, 'Dockerfile');
    const text = fs
      .readFileSync(dockerfile, 'utf8')
      .replace(
        'COPY . .',
        `COPY . .\nRUN --mount=type=secret,id=token test "$(sha256sum < /run/secrets/token | cut -d' ' -f1)" = "${secretHash}"`,
      );
    fs.writeFileSync(dockerfile, text);
    run = await runAction({
      inputs: {
        'working-directory': 'go2docker',
        tags: 'go2docker:secrets',
        secrets: `token=${secret}`,
        'local-cache-dir': path.join(work, 'store'),
      },
      env,
    });
  }, ACTION_RUN_TIMEOUT_MS);

  afterAll(() => {
    removeModuleCache(env.GOMODCACHE);
  });

  test('build received the secret', () => {
    expect(run.main.exitCode).toBe(0);
  });

  test('value registered for masking', () => {
    expect(run.main.stdout).toContain(`::add-mask::${secret}`);
  });

  test('value absent from all output', () => {
    const masked = (text: string): string =>
      text
        .split('\n')
        .filter((line) => !line.startsWith('::add-mask::'))
        .join('\n');
    const texts = [
      masked(run.main.stdout),
      run.main.stderr,
      run.post?.stdout ?? '',
      run.post?.stderr ?? '',
      run.summary,
      JSON.stringify(run.outputs),
      JSON.stringify(run.state),
    ];
    for (const text of texts) expect(text).not.toContain(secret);
  });

  test('no secret file left behind', () => {
    const leftovers = listFiles(run.runDirectory).filter((file) => {
      const content = fs.readFileSync(file, 'utf8');
      return content.includes(secret) && !file.endsWith('output') && !file.endsWith('state');
    });
    expect(leftovers).toEqual([]);
  });
});
