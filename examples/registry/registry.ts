// Schema registry semantics (Confluent Schema Registry, CP 7.x), over a
// storage slot. Subjects hold numbered versions; each version points at a
// global schema id, one id per distinct schema (type, canonical text and
// references). Every rule that changes state runs in one storage write, so it
// holds across replicas sharing a backend.
import {
  incompatibleSchema,
  idConflict,
  noSubjectCompatibility,
  noSubjectMode,
  notPermitted,
  referenceExists,
  RegistryError,
  schemaIdNotFound,
  schemaNotInSubject,
  subjectNotFound,
  subjectNotSoftDeleted,
  subjectSoftDeleted,
  versionNotFound,
  versionNotSoftDeleted,
  versionSoftDeleted,
} from './errors.js';
import {
  LATEST,
  paginate,
  parseCompatibilityLevel,
  parseMode,
  parseVersionId,
  requireValidSubject,
  type Mode,
  type Page,
  type VersionId,
} from './input.js';
import { parseStored, parseSubmitted, type Candidate, type SchemaInput } from './parsing.js';
import {
  checkCompatibility,
  protobufToSerialized,
  sameSchema,
  type CompatibilityLevel,
  type SchemaType,
} from './schema/index.js';
import {
  GLOBAL_SCOPE,
  type RegistryStorage,
  type SchemaReference,
  type StorageReader,
  type StorageWriter,
  type StoredSchema,
  type VersionRow,
} from './storage/storage.js';

export type { SchemaInput } from './parsing.js';

const DEFAULT_LEVEL: CompatibilityLevel = 'BACKWARD';
const DEFAULT_MODE: Mode = 'READWRITE';
const SERIALIZED_FORMAT = 'serialized';

export interface RegisterInput extends SchemaInput {
  /** IMPORT mode: the id to give the schema. 0 or less counts as absent. */
  id?: number;
  /** IMPORT mode: the version to store it as. 0 or less counts as absent. */
  version?: number;
}

/** A schema as stored under a subject version. */
export interface SchemaRecord {
  subject: string;
  version: number;
  id: number;
  schemaType: SchemaType;
  references: SchemaReference[];
  schema: string;
}

export interface SchemaById {
  schemaType: SchemaType;
  references: SchemaReference[];
  schema: string;
  maxId?: number;
}

export interface SubjectVersion {
  subject: string;
  version: number;
}

export interface CompatibilityResult {
  isCompatible: boolean;
  messages: string[];
}

export interface VersionFilter extends Page {
  /** Include soft-deleted versions. */
  deleted?: boolean;
  /** Only soft-deleted versions (for subjects: only subjects whose versions are all soft-deleted). */
  deletedOnly?: boolean;
}

export class Registry {
  constructor(private readonly storage: RegistryStorage) {}

  // ---- registration and lookup -------------------------------------------

  /** Registers `input` under `subject` and answers its id (§2.2). */
  async register(subject: string, input: RegisterInput): Promise<number> {
    requireValidSubject(subject);
    // Re-registration is the common case (every serializer does it on start),
    // so it is answered from a snapshot, without waiting for the writers' lock.
    const existing = await this.storage.read(async (tx) => {
      const live = liveVersions(await tx.versionsOf(subject));
      const candidate = await registrationCandidate(tx, input, live);
      return (await findHolder(tx, live, candidate, input.normalize))?.schemaId;
    });
    return existing ?? this.storage.write((tx) => this.registerIn(tx, subject, input));
  }

  /** The version of `subject` that holds `input` (§2.3). */
  lookup(subject: string, input: SchemaInput, deleted: boolean): Promise<SchemaRecord> {
    return this.storage.read(async (tx) => {
      const candidate = await parseSubmitted(tx, input);
      const versions = visibleVersions(await tx.versionsOf(subject), deleted);
      if (versions.length === 0) throw subjectNotFound(subject);
      const holder =
        (await findHolder(tx, versions, candidate, input.normalize)) ??
        (await findEquivalent(tx, versions, candidate, input.normalize));
      if (!holder) throw schemaNotInSubject(subject);
      return record(tx, holder);
    });
  }

  // ---- reads ---------------------------------------------------------------

  /** A schema by global id; `format: 'serialized'` gives PROTOBUF as a base64 descriptor. */
  schemaById(id: number, options: { format?: string; fetchMaxId?: boolean } = {}): Promise<SchemaById> {
    return this.storage.read(async (tx) => {
      const stored = await knownSchema(tx, id);
      return {
        schemaType: stored.schemaType,
        references: stored.references,
        schema: await render(tx, stored, options.format),
        ...(options.fetchMaxId ? { maxId: await tx.maxSchemaId() } : {}),
      };
    });
  }

  schemaByVersion(
    subject: string,
    version: string,
    options: { deleted?: boolean; format?: string } = {},
  ): Promise<SchemaRecord> {
    const versionId = parseVersionId(version);
    return this.storage.read(async (tx) => {
      const row = findVersion(subject, await tx.versionsOf(subject), versionId, options.deleted ?? false);
      return record(tx, row, options.format);
    });
  }

  listSchemas(
    options: { subjectPrefix?: string; deleted?: boolean; latestOnly?: boolean } & Page = {},
  ): Promise<SchemaRecord[]> {
    return this.storage.read(async (tx) => {
      const rows = visibleVersions(await tx.versionsWithPrefix(options.subjectPrefix ?? ''), options.deleted ?? false);
      const sorted = rows.sort(bySubjectThenVersion);
      const chosen = options.latestOnly ? sorted.filter((row, i) => sorted[i + 1]?.subject !== row.subject) : sorted;
      const records: SchemaRecord[] = [];
      for (const row of paginate(chosen, options)) records.push(await record(tx, row));
      return records;
    });
  }

  listSubjects(options: { subjectPrefix?: string } & VersionFilter = {}): Promise<string[]> {
    return this.storage.read(async (tx) => {
      const anyLive = new Map<string, boolean>();
      for (const row of await tx.versionsWithPrefix(options.subjectPrefix ?? '')) {
        anyLive.set(row.subject, (anyLive.get(row.subject) ?? false) || !row.deleted);
      }
      const subjects = [...anyLive]
        .filter(([, live]) => (options.deletedOnly ? !live : live || options.deleted))
        .map(([subject]) => subject);
      return paginate(subjects.sort(byCodeUnits), options);
    });
  }

  listVersions(subject: string, options: VersionFilter = {}): Promise<number[]> {
    return this.storage.read(async (tx) => {
      const versions = (await tx.versionsOf(subject)).filter((row) =>
        options.deletedOnly ? row.deleted : options.deleted || !row.deleted,
      );
      if (versions.length === 0) throw subjectNotFound(subject);
      return paginate(
        versions.map((row) => row.version),
        options,
      );
    });
  }

  /** Ids of the schemas that reference `subject` version `version`. */
  referencedBy(subject: string, version: string, options: { deleted?: boolean } & Page = {}): Promise<number[]> {
    const versionId = parseVersionId(version);
    return this.storage.read(async (tx) => {
      const target = findVersion(subject, await tx.versionsOf(subject), versionId, true);
      const referrers = visibleVersions(
        await tx.versionsReferencing(target.subject, target.version),
        options.deleted ?? false,
      );
      const ids = [...new Set(referrers.map((row) => row.schemaId))].sort((a, b) => a - b);
      return paginate(ids, options);
    });
  }

  subjectsById(id: number, options: { deleted?: boolean } & Page = {}): Promise<string[]> {
    return this.storage.read(async (tx) => {
      const rows = await usesOf(tx, id, options.deleted ?? false);
      return paginate([...new Set(rows.map((row) => row.subject))], options);
    });
  }

  versionsById(id: number, options: { deleted?: boolean } & Page = {}): Promise<SubjectVersion[]> {
    return this.storage.read(async (tx) => {
      const rows = await usesOf(tx, id, options.deleted ?? false);
      return paginate(
        rows.map(({ subject, version }) => ({ subject, version })),
        options,
      );
    });
  }

  // ---- deletion (§2.4) -------------------------------------------------------

  /** Deletes the subject's live versions (soft) or its soft-deleted ones (permanent); answers their numbers. */
  deleteSubject(subject: string, permanent: boolean): Promise<number[]> {
    return this.storage.write(async (tx) => {
      const versions = await tx.versionsOf(subject);
      if (versions.length === 0) throw subjectNotFound(subject);
      const live = liveVersions(versions);
      if (permanent && live.length > 0) throw subjectNotSoftDeleted(subject);
      if (!permanent && live.length === 0) throw subjectSoftDeleted(subject);
      await requireWritable(tx, subject);
      const doomed = permanent ? versions : live;
      // Referrers inside the subject go with it.
      for (const row of doomed) await requireUnreferenced(tx, row, (referrer) => referrer.subject !== subject);
      for (const row of doomed) {
        await (permanent ? tx.eraseVersion(subject, row.version) : tx.markDeleted(subject, row.version));
      }
      if (permanent) await dropSubjectSettings(tx, subject);
      return doomed.map((row) => row.version);
    });
  }

  deleteVersion(subject: string, version: string, permanent: boolean): Promise<number> {
    const versionId = parseVersionId(version);
    return this.storage.write(async (tx) => {
      const versions = await tx.versionsOf(subject);
      if (versions.length === 0) throw subjectNotFound(subject);
      const row = findVersion(subject, versions, versionId, true);
      if (!permanent && row.deleted) throw versionSoftDeleted(subject, row.version);
      if (permanent && !row.deleted) throw versionNotSoftDeleted(subject, row.version);
      await requireWritable(tx, subject);
      await requireUnreferenced(tx, row, () => true);
      if (!permanent) {
        await tx.markDeleted(subject, row.version);
      } else {
        await tx.eraseVersion(subject, row.version);
        if (versions.length === 1) await dropSubjectSettings(tx, subject);
      }
      return row.version;
    });
  }

  // ---- compatibility (§3.5) ----------------------------------------------------

  /**
   * Checks `input` against one version of the subject (`version` given) or
   * against the live versions its level demands (`version` empty). Unknown
   * subjects and `latest` of an empty subject are compatible.
   */
  checkCompatibility(
    subject: string,
    version: string,
    input: SchemaInput,
    verbose: boolean,
  ): Promise<CompatibilityResult> {
    const versionId = version === '' ? undefined : parseVersionId(version);
    return this.storage.read(async (tx) => {
      const live = liveVersions(await tx.versionsOf(subject));
      const compared = versionId === undefined ? live : comparedVersion(live, versionId);
      let candidate: Candidate;
      try {
        candidate = await parseSubmitted(tx, input);
      } catch (err) {
        // Confluent reports an invalid schema as incompatible when asked for details.
        if (!(verbose && err instanceof RegistryError && err.code === 42201)) throw err;
        return { isCompatible: false, messages: [err.message] };
      }
      const messages = await incompatibilities(tx, await effectiveLevel(tx, subject), candidate, compared);
      return { isCompatible: messages.length === 0, messages };
    });
  }

  // ---- configuration (§2.6) and modes (§2.7) -------------------------------------

  /** The subject's own level (40408 if none, unless `defaultToGlobal`); '' asks for the global level. */
  getConfig(subject: string, defaultToGlobal: boolean): Promise<CompatibilityLevel> {
    return this.storage.read(async (tx) => {
      const own = subject === '' ? undefined : await tx.setting('compatibility', subject);
      if (own) return own as CompatibilityLevel;
      if (subject !== '' && !defaultToGlobal) throw noSubjectCompatibility(subject);
      return globalLevel(tx);
    });
  }

  /** Sets the level (case-insensitive); answers it upper-cased, or undefined when `level` is empty. */
  async setConfig(subject: string, level: string): Promise<CompatibilityLevel | undefined> {
    if (subject !== '') requireValidSubject(subject);
    if (level === '') return undefined;
    const parsed = parseCompatibilityLevel(level);
    await this.storage.write((tx) => tx.putSetting('compatibility', scopeOf(subject), parsed));
    return parsed;
  }

  /** Removes a level and answers it; the global level falls back to BACKWARD. */
  deleteConfig(subject: string): Promise<CompatibilityLevel> {
    return this.storage.write(async (tx) => {
      const removed = subject === '' ? await globalLevel(tx) : await tx.setting('compatibility', subject);
      if (!removed) throw subjectNotFound(subject);
      await tx.deleteSetting('compatibility', scopeOf(subject));
      return removed as CompatibilityLevel;
    });
  }

  getMode(subject: string, defaultToGlobal: boolean): Promise<Mode> {
    return this.storage.read(async (tx) => {
      const own = subject === '' ? undefined : await tx.setting('mode', subject);
      if (own) return own as Mode;
      if (subject !== '' && !defaultToGlobal) throw noSubjectMode(subject);
      return globalMode(tx);
    });
  }

  /** Sets a mode; IMPORT needs an empty subject (or registry) unless `force`. */
  async setMode(subject: string, mode: string, force: boolean): Promise<Mode> {
    if (subject !== '') requireValidSubject(subject);
    const parsed = parseMode(mode);
    return this.storage.write(async (tx) => {
      if (parsed === 'IMPORT' && !force) await requireEmptyForImport(tx, subject);
      await tx.putSetting('mode', scopeOf(subject), parsed);
      return parsed;
    });
  }

  deleteMode(subject: string): Promise<Mode> {
    return this.storage.write(async (tx) => {
      const removed = subject === '' ? await globalMode(tx) : await tx.setting('mode', subject);
      if (!removed) throw subjectNotFound(subject);
      await tx.deleteSetting('mode', scopeOf(subject));
      return removed as Mode;
    });
  }

  // ---- registration in the writers' transaction -------------------------------------

  private async registerIn(tx: StorageWriter, subject: string, input: RegisterInput): Promise<number> {
    const versions = await tx.versionsOf(subject);
    const live = liveVersions(versions);
    const candidate = await registrationCandidate(tx, input, live);
    const holder = await findHolder(tx, live, candidate, input.normalize);
    if (holder) return holder.schemaId;

    const requestedId = positiveOrUndefined(input.id);
    const importing = checkRegistrationMode(subject, await effectiveMode(tx, subject), requestedId);
    if (!importing) {
      const messages = await incompatibilities(tx, await effectiveLevel(tx, subject), candidate, live);
      if (messages.length > 0) throw incompatibleSchema(subject, messages);
    }

    const id = await schemaIdFor(tx, candidate, importing ? requestedId : undefined);
    const version = importing ? importedVersion(subject, versions, input.version) : nextVersion(versions);
    await eraseSupersededVersions(tx, versions, id);
    await tx.insertVersion({ subject, version, schemaId: id, deleted: false });
    return id;
  }
}

// ---- helpers --------------------------------------------------------------------------

const liveVersions = (rows: readonly VersionRow[]) => rows.filter((row) => !row.deleted);

const visibleVersions = (rows: readonly VersionRow[], deleted: boolean) => (deleted ? [...rows] : liveVersions(rows));

const positiveOrUndefined = (value: number | undefined) => (value !== undefined && value > 0 ? value : undefined);

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const bySubjectThenVersion = (a: VersionRow, b: VersionRow) =>
  byCodeUnits(a.subject, b.subject) || a.version - b.version;

/** Settings of a subject live under its name; '' means the registry-wide ones. */
const scopeOf = (subject: string) => (subject === '' ? GLOBAL_SCOPE : subject);

/**
 * The submitted schema, where an empty schema on a subject with live versions
 * stands for its latest one (CP 7.5+).
 */
async function registrationCandidate(
  tx: StorageReader,
  input: SchemaInput,
  live: readonly VersionRow[],
): Promise<Candidate> {
  const latest = live.at(-1);
  if (input.schema !== '' || !latest) return parseSubmitted(tx, input);
  return parseStored(tx, (await tx.schemaById(latest.schemaId))!);
}

/**
 * The newest of `versions` holding the candidate. Under `normalize`, a
 * version stored un-normalized also matches when its normalized form does.
 */
async function findHolder(
  tx: StorageReader,
  versions: readonly VersionRow[],
  candidate: Candidate,
  normalize: boolean,
): Promise<VersionRow | undefined> {
  const newestFirst = [...versions].reverse();
  const id = await tx.schemaIdByIdentity(candidate.identity);
  const exact = newestFirst.find((row) => row.schemaId === id);
  if (exact || !normalize) return exact;
  for (const row of newestFirst) {
    const normalized = await parseStored(tx, (await tx.schemaById(row.schemaId))!, true);
    if (normalized.identity === candidate.identity) return row;
  }
  return undefined;
}

/**
 * For lookup only (§2.3): the newest of `versions` whose schema, its
 * references resolved, has the candidate's structure, so that a schema sent
 * with its references inlined finds the version that has them as references.
 */
async function findEquivalent(
  tx: StorageReader,
  versions: readonly VersionRow[],
  candidate: Candidate,
  normalize: boolean,
): Promise<VersionRow | undefined> {
  const compared = new Map<number, boolean>();
  for (const row of [...versions].reverse()) {
    let same = compared.get(row.schemaId);
    if (same === undefined) {
      const stored = (await tx.schemaById(row.schemaId))!;
      same =
        stored.schemaType === candidate.parsed.schemaType &&
        sameSchema(candidate.parsed, (await parseStored(tx, stored)).parsed, { normalize });
      compared.set(row.schemaId, same);
    }
    if (same) return row;
  }
  return undefined;
}

/** A version by id among `versions`: `latest` is the newest live one; soft-deleted ones count when `deleted`. */
function findVersion(
  subject: string,
  versions: readonly VersionRow[],
  versionId: VersionId,
  deleted: boolean,
): VersionRow {
  const visible = visibleVersions(versions, deleted);
  if (visible.length === 0) throw subjectNotFound(subject);
  const row = versionId === LATEST ? liveVersions(versions).at(-1) : visible.find((v) => v.version === versionId);
  if (!row) throw versionNotFound(versionId);
  return row;
}

/** The one version a check against `versionId` compares with: none for `latest` of an empty subject. */
function comparedVersion(live: readonly VersionRow[], versionId: VersionId): VersionRow[] {
  if (versionId === LATEST) return live.slice(-1);
  const row = live.find((v) => v.version === versionId);
  if (!row) throw versionNotFound(versionId);
  return [row];
}

async function record(tx: StorageReader, row: VersionRow, format?: string): Promise<SchemaRecord> {
  const stored = (await tx.schemaById(row.schemaId))!;
  return {
    subject: row.subject,
    version: row.version,
    id: stored.id,
    schemaType: stored.schemaType,
    references: stored.references,
    schema: await render(tx, stored, format),
  };
}

async function render(tx: StorageReader, stored: StoredSchema, format: string | undefined): Promise<string> {
  if (stored.schemaType !== 'PROTOBUF' || format?.toLowerCase() !== SERIALIZED_FORMAT) return stored.schema;
  return protobufToSerialized((await parseStored(tx, stored)).parsed);
}

/**
 * A schema id some version (live or soft-deleted) holds. Ids outlive their
 * versions in storage, so an id never changes meaning, but once every
 * version holding it is permanently deleted it answers as unknown, as in
 * Confluent.
 */
async function knownSchema(tx: StorageReader, id: number): Promise<StoredSchema> {
  const stored = await tx.schemaById(id);
  if (!stored || (await tx.versionsOfSchema(id)).length === 0) throw schemaIdNotFound(id);
  return stored;
}

/** The versions holding a known id, sorted; soft-deleted ones when `deleted`. */
async function usesOf(tx: StorageReader, id: number, deleted: boolean): Promise<VersionRow[]> {
  await knownSchema(tx, id);
  return visibleVersions(await tx.versionsOfSchema(id), deleted).sort(bySubjectThenVersion);
}

async function effectiveLevel(tx: StorageReader, subject: string): Promise<CompatibilityLevel> {
  const own = await tx.setting('compatibility', subject);
  return own ? (own as CompatibilityLevel) : globalLevel(tx);
}

async function globalLevel(tx: StorageReader): Promise<CompatibilityLevel> {
  return ((await tx.setting('compatibility', GLOBAL_SCOPE)) as CompatibilityLevel | undefined) ?? DEFAULT_LEVEL;
}

async function effectiveMode(tx: StorageReader, subject: string): Promise<Mode> {
  const global = await globalMode(tx);
  if (global === 'READONLY_OVERRIDE') return global;
  return ((await tx.setting('mode', subject)) as Mode | undefined) ?? global;
}

async function globalMode(tx: StorageReader): Promise<Mode> {
  return ((await tx.setting('mode', GLOBAL_SCOPE)) as Mode | undefined) ?? DEFAULT_MODE;
}

const isReadOnly = (mode: Mode) => mode === 'READONLY' || mode === 'READONLY_OVERRIDE';

async function requireWritable(tx: StorageReader, subject: string): Promise<void> {
  if (isReadOnly(await effectiveMode(tx, subject))) throw notPermitted(`Subject '${subject}' is in read-only mode.`);
}

/** IMPORT fills an empty subject (or registry) from elsewhere; switching a used one needs force. */
async function requireEmptyForImport(tx: StorageReader, subject: string): Promise<void> {
  const rows = subject === '' ? await tx.versionsWithPrefix('') : await tx.versionsOf(subject);
  if (liveVersions(rows).length === 0) return;
  const target = subject === '' ? 'the registry' : `subject '${subject}'`;
  throw notPermitted(`Cannot switch ${target} to IMPORT mode while it holds schemas; use force to switch anyway.`);
}

/** Whether this registration imports (IMPORT mode); throws when the mode forbids it. */
function checkRegistrationMode(subject: string, mode: Mode, requestedId: number | undefined): boolean {
  if (isReadOnly(mode)) throw notPermitted(`Subject '${subject}' is in read-only mode.`);
  if (mode === 'IMPORT') {
    if (requestedId === undefined) throw notPermitted(`Subject '${subject}' is in import mode: it needs a schema id.`);
    return true;
  }
  if (requestedId !== undefined)
    throw notPermitted(`Subject '${subject}' is not in import mode: no schema id allowed.`);
  return false;
}

/** Messages for every way `candidate` breaks `level` against `versions` (live, oldest first). */
async function incompatibilities(
  tx: StorageReader,
  level: CompatibilityLevel,
  candidate: Candidate,
  versions: readonly VersionRow[],
): Promise<string[]> {
  if (level === 'NONE' || versions.length === 0) return [];
  // Plain levels only look at the newest version; parse no more than that.
  const compared = level.endsWith('_TRANSITIVE') ? versions : versions.slice(-1);
  const existing = [];
  for (const row of compared) existing.push((await parseStored(tx, (await tx.schemaById(row.schemaId))!)).parsed);
  return checkCompatibility(level, candidate.parsed, existing);
}

/** The id for a new version: the schema's existing id, the imported one, or the next free one. */
async function schemaIdFor(tx: StorageWriter, candidate: Candidate, requestedId: number | undefined): Promise<number> {
  const known = await tx.schemaIdByIdentity(candidate.identity);
  if (known !== undefined) {
    if (requestedId !== undefined && requestedId !== known) throw idConflict(requestedId, known);
    return known;
  }
  if (requestedId !== undefined && (await tx.schemaById(requestedId))) {
    throw notPermitted(`Overwrite new schema with id ${requestedId} is not permitted.`);
  }
  const id = requestedId ?? (await tx.maxSchemaId()) + 1;
  const { schemaType, canonical } = candidate.parsed;
  await tx.insertSchema({ id, schemaType, schema: canonical, references: candidate.references }, candidate.identity);
  return id;
}

/** One past the highest version still stored, soft-deleted ones included. */
const nextVersion = (versions: readonly VersionRow[]) => (versions.at(-1)?.version ?? 0) + 1;

function importedVersion(subject: string, versions: readonly VersionRow[], requested: number | undefined): number {
  const version = positiveOrUndefined(requested);
  if (version === undefined) return nextVersion(versions);
  if (versions.some((row) => row.version === version)) {
    throw notPermitted(`Version ${version} of subject '${subject}' already exists; overwriting is not permitted.`);
  }
  return version;
}

/**
 * Erases soft-deleted versions that held the id now registered again, as
 * Confluent does, except those a live schema still references.
 */
async function eraseSupersededVersions(tx: StorageWriter, versions: readonly VersionRow[], id: number): Promise<void> {
  for (const row of versions) {
    if (!row.deleted || row.schemaId !== id) continue;
    const referrers = liveVersions(await tx.versionsReferencing(row.subject, row.version));
    if (referrers.length === 0) await tx.eraseVersion(row.subject, row.version);
  }
}

/** Throws 42206 when a live version accepted by `counts` references `row`. */
async function requireUnreferenced(
  tx: StorageReader,
  row: VersionRow,
  counts: (referrer: VersionRow) => boolean,
): Promise<void> {
  const referrers = liveVersions(await tx.versionsReferencing(row.subject, row.version)).filter(counts);
  if (referrers.length > 0) throw referenceExists(row.subject, row.version);
}

/** Subject-level settings go with the subject's last version (CP 7.9.3+ / 8.0.1+). */
async function dropSubjectSettings(tx: StorageWriter, subject: string): Promise<void> {
  await tx.deleteSetting('compatibility', subject);
  await tx.deleteSetting('mode', subject);
}
