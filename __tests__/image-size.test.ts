import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import {
  countSharedLayers,
  findSavedConfig,
  mapHistoryToLayers,
  measureTarStream,
  parseHistoryOutput,
  parseImageConfig,
  parsePaxRecords,
  parseTarNumber,
  SavedFile,
} from '../src/docker/image-size.js';
import {
  formatPlatform,
  isAttestationManifest,
  MediaType,
  parseManifestDocument,
  repositoryOf,
  summarizeImageManifest,
} from '../src/docker/registry.js';

// Fixtures captured on the test machine (dockerd 20.10 with BuildKit v0.8, Buildx v0.38.2) from
// an image built FROM busybox:latest (scripts/build-base-images.sh) with this Dockerfile:
//
//   FROM busybox:latest
//   ENV GREETING=hello
//   WORKDIR /data
//   RUN echo "$GREETING" > greeting.txt && head -c 300000 /dev/urandom > random.bin
//   LABEL purpose=fixture
//   COPY Dockerfile /data/Dockerfile
//   RUN true
//   CMD ["cat", "/data/greeting.txt"]
//
// WORKDIR and `RUN true` each made a layer whose files count 0 bytes, so the history's sizes
// alone cannot tell them from ENV, LABEL and CMD, which made no layer.

/** `docker image history --no-trunc --human=false --format '{{json .}}' size-fixture:history` */
const HISTORY_OUTPUT = String.raw`{"Comment":"buildkit.dockerfile.v0","CreatedAt":"2026-12-04T15:55:31Z","CreatedBy":"CMD [\"cat\" \"/data/greeting.txt\"]","CreatedSince":"2026-12-04T15:55:31Z","ID":"sha256:b892e7a3fd2d0ce51c007adc0f713bceb52247a4f1900e44e239479e0cc2f27d","Size":"0"}
{"Comment":"buildkit.dockerfile.v0","CreatedAt":"2026-12-04T15:55:31Z","CreatedBy":"RUN /bin/sh -c true # buildkit","CreatedSince":"2026-12-04T15:55:31Z","ID":"\u003cmissing\u003e","Size":"0"}
{"Comment":"buildkit.dockerfile.v0","CreatedAt":"2026-12-04T15:55:31Z","CreatedBy":"COPY Dockerfile /data/Dockerfile # buildkit","CreatedSince":"2026-12-04T15:55:31Z","ID":"\u003cmissing\u003e","Size":"231"}
{"Comment":"buildkit.dockerfile.v0","CreatedAt":"2026-12-04T15:55:31Z","CreatedBy":"LABEL purpose=fixture","CreatedSince":"2026-12-04T15:55:31Z","ID":"\u003cmissing\u003e","Size":"0"}
{"Comment":"buildkit.dockerfile.v0","CreatedAt":"2026-12-04T15:55:31Z","CreatedBy":"RUN /bin/sh -c echo \"$GREETING\" \u003e greeting.txt \u0026\u0026 head -c 300000 /dev/urandom \u003e random.bin # buildkit","CreatedSince":"2026-12-04T15:55:31Z","ID":"\u003cmissing\u003e","Size":"300006"}
{"Comment":"buildkit.dockerfile.v0","CreatedAt":"2026-12-04T15:55:31Z","CreatedBy":"WORKDIR /data","CreatedSince":"2026-12-04T15:55:31Z","ID":"\u003cmissing\u003e","Size":"0"}
{"Comment":"buildkit.dockerfile.v0","CreatedAt":"2026-12-04T15:55:31Z","CreatedBy":"ENV GREETING=hello","CreatedSince":"2026-12-04T15:55:31Z","ID":"\u003cmissing\u003e","Size":"0"}
{"Comment":"Imported from -","CreatedAt":"2026-12-04T15:39:19Z","CreatedBy":"","CreatedSince":"2026-12-04T15:39:19Z","ID":"\u003cmissing\u003e","Size":"2205194"}
`;

/** The image config JSON from `docker save size-fixture:history`. */
const CONFIG_JSON = String.raw`{"architecture":"amd64","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","GREETING=hello"],"Cmd":["cat","/data/greeting.txt"],"WorkingDir":"/data","Labels":{"go-buildx-action.base-inputs":"4188e8bad12e077a8b401af1c0f8c01a97acab9262eb671d6eb2f80e369b2be2","purpose":"fixture"},"ArgsEscaped":true,"OnBuild":null},"created":"2026-12-04T15:55:31.590559578Z","history":[{"created":"2026-12-04T15:39:19.223868344Z","comment":"Imported from -"},{"created":"2026-12-04T15:55:31.122848227Z","created_by":"ENV GREETING=hello","comment":"buildkit.dockerfile.v0","empty_layer":true},{"created":"2026-12-04T15:55:31.122848227Z","created_by":"WORKDIR /data","comment":"buildkit.dockerfile.v0"},{"created":"2026-12-04T15:55:31.287405083Z","created_by":"RUN /bin/sh -c echo \"$GREETING\" \u003e greeting.txt \u0026\u0026 head -c 300000 /dev/urandom \u003e random.bin # buildkit","comment":"buildkit.dockerfile.v0"},{"created":"2026-12-04T15:55:31.287405083Z","created_by":"LABEL purpose=fixture","comment":"buildkit.dockerfile.v0","empty_layer":true},{"created":"2026-12-04T15:55:31.298148468Z","created_by":"COPY Dockerfile /data/Dockerfile # buildkit","comment":"buildkit.dockerfile.v0"},{"created":"2026-12-04T15:55:31.590559578Z","created_by":"RUN /bin/sh -c true # buildkit","comment":"buildkit.dockerfile.v0"},{"created":"2026-12-04T15:55:31.590559578Z","created_by":"CMD [\"cat\" \"/data/greeting.txt\"]","comment":"buildkit.dockerfile.v0","empty_layer":true}],"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:02112dec56215111b7ce29e0f5e5d64aeeb17e54b1ecc9773c1000a5ff7979d7","sha256:911861a01017e5d497a7c9b5d1360c23058c535a2c8e8cd33b82d3ad7caf7866","sha256:c08aea7db21c8cd2b7ed5623771353305645ac158a233f42e59bc061826c15d3","sha256:f156c1ec06af920eb32e609c4185aac96975fb8ec07a0aaaf0d09faadbd2a5fd","sha256:96221c95f4b5489c050ed41ad05700eb2aa9aa650c2b7f25ac99a7355e1bf524"]}}`;

/** `docker image inspect --format '{{json .RootFS.Layers}}' busybox:latest` */
const BUSYBOX_DIFF_IDS = [
  'sha256:02112dec56215111b7ce29e0f5e5d64aeeb17e54b1ecc9773c1000a5ff7979d7',
];

/**
 * `docker buildx imagetools inspect --raw` of examples/go2docker pushed by dockerd 20.10 to the
 * local registry (scripts/start-registry.sh).
 */
const SCHEMA2_MANIFEST = String.raw`{
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {
      "mediaType": "application/vnd.docker.container.image.v1+json",
      "size": 608,
      "digest": "sha256:d06318740c797ef5398bd14d68066ccfd38ec33b22bc46d0dbc6947f5a16eebf"
   },
   "layers": [
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 854181,
         "digest": "sha256:37f12f0953f7a89f894418c306dfe139465b8fe189c03ae00f89081dc0b796b3"
      }
   ]
}`;

/**
 * `docker buildx imagetools inspect --raw` of a two-platform manifest list that
 * `docker buildx imagetools create` made from a linux/amd64 and a linux/arm64 image, each built
 * and pushed on its own by the docker driver with a cross-compiling Dockerfile.
 */
const MANIFEST_LIST = String.raw`{
  "schemaVersion": 2,
  "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
  "manifests": [
    {
      "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
      "digest": "sha256:0c7fb252004996243112821e94f9ff26c1a6ec07bd37aa935ead539ab7800564",
      "size": 526,
      "platform": {
        "architecture": "amd64",
        "os": "linux"
      }
    },
    {
      "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
      "digest": "sha256:d1daee11f4fb45ddfdc53aabec80b0f3f77b76829c790e9eaa828540ecfa994d",
      "size": 526,
      "platform": {
        "architecture": "arm64",
        "os": "linux"
      }
    }
  ]
}`;

// Written in the form of the OCI image spec v1.1 and of BuildKit's attestation manifests,
// not captured: dockerd 20.10 pushes Docker media types only.
const OCI_MANIFEST = JSON.stringify({
  schemaVersion: 2,
  mediaType: MediaType.OciManifest,
  config: {
    mediaType: 'application/vnd.oci.image.config.v1+json',
    digest: `sha256:${'c'.repeat(64)}`,
    size: 700,
  },
  layers: [
    {
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      digest: `sha256:${'1'.repeat(64)}`,
      size: 1000,
    },
    {
      mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd',
      digest: `sha256:${'2'.repeat(64)}`,
      size: 234,
    },
  ],
});

const OCI_INDEX = JSON.stringify({
  schemaVersion: 2,
  mediaType: MediaType.OciIndex,
  manifests: [
    {
      mediaType: MediaType.OciManifest,
      digest: `sha256:${'a'.repeat(64)}`,
      size: 500,
      platform: { architecture: 'arm', os: 'linux', variant: 'v7' },
    },
    {
      mediaType: MediaType.OciManifest,
      digest: `sha256:${'b'.repeat(64)}`,
      size: 566,
      annotations: {
        'vnd.docker.reference.digest': `sha256:${'a'.repeat(64)}`,
        'vnd.docker.reference.type': 'attestation-manifest',
      },
      platform: { architecture: 'unknown', os: 'unknown' },
    },
  ],
});

describe('parseHistoryOutput', () => {
  const entries = parseHistoryOutput(HISTORY_OUTPUT);

  test('returns entries oldest first', () => {
    expect(entries).toHaveLength(8);
    expect(entries[0].comment).toBe('Imported from -');
    expect(entries[7].createdBy).toBe('CMD ["cat" "/data/greeting.txt"]');
  });

  test('reads sizes as bytes', () => {
    expect(entries.map((entry) => entry.size)).toEqual([2205194, 0, 0, 300006, 0, 231, 0, 0]);
  });

  test('keeps the untruncated instruction', () => {
    expect(entries[3].createdBy).toBe(
      'RUN /bin/sh -c echo "$GREETING" > greeting.txt && head -c 300000 /dev/urandom > random.bin # buildkit',
    );
  });

  test('rejects human-readable sizes', () => {
    const line = '{"CreatedBy":"COPY . .","Size":"1.93MB"}';
    expect(() => parseHistoryOutput(line)).toThrow(/--human=false/);
  });
});

describe('mapHistoryToLayers', () => {
  const config = parseImageConfig(CONFIG_JSON);
  const mapped = mapHistoryToLayers(config, parseHistoryOutput(HISTORY_OUTPUT));

  test('gives each layer its instruction', () => {
    expect(mapped.layerCreatedBy).toEqual([
      '',
      'WORKDIR /data',
      'RUN /bin/sh -c echo "$GREETING" > greeting.txt && head -c 300000 /dev/urandom > random.bin # buildkit',
      'COPY Dockerfile /data/Dockerfile # buildkit',
      'RUN /bin/sh -c true # buildkit',
    ]);
  });

  test('gives each layer its size', () => {
    expect(mapped.layerSizes).toEqual([2205194, 0, 300006, 231, 0]);
  });

  test('layer sizes add up to image size', () => {
    // 2505431 is `docker image inspect --format '{{.Size}}' size-fixture:history`.
    const total = mapped.layerSizes.reduce((sum: number, size) => sum + (size ?? 0), 0);
    expect(total).toBe(2505431);
  });

  test('marks empty-layer entries', () => {
    const empty = mapped.history.filter((entry) => entry.emptyLayer);
    expect(empty.map((entry) => entry.createdBy)).toEqual([
      'ENV GREETING=hello',
      'LABEL purpose=fixture',
      'CMD ["cat" "/data/greeting.txt"]',
    ]);
    for (const entry of empty) {
      expect(entry.size).toBe(0);
      expect(entry.layerIndex).toBeUndefined();
    }
  });

  test('zero-size layers keep their index', () => {
    const workdir = mapped.history.find((entry) => entry.createdBy === 'WORKDIR /data');
    expect(workdir?.emptyLayer).toBe(false);
    expect(workdir?.layerIndex).toBe(1);
    const runTrue = mapped.history.find((entry) =>
      entry.createdBy.startsWith('RUN /bin/sh -c true'),
    );
    expect(runTrue?.layerIndex).toBe(4);
  });

  test('rejects history of another length', () => {
    const cliHistory = parseHistoryOutput(HISTORY_OUTPUT).slice(1);
    expect(() => mapHistoryToLayers(config, cliHistory)).toThrow(/listed 7 entries.*has 8/);
  });

  test('rejects more entries than layers', () => {
    const fewerLayers = { ...config, diffIds: config.diffIds.slice(0, 4) };
    expect(() => mapHistoryToLayers(fewerLayers, parseHistoryOutput(HISTORY_OUTPUT))).toThrow(
      /more non-empty history entries than its 4 layers/,
    );
  });

  test('config without history leaves sizes unknown', () => {
    const noHistory = { ...config, history: [] };
    const result = mapHistoryToLayers(noHistory, []);
    expect(result.history).toEqual([]);
    expect(result.layerSizes).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('parseImageConfig', () => {
  test('reads platform and diff IDs', () => {
    const config = parseImageConfig(CONFIG_JSON);
    expect(config.os).toBe('linux');
    expect(config.architecture).toBe('amd64');
    expect(config.variant).toBeUndefined();
    expect(config.diffIds).toHaveLength(5);
    expect(config.diffIds[0]).toBe(BUSYBOX_DIFF_IDS[0]);
  });
});

describe('countSharedLayers', () => {
  const diffIds = parseImageConfig(CONFIG_JSON).diffIds;

  test('base image layers are a prefix', () => {
    expect(countSharedLayers(diffIds, BUSYBOX_DIFF_IDS)).toBe(1);
  });

  test('another base version shares none', () => {
    expect(countSharedLayers(diffIds, [`sha256:${'0'.repeat(64)}`])).toBe(0);
  });

  test('shared layers stop at first difference', () => {
    const base = [diffIds[0], diffIds[1], `sha256:${'0'.repeat(64)}`];
    expect(countSharedLayers(diffIds, base)).toBe(2);
  });

  test('image equal to its base shares all', () => {
    expect(countSharedLayers(diffIds, diffIds)).toBe(5);
  });
});

describe('parseManifestDocument', () => {
  test('reads a Docker schema 2 manifest', () => {
    const manifest = parseManifestDocument(SCHEMA2_MANIFEST);
    expect(manifest.kind).toBe('image');
    if (manifest.kind !== 'image') return;
    expect(manifest.mediaType).toBe(MediaType.DockerManifest);
    expect(manifest.config.size).toBe(608);
    expect(manifest.layers).toHaveLength(1);
    expect(manifest.layers[0].size).toBe(854181);
    expect(manifest.layers[0].mediaType).toBe('application/vnd.docker.image.rootfs.diff.tar.gzip');
  });

  test('reads a Docker manifest list', () => {
    const list = parseManifestDocument(MANIFEST_LIST);
    expect(list.kind).toBe('index');
    if (list.kind !== 'index') return;
    expect(list.mediaType).toBe(MediaType.DockerManifestList);
    expect(list.manifests.map((entry) => formatPlatform(entry.platform))).toEqual([
      'linux/amd64',
      'linux/arm64',
    ]);
  });

  test('reads an OCI manifest', () => {
    const manifest = parseManifestDocument(OCI_MANIFEST);
    expect(manifest.kind).toBe('image');
    expect(manifest.mediaType).toBe(MediaType.OciManifest);
  });

  test('reads an OCI index', () => {
    const index = parseManifestDocument(OCI_INDEX);
    expect(index.kind).toBe('index');
    if (index.kind !== 'index') return;
    expect(index.manifests).toHaveLength(2);
    expect(formatPlatform(index.manifests[0].platform)).toBe('linux/arm/v7');
  });

  test('media type may be absent', () => {
    const { mediaType: _indexType, ...index } = JSON.parse(OCI_INDEX) as Record<string, unknown>;
    expect(parseManifestDocument(JSON.stringify(index)).kind).toBe('index');
    const { mediaType: _type, ...manifest } = JSON.parse(OCI_MANIFEST) as Record<string, unknown>;
    expect(parseManifestDocument(JSON.stringify(manifest)).kind).toBe('image');
  });

  test('rejects schema 1', () => {
    const schema1 = JSON.stringify({ schemaVersion: 1, name: 'x', tag: '1', fsLayers: [] });
    expect(() => parseManifestDocument(schema1)).toThrow(/schema 1 manifest/);
  });

  test('rejects unknown media type', () => {
    const text = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.example+json' });
    expect(() => parseManifestDocument(text)).toThrow(/Unsupported manifest media type/);
  });

  test('rejects descriptor without size', () => {
    const text = JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { digest: 'sha256:abc' },
      layers: [],
    });
    expect(() => parseManifestDocument(text)).toThrow(/Invalid descriptor in 'config'/);
  });
});

describe('summarizeImageManifest', () => {
  test('sums Docker layer sizes', () => {
    const manifest = parseManifestDocument(SCHEMA2_MANIFEST);
    if (manifest.kind !== 'image') throw new Error('expected an image manifest');
    const digest = `sha256:${createHash('sha256').update(SCHEMA2_MANIFEST).digest('hex')}`;
    const summary = summarizeImageManifest(manifest, { digest, size: 526 }, 'linux/amd64');
    expect(summary.compressedSize).toBe(854181);
    expect(summary.configSize).toBe(608);
    expect(summary.manifestSize).toBe(Buffer.byteLength(SCHEMA2_MANIFEST));
    // The digest `docker buildx imagetools inspect` printed for this manifest.
    expect(summary.digest).toBe(
      'sha256:33357696c49ef58b03b0e7a10df0e7f9b39d85b5f611c627b02c647118c9eed4',
    );
  });

  test('sums OCI layers of any compression', () => {
    const manifest = parseManifestDocument(OCI_MANIFEST);
    if (manifest.kind !== 'image') throw new Error('expected an image manifest');
    const summary = summarizeImageManifest(manifest, { digest: 'sha256:x', size: 1 }, '');
    expect(summary.compressedSize).toBe(1234);
    expect(summary.layers.map((layer) => layer.mediaType)).toEqual([
      'application/vnd.oci.image.layer.v1.tar+gzip',
      'application/vnd.oci.image.layer.v1.tar+zstd',
    ]);
  });
});

describe('per-platform report of a manifest list', () => {
  // The platform manifests of MANIFEST_LIST, fetched by digest in the same session.
  const platformLayers: Record<string, number> = {
    'sha256:0c7fb252004996243112821e94f9ff26c1a6ec07bd37aa935ead539ab7800564': 854181,
    'sha256:d1daee11f4fb45ddfdc53aabec80b0f3f77b76829c790e9eaa828540ecfa994d': 783280,
  };

  test('gives each platform its size', () => {
    const list = parseManifestDocument(MANIFEST_LIST);
    if (list.kind !== 'index') throw new Error('expected an index');
    const report = list.manifests.map((descriptor) => {
      const child = parseManifestDocument(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.DockerManifest,
          config: {
            mediaType: 'application/vnd.docker.container.image.v1+json',
            digest: 'sha256:c',
            size: 608,
          },
          layers: [
            {
              mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
              digest: 'sha256:l',
              size: platformLayers[descriptor.digest],
            },
          ],
        }),
      );
      if (child.kind !== 'image') throw new Error('expected an image manifest');
      return summarizeImageManifest(child, descriptor, formatPlatform(descriptor.platform));
    });
    expect(report.map((platform) => [platform.platform, platform.compressedSize])).toEqual([
      ['linux/amd64', 854181],
      ['linux/arm64', 783280],
    ]);
    expect(report.every((platform) => platform.manifestSize === 526)).toBe(true);
  });

  test('attestation manifests are recognized', () => {
    const index = parseManifestDocument(OCI_INDEX);
    if (index.kind !== 'index') throw new Error('expected an index');
    expect(index.manifests.map(isAttestationManifest)).toEqual([false, true]);
  });
});

describe('repositoryOf', () => {
  test.each([
    ['127.0.0.1:5000/go2docker:size-e2e', '127.0.0.1:5000/go2docker'],
    ['127.0.0.1:5000/go2docker', '127.0.0.1:5000/go2docker'],
    ['ghcr.io/owner/app:v1@sha256:abc', 'ghcr.io/owner/app'],
    ['localhost:5000/a/b@sha256:abc', 'localhost:5000/a/b'],
    ['busybox:latest', 'busybox'],
  ])('%s', (ref, repository) => {
    expect(repositoryOf(ref)).toBe(repository);
  });
});

describe('tar stream measurement', () => {
  // Real archives made by GNU tar. The 141-character name takes a GNU long-name entry, a pax
  // record or the ustar prefix field, by format. There is also a symlink,
  // a directory, an empty file and a file that spans many blocks.
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'image-size-tar-'));
  const longName = `${'d'.repeat(60)}/${'f'.repeat(80)}.bin`;
  const contents: Record<string, Buffer> = {
    'manifest.json': Buffer.from('[{"Config":"config.json","Layers":["layer/layer.tar"]}]'),
    'config.json': Buffer.from('{"os":"linux"}'),
    'layer/layer.tar': Buffer.concat([Buffer.alloc(70_000, 7), Buffer.from('tail')]),
    'empty.txt': Buffer.alloc(0),
    [longName]: Buffer.from('long name content'),
  };
  for (const [name, content] of Object.entries(contents)) {
    fs.mkdirSync(path.dirname(path.join(work, 'tree', name)), { recursive: true });
    fs.writeFileSync(path.join(work, 'tree', name), content);
  }
  fs.symlinkSync('layer/layer.tar', path.join(work, 'tree', 'link.tar'));

  async function measure(format: string): Promise<Map<string, SavedFile>> {
    const archive = path.join(work, `${format}.tar`);
    execFileSync('tar', ['-C', path.join(work, 'tree'), `--format=${format}`, '-cf', archive, '.']);
    const files = await measureTarStream(fs.createReadStream(archive, { highWaterMark: 777 }));
    return new Map(files.map((file) => [file.name.replace(/^\.\//, ''), file]));
  }

  test.each(['gnu', 'pax', 'ustar'])('%s format files', async (format) => {
    const files = await measure(format);
    const expected = Object.keys(contents);
    expect([...files.keys()].sort()).toEqual(expected.sort());
    for (const name of expected) {
      const file = files.get(name)!;
      const content = contents[name];
      expect(file.size).toBe(content.length);
      expect(file.digest).toBe(`sha256:${createHash('sha256').update(content).digest('hex')}`);
      expect(file.gzipSize).toBe(zlib.gzipSync(content).length);
    }
  });

  test('finds config through manifest.json', async () => {
    const files = await measure('gnu');
    const config = findSavedConfig(
      [...files.values()].map((file) => ({ ...file, name: file.name.replace(/^\.\//, '') })),
    );
    expect(config.content?.toString()).toBe('{"os":"linux"}');
  });

  test('truncated stream is rejected', async () => {
    const archive = fs.readFileSync(path.join(work, 'gnu.tar'));
    const cut = archive.subarray(0, 2048 + 100);
    await expect(measureTarStream(Readable.from([cut]))).rejects.toThrow(/cut short/);
  });
});

describe('tar fields', () => {
  test('octal size', () => {
    expect(parseTarNumber(Buffer.from('00000001750\0', 'ascii'))).toBe(1000);
  });

  test('base-256 size', () => {
    const field = Buffer.alloc(12);
    field[0] = 0x80;
    field.writeUIntBE(9_000_000_000, 6, 6);
    expect(parseTarNumber(field)).toBe(9_000_000_000);
  });

  test('pax records', () => {
    // Each record starts with its own length in bytes, the length digits included.
    const text = '31 path=blobs/sha256/aaaaaaaaa\n17 size=12345678\n';
    expect(parsePaxRecords(text)).toEqual({ path: 'blobs/sha256/aaaaaaaaa', size: '12345678' });
  });
});
