import { runMain } from './action.js';

void runMain();
