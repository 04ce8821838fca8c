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
  CacheMounts: 'cache-mounts',
  VerifyModules: 'verify-modules',
  LocalCacheDir: 'local-cache-dir',
  Secrets: 'secrets',
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
} as const;

/** Names of the values that the main step passes to the post step through core.saveState. */
export const State = {
  CachePlan: 'cache-plan',
} as const;
