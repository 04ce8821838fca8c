import { describe, expect, test } from '@jest/globals';
import { decideCacheSave, EventContext } from '../src/cache/save-policy.js';

const actions = { GITHUB_ACTIONS: 'true' };

function event(eventName: string, ref: string, defaultBranch?: string): EventContext {
  return {
    eventName,
    ref,
    payload: defaultBranch ? { repository: { default_branch: defaultBranch } } : {},
  };
}

describe('decideCacheSave', () => {
  test('push to default branch saves', () => {
    expect(
      decideCacheSave('default-branch', actions, event('push', 'refs/heads/main', 'main')),
    ).toEqual({
      save: true,
      reason: 'push to the default branch main',
    });
  });

  test('push to other branch skips', () => {
    const decision = decideCacheSave(
      'default-branch',
      actions,
      event('push', 'refs/heads/topic', 'main'),
    );
    expect(decision.save).toBe(false);
    expect(decision.reason).toContain('refs/heads/topic is not the default branch main');
  });

  test('pull request skips', () => {
    const decision = decideCacheSave(
      'default-branch',
      actions,
      event('pull_request', 'refs/pull/7/merge', 'main'),
    );
    expect(decision.save).toBe(false);
    expect(decision.reason).toContain("event 'pull_request' is not a push to the default branch");
  });

  test('pull_request_target skips', () => {
    const decision = decideCacheSave(
      'default-branch',
      actions,
      event('pull_request_target', 'refs/heads/main', 'main'),
    );
    expect(decision.save).toBe(false);
  });

  test('unknown default branch skips', () => {
    expect(decideCacheSave('default-branch', actions, event('push', 'refs/heads/main')).save).toBe(
      false,
    );
  });

  test('always saves on pull request', () => {
    expect(
      decideCacheSave('always', actions, event('pull_request', 'refs/pull/7/merge', 'main')).save,
    ).toBe(true);
  });

  test('never skips on default branch', () => {
    expect(decideCacheSave('never', actions, event('push', 'refs/heads/main', 'main')).save).toBe(
      false,
    );
  });

  test('outside Actions saves', () => {
    expect(decideCacheSave('default-branch', {}, event('', '')).save).toBe(true);
  });
});
