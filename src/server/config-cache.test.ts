import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kvFrontend, kvNamespace, tempDir } from '../admin/testing.js';
import type { ConfigSnapshot } from './config.js';
import { ConfigCacheError, ConfigCacheWriter, readConfigCache, writeConfigCache } from './config-cache.js';

function snapshot(revision: number): ConfigSnapshot {
  const frontend = { ...kvFrontend('kv', `/kv${revision}`), revision: String(revision) };
  const namespace = { ...kvNamespace('default', ['kv']), revision: String(revision) };
  return { revision: String(revision), frontends: new Map([['kv', frontend]]), namespaces: new Map([['default', namespace]]) };
}

describe('the configuration cache file', () => {
  let temp: ReturnType<typeof tempDir>;
  let file: string;

  beforeEach(() => {
    temp = tempDir();
    file = join(temp.dir, 'nested', 'proxy-config.json');
  });
  afterEach(() => temp.remove());

  const leftovers = () => readdirSync(join(temp.dir, 'nested')).filter((name) => name !== 'proxy-config.json');

  it('reads back what was written, creating the directory, leaving no temp file', async () => {
    await writeConfigCache(file, snapshot(7));
    const cached = await readConfigCache(file);
    expect(cached?.snapshot).toEqual(snapshot(7));
    expect(Date.parse(cached!.savedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(leftovers()).toEqual([]);
  });

  it('is absent when there is no file', async () => {
    expect(await readConfigCache(join(temp.dir, 'none.json'))).toBeUndefined();
  });

  it('refuses a file that is not a whole cache, naming the file', async () => {
    await writeConfigCache(file, snapshot(1));
    const whole = readFileSync(file, 'utf8');
    const broken = [
      whole.slice(0, whole.length / 2),
      '{"format":"something else","revision":"1","frontends":[],"namespaces":[]}',
      whole.replace('"revision":"1"', '"revision":"one"'),
      whole.replace(/"namespaces":\[.*\]/, '"namespaces":{}'),
      whole.replace(/"frontends":\[.*?\],"namespaces"/, '"frontends":[{"type":"REST"}],"namespaces"'),
    ];
    for (const text of broken) {
      writeFileSync(file, text);
      const err = await readConfigCache(file).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigCacheError);
      expect((err as Error).message).toContain(file);
    }
  });

  it('stays whole under concurrent writers and readers sharing the path', async () => {
    await writeConfigCache(file, snapshot(0));
    let reading = true;
    let reads = 0;
    const reader = (async () => {
      while (reading) {
        // Every read sees one writer's whole file, never a mix or a partial one.
        const cached = await readConfigCache(file);
        expect(Number(cached!.snapshot.revision)).toBeGreaterThanOrEqual(0);
        reads++;
      }
    })();
    const revisions = Array.from({ length: 40 }, (_, i) => i + 1);
    await Promise.all(revisions.map((r) => writeConfigCache(file, snapshot(r))));
    reading = false;
    await reader;

    const final = await readConfigCache(file);
    expect(revisions).toContain(Number(final!.snapshot.revision));
    expect(final!.snapshot).toEqual(snapshot(Number(final!.snapshot.revision)));
    expect(reads).toBeGreaterThan(0);
    expect(leftovers()).toEqual([]);
  });

  it('a writer keeps order: the newest snapshot saved is the one left on disk', async () => {
    const writer = new ConfigCacheWriter(file);
    const saves = [1, 2, 3, 4, 5].map((r) => writer.save(snapshot(r)));
    await Promise.all(saves);
    expect((await readConfigCache(file))?.snapshot.revision).toBe('5');
    await writer.save(snapshot(6));
    expect((await readConfigCache(file))?.snapshot.revision).toBe('6');
  });

  it('a write that cannot complete leaves no temp file behind', async () => {
    // A non-empty directory where the file goes: the final rename fails.
    mkdirSync(join(file, 'occupied'), { recursive: true });
    await expect(writeConfigCache(file, snapshot(4))).rejects.toThrow();
    expect(leftovers()).toEqual([]);
  });
});
