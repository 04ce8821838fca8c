// Prints one plain closing line per jest run, such as "e2e: 40 passed, 0 failed, 0 skipped",
// as the last line of the run's output, so a CI log reader finds the totals there.
class TotalsReporter {
  onRunComplete(_contexts, results) {
    const projectIndex = process.argv.indexOf('--selectProjects');
    const label = projectIndex > 0 ? process.argv[projectIndex + 1] : 'tests';
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `${label}: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped`;
    // Jest's own summary is written to stderr during this hook; printing at exit keeps this
    // line after it.
    process.on('exit', () => process.stderr.write(`\n${line}\n`));
  }
}

module.exports = TotalsReporter;
