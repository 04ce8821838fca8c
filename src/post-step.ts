import * as core from '@actions/core';
import { backendForPlan, CachePlan, errorMessage, saveGoCaches } from './cache/go-caches.js';
import { State } from './constants.js';

/**
 * Runs the post step: saves the Go caches that the main step restored or filled, and the size
 * report that later runs compare with. It runs after a failed build too, so modules downloaded
 * before the failure are kept. Never fails the job.
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
    const backend = backendForPlan(plan);
    await saveGoCaches(backend, plan.caches);
    await saveSizeReport(backend);
  } catch (error) {
    core.warning(`Saving the Go caches failed: ${errorMessage(error)}`);
  }
}

async function saveSizeReport(backend: ReturnType<typeof backendForPlan>): Promise<void> {
  const saveJson = core.getState(State.SizeReportSave);
  if (!saveJson) return;
  const { path, key } = JSON.parse(saveJson) as { path: string; key: string };
  try {
    const result = await backend.save([path], key);
    if (result === 'saved') core.info(`Size report saved as ${key} for later baselines.`);
    else if (result === 'exists') core.info(`Size report ${key} already exists.`);
    else core.info(`Size report ${key} not saved. @actions/cache logged the reason above.`);
  } catch (error) {
    core.warning(`Saving the size report as ${key} failed: ${errorMessage(error)}`);
  }
}
