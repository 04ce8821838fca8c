import * as core from '@actions/core';
import { runPost } from './post-step.js';

// @actions/cache 6.3.0 can throw from a stream's error handler after a failed upload, outside
// any promise the post step awaits. Such an error becomes a warning, so it cannot fail the job.
process.on('uncaughtException', (error) => {
  core.warning(`Saving the Go caches failed: ${error.message}`);
});

void runPost();
