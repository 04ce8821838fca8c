import { beforeAll, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import {
  ImageMeasurement,
  measureLocalImage,
  measureRegistryImage,
  RegistryMeasurement,
} from '../src/docker/image-size.js';
import { MediaType } from '../src/docker/registry.js';
import {
  ACTION_RUN_TIMEOUT_MS,
  describeWithRegistry,
  docker,
  projectRoot,
  REGISTRY,
} from './support.js';

const REPOSITORY = `${REGISTRY}/go2docker`;
const TAG = `${REPOSITORY}:size-e2e`;

/**
 * Maximum relative difference between the local gzip estimate and the registry's compressed
 * size. It was 0.46% for this example with dockerd 20.10, whose Go gzip output is a little
 * larger than Node's zlib output at the same level.
 */
const ESTIMATE_TOLERANCE = 0.02;

const DOCKER_MANIFEST_ACCEPT = [
  MediaType.DockerManifest,
  MediaType.DockerManifestList,
  MediaType.OciManifest,
  MediaType.OciIndex,
].join(', ');

/** Fetches a manifest straight from the registry over HTTP, without Docker or Buildx. */
async function fetchManifest(reference: string): Promise<{ text: string; digest: string }> {
  const response = await fetch(`http://${REGISTRY}/v2/go2docker/manifests/${reference}`, {
    headers: { Accept: DOCKER_MANIFEST_ACCEPT },
  });
  expect(response.status).toBe(200);
  const text = await response.text();
  return { text, digest: response.headers.get('docker-content-digest') ?? '' };
}

async function putManifest(reference: string, mediaType: string, body: string): Promise<void> {
  const response = await fetch(`http://${REGISTRY}/v2/go2docker/manifests/${reference}`, {
    method: 'PUT',
    headers: { 'Content-Type': mediaType },
    body,
  });
  if (response.status !== 201) {
    throw new Error(
      `PUT manifest ${reference} returned ${response.status}: ${await response.text()}`,
    );
  }
}

function sha256Digest(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

interface ManifestJson {
  config: { mediaType: string; digest: string; size: number };
  layers: { mediaType: string; digest: string; size: number }[];
}

describeWithRegistry('image size measurement', () => {
  let local: ImageMeasurement;
  let pushed: RegistryMeasurement;
  let registryManifest: ManifestJson;
  let registryDigest: string;

  beforeAll(async () => {
    docker([
      'buildx',
      'build',
      '--progress',
      'plain',
      '--load',
      '--tag',
      TAG,
      path.join(projectRoot, 'examples/go2docker'),
    ]);
    local = await measureLocalImage(TAG, 'scratch');
    docker(['push', TAG]);
    pushed = await measureRegistryImage(TAG);
    const fetched = await fetchManifest('size-e2e');
    registryManifest = JSON.parse(fetched.text) as ManifestJson;
    registryDigest = fetched.digest;
  }, ACTION_RUN_TIMEOUT_MS);

  test('local size equals docker image inspect', () => {
    expect(local.size).toBe(Number(docker(['image', 'inspect', '--format', '{{.Size}}', TAG])));
    expect(local.imageId).toBe(docker(['image', 'inspect', '--format', '{{.Id}}', TAG]));
  });

  test('local layers add up to size', () => {
    const layers = JSON.parse(
      docker(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', TAG]),
    ) as string[];
    expect(local.layers.map((layer) => layer.diffId)).toEqual(layers);
    const total = local.layers.reduce((sum, layer) => sum + (layer.size ?? 0), 0);
    expect(total).toBe(local.size);
  });

  test('local layer names its instruction', () => {
    expect(local.layers.at(-1)?.createdBy).toBe('COPY /out/app /app # buildkit');
  });

  test('scratch image has no base share', () => {
    expect(local.base).toEqual({ kind: 'scratch' });
    expect(local.added.size).toBe(local.size);
    expect(local.added.layerCount).toBe(local.layers.length);
  });

  test('registry digest equals pushed manifest', () => {
    expect(pushed.digest).toBe(registryDigest);
    const repoDigests = docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', TAG]);
    expect(JSON.parse(repoDigests)).toContain(`${REPOSITORY}@${pushed.digest}`);
  });

  test('registry size sums manifest layers', () => {
    const layerSum = registryManifest.layers.reduce((sum, layer) => sum + layer.size, 0);
    expect(pushed.isIndex).toBe(false);
    expect(pushed.platforms).toHaveLength(1);
    expect(pushed.platforms[0].compressedSize).toBe(layerSum);
    expect(pushed.platforms[0].platform).toBe(local.platform);
  });

  test('local config is the pushed config', () => {
    expect(local.configSize).toBe(registryManifest.config.size);
    expect(registryManifest.config.digest).toBe(local.imageId);
  });

  test('gzip estimate is near registry size', () => {
    const registrySize = pushed.platforms[0].compressedSize;
    const difference = Math.abs(local.compressedSize - registrySize) / registrySize;
    console.log(
      `go2docker: local gzip estimate ${local.compressedSize} B, registry ${registrySize} B ` +
        `(${(difference * 100).toFixed(2)}% apart)`,
    );
    expect(difference).toBeLessThanOrEqual(ESTIMATE_TOLERANCE);
  });

  // dockerd 20.10 pushes Docker media types only, so the OCI manifest and index are written
  // here over the registry's HTTP API, reusing the pushed config and layer blobs.
  test('OCI index per platform', async () => {
    const ociManifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { ...registryManifest.config, mediaType: 'application/vnd.oci.image.config.v1+json' },
      layers: registryManifest.layers.map((layer) => ({
        ...layer,
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      })),
    });
    await putManifest('size-e2e-oci-amd64', MediaType.OciManifest, ociManifest);
    const [os, architecture] = local.platform.split('/');
    const ociIndex = JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: [
        {
          mediaType: MediaType.OciManifest,
          digest: sha256Digest(ociManifest),
          size: Buffer.byteLength(ociManifest),
          platform: { os, architecture },
        },
      ],
    });
    await putManifest('size-e2e-oci', MediaType.OciIndex, ociIndex);

    const measured = await measureRegistryImage(`${REPOSITORY}:size-e2e-oci`);
    expect(measured.digest).toBe(sha256Digest(ociIndex));
    expect(measured.isIndex).toBe(true);
    expect(measured.mediaType).toBe(MediaType.OciIndex);
    expect(measured.platforms.map((platform) => platform.platform)).toEqual([local.platform]);
    expect(measured.platforms[0].digest).toBe(sha256Digest(ociManifest));
    expect(measured.platforms[0].mediaType).toBe(MediaType.OciManifest);
    expect(measured.platforms[0].compressedSize).toBe(pushed.platforms[0].compressedSize);
  });
});
