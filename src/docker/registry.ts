import * as exec from '@actions/exec';
import { lastLines } from './buildx.js';

/** Media types of image manifests and of manifest lists (indexes), Docker and OCI. */
export const MediaType = {
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  DockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
} as const;

/** A content descriptor: the digest, size and media type by which a manifest or index refers to a blob or manifest. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  /** Bytes of the blob as the registry stores it, so compressed for layers. */
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
  annotations?: Record<string, string>;
}

/** A parsed manifest document: an image manifest or an index (manifest list). */
export type ManifestDocument =
  | { kind: 'image'; mediaType: string; config: Descriptor; layers: Descriptor[] }
  | { kind: 'index'; mediaType: string; manifests: Descriptor[] };

/** One layer as the registry's manifest lists it. */
export interface RegistryLayer {
  digest: string;
  mediaType: string;
  /** Compressed bytes, as stored and downloaded. */
  size: number;
}

/** One platform's image in a registry. */
export interface PlatformImage {
  /** `os/architecture[/variant]`, or '' when neither the index nor the config names one. */
  platform: string;
  /** Digest of this platform's image manifest. */
  digest: string;
  mediaType: string;
  manifestSize: number;
  configSize: number;
  /** Sum of the manifest's layer sizes, the number registries show as the compressed size. */
  compressedSize: number;
  layers: RegistryLayer[];
}

/** An image's digest and per-platform layer sizes, as read from its registry. */
export interface RegistryMeasurement {
  ref: string;
  /** Digest of the manifest or index that `ref` points to. */
  digest: string;
  mediaType: string;
  /** True when `ref` points to an index (manifest list), even one with a single platform. */
  isIndex: boolean;
  /** Platform images in index order; attestation manifests are left out. */
  platforms: PlatformImage[];
  /** Attestation manifests (provenance, SBOM) that BuildKit adds to an index, not counted. */
  attestationCount: number;
}

/** Maximum depth of indexes inside indexes that `measureRegistryImage` follows. */
const MAX_INDEX_DEPTH = 2;

/**
 * Parses a manifest or index as the registry serves it. The media type decides, and when it is
 * absent (OCI allows that) the `manifests` or `layers` field does. Schema 1 manifests are
 * rejected, because they carry no layer sizes.
 */
export function parseManifestDocument(text: string): ManifestDocument {
  const document = JSON.parse(text) as Record<string, unknown>;
  const mediaType = typeof document.mediaType === 'string' ? document.mediaType : '';
  if (
    document.schemaVersion === 1 ||
    mediaType === MediaType.DockerSchema1 ||
    mediaType === MediaType.DockerSchema1Signed
  ) {
    throw new Error(
      'The registry returned a Docker schema 1 manifest, which lists no layer sizes. ' +
        'Push the image again with a current Docker or Buildx to get a schema 2 or OCI manifest.',
    );
  }

  const isIndex =
    mediaType === MediaType.DockerManifestList ||
    mediaType === MediaType.OciIndex ||
    (mediaType === '' && Array.isArray(document.manifests));
  if (isIndex) {
    if (!Array.isArray(document.manifests)) {
      throw new Error(
        `Invalid index of media type ${mediaType}: the 'manifests' field is missing.`,
      );
    }
    return {
      kind: 'index',
      mediaType: mediaType || MediaType.OciIndex,
      manifests: document.manifests.map((entry) => parseDescriptor(entry, 'manifests')),
    };
  }

  const isImage =
    mediaType === MediaType.DockerManifest ||
    mediaType === MediaType.OciManifest ||
    (mediaType === '' && Array.isArray(document.layers));
  if (!isImage) {
    throw new Error(
      `Unsupported manifest media type '${mediaType}'. Expected a Docker schema 2 or OCI ` +
        'image manifest or index.',
    );
  }
  if (!Array.isArray(document.layers)) {
    throw new Error(`Invalid image manifest of media type ${mediaType}: 'layers' is missing.`);
  }
  return {
    kind: 'image',
    mediaType: mediaType || MediaType.OciManifest,
    config: parseDescriptor(document.config, 'config'),
    layers: document.layers.map((entry) => parseDescriptor(entry, 'layers')),
  };
}

function parseDescriptor(value: unknown, field: string): Descriptor {
  const entry = (value ?? {}) as Record<string, unknown>;
  if (typeof entry.digest !== 'string' || typeof entry.size !== 'number') {
    throw new Error(
      `Invalid descriptor in '${field}': expected a digest string and a size number, got ` +
        `${JSON.stringify(value)}.`,
    );
  }
  const descriptor: Descriptor = {
    mediaType: typeof entry.mediaType === 'string' ? entry.mediaType : '',
    digest: entry.digest,
    size: entry.size,
  };
  const platform = entry.platform as Record<string, unknown> | undefined;
  if (platform && typeof platform.os === 'string' && typeof platform.architecture === 'string') {
    descriptor.platform = { os: platform.os, architecture: platform.architecture };
    if (typeof platform.variant === 'string') descriptor.platform.variant = platform.variant;
  }
  if (entry.annotations && typeof entry.annotations === 'object') {
    descriptor.annotations = entry.annotations as Record<string, string>;
  }
  return descriptor;
}

/** Formats a platform as `os/architecture[/variant]`, the form `--platform` takes. */
export function formatPlatform(platform: Descriptor['platform']): string {
  if (!platform) return '';
  const parts = [platform.os, platform.architecture];
  if (platform.variant) parts.push(platform.variant);
  return parts.join('/');
}

/**
 * Returns true for the attestation manifests that BuildKit adds to an index. They carry
 * provenance and SBOM documents, not a runnable image, and their platform is unknown/unknown.
 */
export function isAttestationManifest(descriptor: Descriptor): boolean {
  return descriptor.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest';
}

/** Sums an image manifest's layer sizes into one platform's measurement. */
export function summarizeImageManifest(
  manifest: Extract<ManifestDocument, { kind: 'image' }>,
  descriptor: Pick<Descriptor, 'digest' | 'size'>,
  platform: string,
): PlatformImage {
  const layers = manifest.layers.map((layer) => ({
    digest: layer.digest,
    mediaType: layer.mediaType,
    size: layer.size,
  }));
  return {
    platform,
    digest: descriptor.digest,
    mediaType: manifest.mediaType,
    manifestSize: descriptor.size,
    configSize: manifest.config.size,
    compressedSize: layers.reduce((sum, layer) => sum + layer.size, 0),
    layers,
  };
}

/**
 * Returns the repository part of an image reference, without tag or digest. The tag is the
 * part after the last ':' that follows the last '/', so a registry port stays.
 */
export function repositoryOf(ref: string): string {
  const withoutDigest = ref.split('@')[0];
  const lastSlash = withoutDigest.lastIndexOf('/');
  const lastColon = withoutDigest.lastIndexOf(':');
  return lastColon > lastSlash ? withoutDigest.slice(0, lastColon) : withoutDigest;
}

/**
 * Reads an image from its registry with `docker buildx imagetools inspect`, and returns its
 * digest and, per platform, the layers and compressed size of the manifest. Works for a single
 * image manifest and for an index (manifest list), with Docker or OCI media types. Buildx reads
 * registries with the docker CLI's credentials, and over plain HTTP only for localhost,
 * 127.0.0.1 and ::1 unless a builder's buildkitd.toml marks a registry as insecure.
 */
export async function measureRegistryImage(ref: string): Promise<RegistryMeasurement> {
  const top = JSON.parse(await imagetools(['--format', '{{json .Manifest}}', ref])) as Descriptor;
  const document = parseManifestDocument(await imagetools(['--raw', ref]));
  const measurement: RegistryMeasurement = {
    ref,
    digest: top.digest,
    mediaType: document.mediaType,
    isIndex: document.kind === 'index',
    platforms: [],
    attestationCount: 0,
  };

  if (document.kind === 'image') {
    const platform = await readConfigPlatform(ref);
    measurement.platforms.push(summarizeImageManifest(document, top, platform));
    return measurement;
  }
  await collectIndex(repositoryOf(ref), document.manifests, measurement, 1);
  return measurement;
}

async function collectIndex(
  repository: string,
  manifests: Descriptor[],
  measurement: RegistryMeasurement,
  depth: number,
): Promise<void> {
  for (const descriptor of manifests) {
    if (isAttestationManifest(descriptor)) {
      measurement.attestationCount++;
      continue;
    }
    const byDigest = `${repository}@${descriptor.digest}`;
    const child = parseManifestDocument(await imagetools(['--raw', byDigest]));
    if (child.kind === 'index') {
      if (depth >= MAX_INDEX_DEPTH) {
        throw new Error(
          `${byDigest} is an index nested ${depth + 1} levels deep; at most ` +
            `${MAX_INDEX_DEPTH} levels are read.`,
        );
      }
      await collectIndex(repository, child.manifests, measurement, depth + 1);
      continue;
    }
    const platform = formatPlatform(descriptor.platform) || (await readConfigPlatform(byDigest));
    measurement.platforms.push(summarizeImageManifest(child, descriptor, platform));
  }
}

/** Reads os, architecture and variant from an image's config blob. */
async function readConfigPlatform(ref: string): Promise<string> {
  const config = JSON.parse(await imagetools(['--format', '{{json .Image}}', ref])) as {
    os?: string;
    architecture?: string;
    variant?: string;
  };
  if (!config.os || !config.architecture) return '';
  return formatPlatform({
    os: config.os,
    architecture: config.architecture,
    variant: config.variant,
  });
}

async function imagetools(args: string[]): Promise<string> {
  const fullArgs = ['buildx', 'imagetools', 'inspect', ...args];
  const result = await exec.getExecOutput('docker', fullArgs, {
    silent: true,
    ignoreReturnCode: true,
  });
  if (result.exitCode !== 0) {
    throw new Error(
      `'docker ${fullArgs.join(' ')}' failed with exit code ${result.exitCode}: ` +
        `${lastLines(result.stderr, 3)}. Check that the image was pushed and that the docker ` +
        'CLI is logged in to its registry.',
    );
  }
  return result.stdout;
}
