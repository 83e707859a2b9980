// The proxy's copy on disk of the last configuration it applied, so that a
// proxy starting while the admin is away serves what it served before
// instead of nothing. Written whole or not at all (temp file, fsync, rename),
// so a crash mid-write leaves the previous copy; several proxy processes may
// share one file, each writing under its own temp name, the last rename
// winning.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Frontend, Namespace } from '../frontend/model.js';
import type { ConfigSnapshot } from './config.js';

export const DEFAULT_CONFIG_CACHE_FILE = './.prism/proxy-config.json';

// Names the layout, so a later one can tell this one apart instead of misreading it.
const FORMAT = 'prism.proxy-config.v1';

interface CacheFileContent {
  format: string;
  revision: string;
  saved_at: string;
  frontends: Frontend[];
  namespaces: Namespace[];
}

export class ConfigCacheError extends Error {
  constructor(readonly file: string, reason: string) {
    super(`configuration cache ${file}: ${reason}`);
    this.name = 'ConfigCacheError';
  }
}

export interface CachedConfig {
  snapshot: ConfigSnapshot;
  savedAt: string;
}

/** The cached configuration, undefined when there is no cache file; ConfigCacheError when it cannot be used. */
export async function readConfigCache(file: string): Promise<CachedConfig | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigCacheError(file, (err as Error).message);
  }
  return parseCache(file, text);
}

function parseCache(file: string, text: string): CachedConfig {
  let content: CacheFileContent;
  try {
    content = JSON.parse(text) as CacheFileContent;
  } catch (err) {
    throw new ConfigCacheError(file, `not JSON: ${(err as Error).message}`);
  }
  if (content?.format !== FORMAT) throw new ConfigCacheError(file, `not a ${FORMAT} file`);
  if (typeof content.revision !== 'string' || !/^\d+$/.test(content.revision)) throw new ConfigCacheError(file, 'no revision');
  return {
    snapshot: Object.freeze({
      revision: content.revision,
      frontends: byName(file, 'frontends', content.frontends),
      namespaces: byName(file, 'namespaces', content.namespaces),
    }),
    savedAt: String(content.saved_at),
  };
}

function byName<T extends { name: string }>(file: string, field: string, values: unknown): Map<string, T> {
  const named = (v: unknown): v is T => typeof (v as T | null)?.name === 'string';
  if (!Array.isArray(values) || !values.every(named)) throw new ConfigCacheError(file, `${field}: expected a list of named objects`);
  return new Map(values.map((v) => [v.name, v]));
}

/** Replaces the cache file with `snapshot`, atomically and durably. */
export async function writeConfigCache(file: string, snapshot: ConfigSnapshot): Promise<void> {
  const content: CacheFileContent = {
    format: FORMAT,
    revision: snapshot.revision,
    saved_at: new Date().toISOString(),
    frontends: [...snapshot.frontends.values()],
    namespaces: [...snapshot.namespaces.values()],
  };
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  // Unique per writer: processes sharing the file never write into each other's temp file.
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(JSON.stringify(content));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await syncDirectory(dir);
}

/** The rename itself survives a crash only once the directory is on disk. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * One process's writer of the cache: one write at a time, in order, and a
 * snapshot superseded while a write is running is skipped for the newest.
 */
export class ConfigCacheWriter {
  private pending: ConfigSnapshot | undefined;
  private writing: Promise<void> | undefined;

  constructor(readonly file: string) {}

  /** Resolves once `snapshot`, or a newer one, is on disk. */
  save(snapshot: ConfigSnapshot): Promise<void> {
    this.pending = snapshot;
    this.writing ??= this.drain();
    return this.writing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending) {
        const next = this.pending;
        this.pending = undefined;
        await writeConfigCache(this.file, next);
      }
    } finally {
      this.writing = undefined;
    }
  }
}
