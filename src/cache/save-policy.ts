import { context as githubContext } from '@actions/github';

/** The parts of the workflow run's context that decide about saving. */
export interface EventContext {
  eventName: string;
  ref: string;
  payload: { repository?: { default_branch?: string } };
}

/** When the post step saves caches: `default-branch` (pushes to it), `always` or `never`. */
export type CacheSavePolicy = 'default-branch' | 'always' | 'never';

export const CACHE_SAVE_POLICIES: CacheSavePolicy[] = ['default-branch', 'always', 'never'];

/**
 * Decides whether this run may save caches. With `default-branch`, only a push to the
 * repository's default branch saves, so pull requests, forks among them, restore but never
 * fill the caches that the default branch and every pull request read. Outside GitHub Actions
 * there are no such events and caches are saved.
 */
export function decideCacheSave(
  policy: CacheSavePolicy,
  env: NodeJS.ProcessEnv = process.env,
  context: EventContext = githubContext as EventContext,
): { save: boolean; reason: string } {
  if (policy === 'always') return { save: true, reason: "cache-save is 'always'" };
  if (policy === 'never') return { save: false, reason: "cache-save is 'never'" };
  if (env.GITHUB_ACTIONS !== 'true') {
    return { save: true, reason: 'running outside GitHub Actions' };
  }
  const defaultBranch = context.payload.repository?.default_branch;
  if (context.eventName !== 'push') {
    return {
      save: false,
      reason:
        `event '${context.eventName}' is not a push to the default branch ` +
        '(set cache-save: always to save anyway)',
    };
  }
  if (!defaultBranch || context.ref !== `refs/heads/${defaultBranch}`) {
    return {
      save: false,
      reason:
        `${context.ref} is not the default branch ${defaultBranch ?? '(unknown)'} ` +
        '(set cache-save: always to save anyway)',
    };
  }
  return { save: true, reason: `push to the default branch ${defaultBranch}` };
}
