/** Input names, exactly as action.yml declares them. */
export const Input = {
  WorkingDirectory: 'working-directory',
  Context: 'context',
  File: 'file',
  Target: 'target',
  Tags: 'tags',
  BuildArgs: 'build-args',
  Platforms: 'platforms',
  Load: 'load',
  Push: 'push',
  Builder: 'builder',
  Cache: 'cache',
  CacheKeyPrefix: 'cache-key-prefix',
  CacheSave: 'cache-save',
  CacheTimeout: 'cache-timeout',
  CacheMounts: 'cache-mounts',
  VerifyModules: 'verify-modules',
  LocalCacheDir: 'local-cache-dir',
  Secrets: 'secrets',
  MaxSize: 'max-size',
  MaxIncrease: 'max-increase',
  BudgetSizeKind: 'budget-size-kind',
  BaselineImage: 'baseline-image',
  BaselineSize: 'baseline-size',
  ReportFile: 'report-file',
  Comment: 'comment',
  CommentMode: 'comment-mode',
  GithubToken: 'github-token',
} as const;

/** Output names, exactly as action.yml declares them. */
export const Output = {
  ImageId: 'image-id',
  Digest: 'digest',
  ImageSize: 'image-size',
  ImageSizeHuman: 'image-size-human',
  CacheHit: 'cache-hit',
  GoVersion: 'go-version',
  BuildSeconds: 'build-seconds',
  CacheRoutes: 'cache-routes',
  ImageSizeCompressed: 'image-size-compressed',
  SizeDelta: 'size-delta',
  SizeDeltaPercent: 'size-delta-percent',
  BudgetViolations: 'budget-violations',
  ReportFile: 'report-file',
  CommentUrl: 'comment-url',
} as const;

/** Names of the values that the main step passes to the post step through core.saveState. */
export const State = {
  CachePlan: 'cache-plan',
  SizeReportSave: 'size-report-save',
} as const;
