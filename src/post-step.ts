import * as core from '@actions/core';
import { backendForPlan, CachePlan, errorMessage, saveGoCaches } from './cache/go-caches.js';
import { State } from './constants.js';

/**
 * Runs the post step: saves the Go caches that the main step restored or filled. It runs after
 * a failed build too, so modules downloaded before the failure are kept. Never fails the job.
 */
export async function runPost(): Promise<void> {
  try {
    const planJson = core.getState(State.CachePlan);
    if (!planJson) {
      core.info('No Go caches to save: the main step did not get as far as restoring them.');
      return;
    }
    const plan = JSON.parse(planJson) as CachePlan;
    if (!plan.save) {
      core.info(`Go caches not saved: ${plan.saveReason}.`);
      return;
    }
    await saveGoCaches(backendForPlan(plan), plan.caches);
  } catch (error) {
    core.warning(`Saving the Go caches failed: ${errorMessage(error)}`);
  }
}
