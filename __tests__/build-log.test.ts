import { describe, expect, test } from '@jest/globals';
import { goCompileSeconds, parseBuildSteps } from '../src/docker/build-log.js';

// Lines as BuildKit v0.8 prints them with --progress plain.
const log = `#1 [internal] load build definition from Dockerfile
#1 DONE 0.0s

#5 [build 2/6] WORKDIR /src
#5 CACHED

#8 [build 4/6] RUN --mount=type=cache,target=/go/pkg/mod go mod download
#8 DONE 1.5s

#10 [build 6/6] RUN --mount=type=cache,target=/go/pkg/mod     --mount=type=cache,target=/root/.cache/go-build     CGO_ENABLED=0 go build -trimpath -o /out/app .
#10 12.01 compiling
#10 DONE 17.5s

#11 [stage-1 1/1] COPY --from=build /out/app /app
#11 DONE 0.1s
`;

describe('parseBuildSteps', () => {
  const steps = parseBuildSteps(log);

  test('names, times and cache state', () => {
    expect(steps.map((step) => [step.id, step.cached, step.seconds])).toEqual([
      [1, false, 0],
      [5, true, undefined],
      [8, false, 1.5],
      [10, false, 17.5],
      [11, false, 0.1],
    ]);
    expect(steps[3].name).toMatch(/^\[build 6\/6\] RUN .*go build/);
  });

  test('error marks step failed', () => {
    const failed = parseBuildSteps('#9 [build 6/6] RUN go build .\n#9 ERROR: executor failed\n');
    expect(failed[0].failed).toBe(true);
  });
});

describe('goCompileSeconds', () => {
  test('sums go build steps that ran', () => {
    expect(goCompileSeconds(parseBuildSteps(log))).toBe(17.5);
  });

  test('cached compile is unknown', () => {
    const cached = '#10 [build 6/6] RUN go build -o /app .\n#10 CACHED\n';
    expect(goCompileSeconds(parseBuildSteps(cached))).toBeUndefined();
  });

  test('go test counts too', () => {
    const text =
      '#3 [test 1/1] RUN go test ./...\n#3 DONE 4.0s\n#4 [build 1/1] RUN go build .\n#4 DONE 2.5s\n';
    expect(goCompileSeconds(parseBuildSteps(text))).toBe(6.5);
  });

  test('COPY of go files ignored', () => {
    const text = '#3 [build 1/1] COPY go build notes /x\n#3 DONE 4.0s\n';
    expect(goCompileSeconds(parseBuildSteps(text))).toBeUndefined();
  });
});

describe('goCompileSeconds exec form', () => {
  test('JSON array RUN counts', () => {
    const text = '#7 [build 3/3] RUN ["go", "build", "-o", "/src/app", "."]\n#7 DONE 3.5s\n';
    expect(goCompileSeconds(parseBuildSteps(text))).toBe(3.5);
  });
});
