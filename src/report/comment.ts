// The pull request comment with the size report: one comment per key, found again by a hidden
// marker and updated in place on every run.

import { getOctokit } from '@actions/github';
import { splitImageReference } from './markdown.js';

type GitHubClient = ReturnType<typeof getOctokit>;

/** Whether a pull request gets one size comment per image or one per workflow. */
export type CommentMode = 'image' | 'workflow';

export const COMMENT_MODES: readonly CommentMode[] = ['image', 'workflow'];

/**
 * Reduces text to characters that are safe in an HTML comment and stable across runs. Runs of
 * other characters become one `-`, because an HTML comment must not contain `--`.
 */
function sanitizeKeyPart(text: string, fallback: string): string {
  const cleaned = text
    .replace(/[^A-Za-z0-9._/:@+-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-|-$/g, '');
  return cleaned || fallback;
}

/**
 * Builds the key that picks the comment to update. In `image` mode the key is the workflow and
 * the image name without tag or digest, so pushes with new tags update the same comment. In
 * `workflow` mode every image of the workflow shares one comment, which each run replaces.
 */
export function commentKey(mode: CommentMode, workflow: string, imageName: string): string {
  const workflowPart = sanitizeKeyPart(workflow, 'workflow');
  if (mode === 'workflow') return `workflow:${workflowPart}`;
  const { repository } = splitImageReference(imageName.trim());
  return `image:${workflowPart}:${sanitizeKeyPart(repository, 'image')}`;
}

/** Builds the hidden marker for a comment key: `<!-- go-buildx-action:size-report:<key> -->`. */
export function commentMarker(key: string): string {
  return `<!-- go-buildx-action:size-report:${sanitizeKeyPart(key, 'default')} -->`;
}

export interface UpsertSizeCommentOptions {
  token: string;
  repository: { owner: string; repo: string };
  /** Pull request number, which the REST API treats as an issue number. */
  issueNumber: number;
  /** Hidden marker from commentMarker(), prepended to the body when the body lacks it. */
  marker: string;
  body: string;
  /**
   * REST API base URL, for example `https://ghe.example.com/api/v3`. The default is
   * GITHUB_API_URL, or https://api.github.com without it.
   */
  apiUrl?: string;
}

export type UpsertSizeCommentResult =
  | { status: 'created' | 'updated' | 'unchanged'; commentId: number; url: string }
  | { status: 'not-permitted'; httpStatus: number; message: string };

interface IssueComment {
  id: number;
  body?: string | null;
  html_url: string;
  user?: { login: string; type?: string } | null;
}

/**
 * Returns the login the token acts as, or null for a GitHub App installation token such as
 * GITHUB_TOKEN, for which GitHub responds to `GET /user` with 403 "Resource not accessible by
 * integration".
 */
async function findTokenLogin(octokit: GitHubClient): Promise<string | null> {
  try {
    const response = await octokit.rest.users.getAuthenticated();
    return response.data.login;
  } catch (error) {
    const status = httpStatusOf(error);
    if (status === 401 || status === 403 || status === 404) return null;
    throw error;
  }
}

/**
 * Finds the oldest comment that contains the marker and was written by the token's account,
 * reading the pull request's comments page by page until it is found. Checking the author
 * keeps a comment that anyone else pasted the marker into from being overwritten.
 */
async function findMarkedComment(
  octokit: GitHubClient,
  options: UpsertSizeCommentOptions,
): Promise<IssueComment | undefined> {
  const pages = octokit.paginate.iterator(octokit.rest.issues.listComments, {
    owner: options.repository.owner,
    repo: options.repository.repo,
    issue_number: options.issueNumber,
    per_page: 100,
  });
  let tokenLogin: string | null | undefined;
  for await (const page of pages) {
    for (const comment of page.data as IssueComment[]) {
      if (!comment.body?.includes(options.marker)) continue;
      if (tokenLogin === undefined) tokenLogin = await findTokenLogin(octokit);
      // NOTE: without a login (an installation token), any bot account's comment with the
      // marker counts, because the REST API does not name the app a token belongs to.
      const isOwn =
        tokenLogin === null ? comment.user?.type === 'Bot' : comment.user?.login === tokenLogin;
      if (isOwn) return comment;
    }
  }
  return undefined;
}

function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

/** True for a 403 that is a rate limit, which is worth a retry later, not a permission problem. */
function isRateLimit(error: unknown): boolean {
  const response = (error as { response?: { headers?: Record<string, string | undefined> } })
    .response;
  if (response?.headers?.['x-ratelimit-remaining'] === '0') return true;
  return /rate limit/i.test(error instanceof Error ? error.message : '');
}

/**
 * Creates or updates the size comment on a pull request. It lists the comments page by page and
 * updates the token account's oldest comment with the marker in place. Without such a comment,
 * it creates one. An identical body is left as it is.
 *
 * A 403 or 404 response returns `not-permitted` instead of throwing, because a pull request from
 * a fork gets a read-only GITHUB_TOKEN. The caller should then warn and keep the job summary.
 * Rate limits, other HTTP errors and network errors throw.
 */
export async function upsertSizeComment(
  options: UpsertSizeCommentOptions,
): Promise<UpsertSizeCommentResult> {
  const octokit = getOctokit(options.token, options.apiUrl ? { baseUrl: options.apiUrl } : {});
  const { owner, repo } = options.repository;
  const body = options.body.includes(options.marker)
    ? options.body
    : `${options.marker}\n${options.body}`;

  try {
    const existing = await findMarkedComment(octokit, options);
    if (existing && existing.body === body) {
      return { status: 'unchanged', commentId: existing.id, url: existing.html_url };
    }
    if (existing) {
      const response = await octokit.rest.issues.updateComment({
        owner,
        repo,
        comment_id: existing.id,
        body,
      });
      return { status: 'updated', commentId: response.data.id, url: response.data.html_url };
    }
    const response = await octokit.rest.issues.createComment({
      owner,
      repo,
      issue_number: options.issueNumber,
      body,
    });
    return { status: 'created', commentId: response.data.id, url: response.data.html_url };
  } catch (error) {
    const status = httpStatusOf(error);
    if ((status === 403 || status === 404) && !isRateLimit(error)) {
      const reason = error instanceof Error ? error.message : String(error);
      return {
        status: 'not-permitted',
        httpStatus: status,
        message:
          `The token cannot comment on pull request #${options.issueNumber} in ${owner}/${repo} ` +
          `(HTTP ${status}: ${reason}). Pull requests from forks get a read-only GITHUB_TOKEN, ` +
          'so post the comment from a workflow_run workflow instead; otherwise grant ' +
          '"pull-requests: write". The job summary has the size report.',
      };
    }
    throw error;
  }
}
