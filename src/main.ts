import { runMain } from './action.js';

// A cache restore that timed out may still run inside @actions/cache, which cannot be
// cancelled; ending the process stops it. process.exitCode keeps a failure set by setFailed.
void runMain().finally(() => process.exit());
