import * as fs from 'node:fs';
import { ActionInputs, InputError } from './inputs.js';

/**
 * Checks the paths that the inputs name before any work starts: the working directory and
 * context are directories and the Dockerfile is a file.
 */
export function checkProjectPaths(inputs: ActionInputs): void {
  if (!isDirectory(inputs.workingDirectory)) {
    throw new InputError(
      `Input 'working-directory' is '${inputs.workingDirectory}', which is not a directory. ` +
        'Set it to the folder that contains go.mod, relative to the repository root.',
    );
  }
  if (!isDirectory(inputs.context)) {
    throw new InputError(
      `Input 'context' is '${inputs.context}', which is not a directory. Set it to the Docker ` +
        'build context, relative to working-directory (default: working-directory itself).',
    );
  }
  if (!fs.existsSync(inputs.file)) {
    throw new InputError(
      `Dockerfile not found: '${inputs.file}'. Add a Dockerfile there, or set input 'file' to ` +
        'its path relative to working-directory.',
    );
  }
  if (!fs.statSync(inputs.file).isFile()) {
    throw new InputError(
      `Input 'file' is '${inputs.file}', which is a directory. Set it to the Dockerfile itself, ` +
        'for example build/Dockerfile.',
    );
  }
}

function isDirectory(directory: string): boolean {
  return fs.existsSync(directory) && fs.statSync(directory).isDirectory();
}
