/** One vertex of a BuildKit build, read from `--progress plain` output. */
export interface BuildStep {
  /** The number BuildKit prints as `#N`. */
  id: number;
  /** For example `[build 6/6] RUN --mount=type=cache,... go build -o /out/app .` */
  name: string;
  cached: boolean;
  /** Seconds from the `#N DONE 12.3s` line; undefined while unknown. */
  seconds?: number;
  failed: boolean;
}

const STEP_NAME = /^#(\d+) (\[.*)$/;
const STEP_DONE = /^#(\d+) DONE (\d+(?:\.\d+)?)s$/;
const STEP_CACHED = /^#(\d+) CACHED$/;
const STEP_ERROR = /^#(\d+) ERROR[: ]/;

/** Parses BuildKit's plain progress output into its steps, in the order they started. */
export function parseBuildSteps(log: string): BuildStep[] {
  const steps = new Map<number, BuildStep>();
  const stepFor = (id: number): BuildStep => {
    let step = steps.get(id);
    if (!step) {
      step = { id, name: '', cached: false, failed: false };
      steps.set(id, step);
    }
    return step;
  };
  for (const rawLine of log.split('\n')) {
    const line = rawLine.trimEnd();
    let match = STEP_NAME.exec(line);
    if (match) {
      const step = stepFor(Number(match[1]));
      if (!step.name) step.name = match[2];
      continue;
    }
    match = STEP_DONE.exec(line);
    if (match) {
      stepFor(Number(match[1])).seconds = Number(match[2]);
      continue;
    }
    match = STEP_CACHED.exec(line);
    if (match) {
      stepFor(Number(match[1])).cached = true;
      continue;
    }
    match = STEP_ERROR.exec(line);
    if (match) stepFor(Number(match[1])).failed = true;
  }
  return [...steps.values()].filter((step) => step.name !== '');
}

const RUN_STEP = /^\[[^\]]*\] RUN /;
// Shell form (go build) and exec form (["go", "build", ...]) of a RUN that compiles Go.
const GO_COMPILE = /\bgo["',\s]+(?:build|install|test)\b/;

/**
 * Returns the total seconds of the RUN steps that compile Go (go build, go install or
 * go test), or undefined when the build had none that ran.
 */
export function goCompileSeconds(steps: BuildStep[]): number | undefined {
  const compileSteps = steps.filter(
    (step) => RUN_STEP.test(step.name) && GO_COMPILE.test(step.name),
  );
  const timed = compileSteps.filter((step) => !step.cached && step.seconds !== undefined);
  if (timed.length === 0) return undefined;
  return timed.reduce((total, step) => total + (step.seconds ?? 0), 0);
}
