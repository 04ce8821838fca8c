import * as exec from '@actions/exec';

/**
 * Returns the uncompressed size in bytes of an image in the local image store, as
 * `docker image ls` counts it, or undefined when the store does not have the image (for
 * example a pushed image built with a docker-container builder and not loaded).
 */
export async function measureImageSize(imageRef: string): Promise<number | undefined> {
  const result = await exec.getExecOutput(
    'docker',
    ['image', 'inspect', '--format', '{{.Size}}', imageRef],
    { silent: true, ignoreReturnCode: true },
  );
  if (result.exitCode !== 0) return undefined;
  const size = Number(result.stdout.trim());
  return Number.isSafeInteger(size) ? size : undefined;
}
