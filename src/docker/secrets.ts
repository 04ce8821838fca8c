import * as core from '@actions/core';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InputError } from '../input-error.js';

/** One build secret from the `secrets` input. */
export interface BuildSecret {
  id: string;
  value: string;
}

const SECRET_ID = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * Parses the `secrets` input: one `id=value` per line. Each value is registered with
 * core.setSecret at once, so the runner masks it in every log line after this point. Error
 * messages name the line number, never the value.
 */
export function parseSecrets(text: string): BuildSecret[] {
  const secrets: BuildSecret[] = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const separator = line.indexOf('=');
    const id = separator < 0 ? '' : line.slice(0, separator).trim();
    if (!SECRET_ID.test(id)) {
      throw new InputError(
        `Invalid entry on line ${index + 1} of input 'secrets': expected id=value with an id of ` +
          "letters, digits, '.', '_' or '-', for example github_token=${{ secrets.GITHUB_TOKEN }}. " +
          'Each secret must fit on one line, so base64-encode a multi-line value such as a key.',
      );
    }
    const value = line.slice(separator + 1);
    if (value !== '') core.setSecret(value);
    secrets.push({ id, value });
  });
  return secrets;
}

/**
 * Writes each secret to its own file, readable by the owner only, and returns the
 * `id=<id>,src=<file>` values for --secret and a function that deletes the files. Files keep
 * the values out of the command line, where other processes could read them.
 */
export function writeSecretFiles(secrets: BuildSecret[]): { flags: string[]; remove: () => void } {
  if (secrets.length === 0) return { flags: [], remove: () => undefined };
  const directory = fs.mkdtempSync(
    path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'go-buildx-secrets-'),
  );
  fs.chmodSync(directory, 0o700);
  const flags = secrets.map((secret, index) => {
    const file = path.join(directory, String(index));
    fs.writeFileSync(file, secret.value, { mode: 0o600 });
    return `id=${secret.id},src=${file}`;
  });
  return { flags, remove: () => fs.rmSync(directory, { recursive: true, force: true }) };
}
