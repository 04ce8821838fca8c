export interface StepResult {
  /** null when a signal ended the process. */
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export interface ActionRun {
  main: StepResult;
  post?: StepResult;
  outputs: Record<string, string>;
  state: Record<string, string>;
  summary: string;
  runDirectory: string;
}

export interface RunActionOptions {
  inputs?: Record<string, string>;
  env?: Record<string, string | undefined>;
  cwd?: string;
  echo?: boolean;
  skipPost?: boolean;
  interruptMainOn?: string;
}

export function parseFileCommands(text: string): Record<string, string>;
export function runAction(options: RunActionOptions): Promise<ActionRun>;
