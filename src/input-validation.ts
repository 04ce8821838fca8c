import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from './input-error.js';

// Image reference grammar of the distribution project's reference package, which Docker and
// Buildx use: [domain[:port]/]path-component[/path-component...][:tag][@digest].
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(
  `^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`,
);
/** Maximum length of a repository name in the reference grammar. */
const MAX_NAME_LENGTH = 255;

/** Checks an image reference (an entry of `tags`, by default) against Docker's grammar. */
export function validateImageReference(reference: string, input = 'tags'): void {
  const name = reference.replace(/@.*$/, '').replace(/:[\w][\w.-]*$/, '');
  if (!REFERENCE.test(reference) || name.length > MAX_NAME_LENGTH) {
    throw new InputError(
      `Invalid entry in input '${input}': '${truncate(reference)}'. Use an image reference such as ` +
        'registry.example.com/team/app:1.2.0: lowercase name components separated by /, an ' +
        `optional tag of up to 128 letters, digits, '.', '_' or '-', and at most ${MAX_NAME_LENGTH} ` +
        'characters of name.',
    );
  }
}

const PLATFORM = /^[a-z0-9]+\/[a-z0-9_]+(?:\/[a-z0-9]+)?$/;

/** Checks one entry of `platforms`: os/arch or os/arch/variant, for example linux/arm/v7. */
export function validatePlatform(platform: string): void {
  if (!PLATFORM.test(platform)) {
    throw new InputError(
      `Invalid entry in input 'platforms': '${truncate(platform)}'. Use os/arch or ` +
        'os/arch/variant, for example linux/amd64 or linux/arm/v7.',
    );
  }
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

/** Checks a build stage name (`target`) or a Buildx builder name (`builder`). */
export function validateName(input: 'target' | 'builder', value: string): void {
  if (value !== '' && !NAME.test(value)) {
    const example = input === 'target' ? 'runtime' : 'ci-builder';
    throw new InputError(
      `Invalid input '${input}': '${truncate(value)}'. Use up to 128 letters, digits, '.', '_' ` +
        `or '-', starting with a letter or digit, for example ${example}.`,
    );
  }
}

/** Returns whether `resolved` is `root` or below it, comparing whole path segments. */
function isInside(root: string, resolved: string): boolean {
  const relative = path.relative(root, resolved);
  return (
    relative === '' ||
    (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative))
  );
}

/**
 * Checks that a path input resolves inside the workspace, both as written and, when the path
 * exists, after following symbolic links. A build context outside it would send files from
 * elsewhere on the runner to the builder.
 */
export function validateInsideWorkspace(input: string, resolved: string, workspace: string): void {
  const root = path.resolve(workspace);
  let outside = !isInside(root, resolved);
  let target = resolved;
  if (!outside && fs.existsSync(resolved)) {
    target = fs.realpathSync(resolved);
    outside = !isInside(fs.realpathSync(root), target);
  }
  if (outside) {
    const via = target === resolved ? '' : ` (through a symbolic link, to '${target}')`;
    throw new InputError(
      `Input '${input}' resolves to '${resolved}'${via}, which is outside the workspace ` +
        `'${workspace}'. Use a path inside the repository checkout.`,
    );
  }
}

/**
 * Longest build argument the action passes on. Linux rejects a single command-line argument
 * over 128 KiB (MAX_ARG_STRLEN), and values that large belong in a secret or a file.
 */
export const MAX_BUILD_ARG_LENGTH = 65536;

/** Shortens a value for an error message, so a huge input does not flood the log. */
export function truncate(value: string, maxLength = 200): string {
  const oneLine = value.replace(/\n/g, '\\n');
  return oneLine.length <= maxLength
    ? oneLine
    : `${oneLine.slice(0, maxLength)}… (${value.length} characters)`;
}
