// prism-admin: the admin's command line. Every command is one or a few
// ControlPlane calls; read-modify-write commands (bind-frontend, bind-slot,
// backend update from flags, ...) get the object, change it and update it
// naming the revision they read, and start over when another writer got
// there first.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { status as Code, type ServiceError } from '@grpc/grpc-js';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { AdminClient, problemsOf } from '../admin/client.js';
import { DEFINITION_TYPES, canonicalDefinition, parseDefinition } from '../admin/definition-file.js';
import { BACKEND_TYPES, CONFIG_FIELD, type AdminNamespace, type Backend, type BackendType, type ProxyStatus } from '../admin/model.js';
import { DEFAULT_ADMIN_ADDRESS } from '../admin/service.js';
import { checkFrontend, formatProblems } from '../admin/validation.js';
import type { Frontend, FrontendBinding } from '../frontend/model.js';
import { MappingError } from '../mapping/proto-json.js';

export const USAGE = `usage: prism-admin [--admin HOST:PORT] [--json] COMMAND

Manages the Prism admin's registries over its gRPC API: HOST:PORT is
--admin, else $PRISM_ADMIN, else ${DEFAULT_ADMIN_ADDRESS}. Lists print tables and get
prints YAML (the form -f FILE takes); --json prints JSON for scripts instead.
Exit status: 0 on success, 1 when the admin refuses or cannot be reached,
2 for a wrong command line.

backends
  backend register -f FILE
  backend register NAME --type TYPE [--interface IFACE]... [--set FIELD=VALUE]...
                   [--description TEXT] [--username USER] [--secret-ref REF]
  backend update -f FILE
  backend update NAME [flags of register: those given replace, the rest stays]
  backend delete NAME | get NAME | list
    TYPE: ${BACKEND_TYPES.join(', ')}. --set sets a field of the
    type's config; VALUE is YAML: --set 'brokers=[k1:9092, k2:9092]'
    --set pool.max_connections=20 --set tls.enabled=true. A secret goes only
    in a file (credentials.secret), never on the command line; the admin
    stores it and never prints it back. A file's revision: must be current.

frontends
  frontend register -f FILE | update -f FILE | delete NAME | get NAME | list
  frontend validate -f FILE
    validate checks the file here, with the admin's own rules, and sends
    nothing (it cannot see what other definitions are registered).

namespaces
  namespace create -f FILE | update -f FILE
  namespace create NAME --pattern TYPE --endpoint HOST:PORT... [--slot SLOT=IFACE[,IFACE]]...
                   [--description TEXT]
  namespace delete NAME | get NAME | list
  namespace bind-frontend NS FRONTEND [--base-path P] [--port N]
  namespace unbind-frontend NS FRONTEND [--base-path P]
  namespace set-default-grpc NS on|off
  namespace bind-slot NS SLOT BACKEND
    bind-frontend with another base path adds a binding beside the others;
    with the same one it replaces that binding. unbind-frontend removes the
    frontend's binding with that base path, or all of them without one.

proxies
  proxy list
    every proxy that reported to the admin in the last minute: the revision
    it serves, the newest it received, and why that one was refused if it was.
`;

const RETRIES = 5;

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** A wrong command line: exit status 2. */
class UsageError extends Error {}
/** A command that could not be done, said in its own words: exit status 1. */
class CliError extends Error {}

const OPTIONS = {
  admin: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  file: { type: 'string', short: 'f' },
  type: { type: 'string' },
  interface: { type: 'string', multiple: true },
  set: { type: 'string', multiple: true },
  description: { type: 'string' },
  username: { type: 'string' },
  'secret-ref': { type: 'string' },
  pattern: { type: 'string' },
  endpoint: { type: 'string', multiple: true },
  slot: { type: 'string', multiple: true },
  'base-path': { type: 'string' },
  port: { type: 'string' },
} as const;

type OptionName = keyof typeof OPTIONS;
type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];
const GLOBAL_OPTIONS: OptionName[] = ['admin', 'json', 'help'];
const BACKEND_FLAGS: OptionName[] = ['type', 'interface', 'set', 'description', 'username', 'secret-ref'];

interface Context {
  args: string[];
  values: Values;
  admin: () => AdminClient;
  /** Prints `human` for people, `json` with --json. */
  print(human: string, json: unknown): void;
}

interface Command {
  /** How many positional arguments, and what they are, for the usage error. */
  args: string[];
  options: OptionName[];
  /** Commands that take -f FILE or flags, by which is given. */
  fileOrFlags?: 'file' | 'flags' | 'either';
  run(ctx: Context): Promise<void>;
}

// ---- files and flags ----

function readFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

/** A definition file as the API takes it; a field that the message cannot hold is named. */
function definitionFromFile<T>(file: string, typeName: string): T {
  try {
    return parseDefinition<T>(readFile(file), typeName);
  } catch (err) {
    if (err instanceof CliError) throw err;
    const field = err instanceof MappingError && err.field ? `${err.field}: ` : '';
    throw new CliError(`${file}: ${field}${(err as Error).message}`);
  }
}

/** A definition built from flags, checked against its message like a file. */
function definitionFromFlags<T>(value: T, typeName: string): T {
  try {
    return canonicalDefinition<T>(value as Record<string, unknown>, typeName);
  } catch (err) {
    const field = err instanceof MappingError && err.field ? `${err.field}: ` : '';
    throw new CliError(`${field}${(err as Error).message}`);
  }
}

function splitPair(text: string, flag: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0) throw new UsageError(`${flag} '${text}': expected KEY=VALUE`);
  return [text.slice(0, at), text.slice(at + 1)];
}

/** Sets `path` (dotted) in `target` to `value`, creating objects on the way. */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

function backendType(text: string): BackendType {
  const type = text.toUpperCase();
  if (!(BACKEND_TYPES as readonly string[]).includes(type)) {
    throw new UsageError(`--type '${text}': expected one of ${BACKEND_TYPES.join(', ')}`);
  }
  return type as BackendType;
}

/** `backend` with the backend flags applied over it. */
function applyBackendFlags(backend: Backend, values: Values): Backend {
  const next: Backend = structuredClone(backend);
  if (values.type) {
    const type = backendType(values.type);
    // Another type's config would not go with the new type.
    if (next.type !== type) for (const field of Object.values(CONFIG_FIELD)) delete next[field];
    next.type = type;
  }
  if (values.interface) next.interfaces = values.interface.flatMap((list) => list.split(',')).filter(Boolean);
  if (values.description !== undefined) next.description = values.description;
  if (values.username !== undefined) next.credentials = { ...next.credentials, username: values.username };
  if (values['secret-ref'] !== undefined) {
    // A reference replaces any stored secret.
    next.credentials = { ...next.credentials, secret_ref: values['secret-ref'], secret_set: false };
  }
  for (const assignment of values.set ?? []) {
    if (!next.type || next.type === 'BACKEND_TYPE_UNSPECIFIED') throw new UsageError('--set needs --type');
    const [path, text] = splitPair(assignment, '--set');
    const field = CONFIG_FIELD[next.type];
    const config = (next[field] ?? {}) as Record<string, unknown>;
    setPath(config, path, parseYaml(text));
    Object.assign(next, { [field]: config });
  }
  return next;
}

function slotsFromFlags(specs: readonly string[]): Record<string, { interfaces: string[] }> {
  return Object.fromEntries(
    specs.map((spec) => {
      const [slot, interfaces] = splitPair(spec, '--slot');
      return [slot, { interfaces: interfaces.split(',').filter(Boolean) }];
    }),
  );
}

/** The file's `revision:`, which an update must find still current. */
function splitRevision<T extends { revision?: string }>(definition: T): { value: T; revision?: string } {
  const { revision, ...value } = definition;
  return { value: value as T, revision };
}

// ---- read-modify-write ----

function isAborted(err: unknown): boolean {
  return (err as ServiceError).code === Code.ABORTED;
}

/**
 * Gets an object, changes a copy and updates it naming the revision it read;
 * when another writer updated it in between, starts over (a few times).
 */
async function modify<T extends { revision?: string }>(
  get: () => Promise<T>,
  update: (value: T, expectedRevision?: string) => Promise<T>,
  change: (value: T) => T | void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const current = await get();
    const copy = structuredClone(current);
    const next = change(copy) ?? copy;
    try {
      return await update(next, current.revision);
    } catch (err) {
      if (!isAborted(err) || attempt >= RETRIES) throw err;
    }
  }
}

function modifyNamespace(ctx: Context, name: string, change: (ns: AdminNamespace) => void): Promise<AdminNamespace> {
  const admin = ctx.admin();
  return modify<AdminNamespace>(
    () => admin.getNamespace(name),
    (ns, revision) => admin.updateNamespace(ns, revision),
    change,
  );
}

// ---- output ----

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

const orDash = (text: string | undefined) => text || '-';

function backendRows(backends: Backend[]): string {
  const credentialsOf = (b: Backend) =>
    b.credentials?.secret_ref ? `ref ${b.credentials.secret_ref}` : b.credentials?.secret_set ? 'secret (write-only)' : '-';
  return table(
    ['NAME', 'TYPE', 'INTERFACES', 'CREDENTIALS', 'REVISION'],
    backends.map((b) => [b.name, orDash(b.type), orDash(b.interfaces?.join(',')), credentialsOf(b), orDash(b.revision)]),
  );
}

function frontendRows(frontends: Frontend[]): string {
  return table(
    ['NAME', 'TYPE', 'BASE PATH', 'ROUTES', 'REVISION'],
    frontends.map((f) => [f.name, orDash(f.type), orDash(f.rest?.base_path), String(f.rest?.routes?.length ?? 0), orDash(f.revision)]),
  );
}

function bindingText(binding: FrontendBinding): string {
  const place = [binding.base_path, binding.listener?.port && `:${binding.listener.port}`].filter(Boolean).join(' ');
  return `${binding.frontend}${place ? ` (${place})` : ''}${binding.enabled === false ? ' disabled' : ''}`;
}

function namespaceRows(namespaces: AdminNamespace[]): string {
  const slotsOf = (ns: AdminNamespace) =>
    Object.keys(ns.pattern?.slots ?? {})
      .map((slot) => `${slot}=${ns.pattern?.slot_bindings?.[slot] ?? '(unbound)'}`)
      .join(',');
  return table(
    ['NAME', 'PATTERN', 'ENDPOINTS', 'FRONTENDS', 'SLOTS', 'GRPC', 'REVISION'],
    namespaces.map((ns) => [
      ns.name,
      orDash(ns.pattern?.type),
      orDash(ns.pattern?.endpoints?.join(',')),
      orDash(ns.frontends?.map(bindingText).join(', ')),
      orDash(slotsOf(ns)),
      ns.grpc_disabled ? 'off' : 'on',
      orDash(ns.revision),
    ]),
  );
}

/** "12s ago": how fresh a report is matters more to a reader than when it was. */
function age(timestamp: string | undefined): string {
  return timestamp ? `${Math.max(0, Math.round((Date.now() - Date.parse(timestamp)) / 1000))}s ago` : '-';
}

function proxyRows(proxies: ProxyStatus[]): string {
  const errorOf = (p: ProxyStatus) => (p.config_error ? `revision ${p.error_revision ?? '0'} refused: ${p.config_error}` : '-');
  return table(
    ['PROXY', 'APPLIED', 'LATEST SEEN', 'LISTENERS', 'REPORTED', 'ERROR'],
    proxies.map((p) => [
      p.proxy_id,
      p.applied_revision ?? '0',
      p.latest_revision_seen ?? '0',
      orDash(p.listeners?.join(',')),
      age(p.reported_at),
      errorOf(p),
    ]),
  );
}

function done(ctx: Context, kind: string, value: { name: string; revision?: string }, verb: string): void {
  ctx.print(`${kind} '${value.name}' ${verb} (revision ${value.revision ?? '0'})\n`, value);
}

// ---- commands ----

function fileOf(ctx: Context): string {
  return ctx.values.file!;
}

const backendCommands: Record<string, Command> = {
  register: {
    args: ['NAME?'],
    options: ['file', ...BACKEND_FLAGS],
    fileOrFlags: 'either',
    run: async (ctx) => {
      const backend = ctx.values.file
        ? splitRevision(definitionFromFile<Backend>(fileOf(ctx), DEFINITION_TYPES.backend)).value
        : definitionFromFlags(applyBackendFlags({ name: ctx.args[0]! }, ctx.values), DEFINITION_TYPES.backend);
      done(ctx, 'backend', await ctx.admin().registerBackend(backend), 'registered');
    },
  },
  update: {
    args: ['NAME?'],
    options: ['file', ...BACKEND_FLAGS],
    fileOrFlags: 'either',
    run: async (ctx) => {
      const admin = ctx.admin();
      if (ctx.values.file) {
        const { value, revision } = splitRevision(definitionFromFile<Backend>(fileOf(ctx), DEFINITION_TYPES.backend));
        done(ctx, 'backend', await admin.updateBackend(value, revision), 'updated');
        return;
      }
      const updated = await modify<Backend>(
        () => admin.getBackend(ctx.args[0]!),
        (backend, revision) => admin.updateBackend(backend, revision),
        (backend) => definitionFromFlags(applyBackendFlags(backend, ctx.values), DEFINITION_TYPES.backend),
      );
      done(ctx, 'backend', updated, 'updated');
    },
  },
  delete: {
    args: ['NAME'],
    options: [],
    run: async (ctx) => done(ctx, 'backend', { name: ctx.args[0]!, revision: await ctx.admin().deleteBackend(ctx.args[0]!) }, 'deleted'),
  },
  get: {
    args: ['NAME'],
    options: [],
    run: async (ctx) => {
      const backend = await ctx.admin().getBackend(ctx.args[0]!);
      ctx.print(toYaml(backend), backend);
    },
  },
  list: {
    args: [],
    options: [],
    run: async (ctx) => {
      const reply = await ctx.admin().listBackends();
      ctx.print(backendRows(reply.backends), reply);
    },
  },
};

const frontendCommands: Record<string, Command> = {
  register: {
    args: [],
    options: ['file'],
    fileOrFlags: 'file',
    run: async (ctx) => {
      const { value } = splitRevision(definitionFromFile<Frontend>(fileOf(ctx), DEFINITION_TYPES.frontend));
      done(ctx, 'frontend', await ctx.admin().registerFrontend(value), 'registered');
    },
  },
  update: {
    args: [],
    options: ['file'],
    fileOrFlags: 'file',
    run: async (ctx) => {
      const { value, revision } = splitRevision(definitionFromFile<Frontend>(fileOf(ctx), DEFINITION_TYPES.frontend));
      done(ctx, 'frontend', await ctx.admin().updateFrontend(value, revision), 'updated');
    },
  },
  validate: {
    args: [],
    options: ['file'],
    fileOrFlags: 'file',
    run: async (ctx) => {
      const file = fileOf(ctx);
      const problems = checkFrontend(splitRevision(definitionFromFile<Frontend>(file, DEFINITION_TYPES.frontend)).value);
      if (problems.length) throw new CliError(`${file} is not a valid frontend:\n${indent(formatProblems(problems))}`);
      ctx.print(`${file}: valid\n`, { file, valid: true });
    },
  },
  delete: {
    args: ['NAME'],
    options: [],
    run: async (ctx) => done(ctx, 'frontend', { name: ctx.args[0]!, revision: await ctx.admin().deleteFrontend(ctx.args[0]!) }, 'deleted'),
  },
  get: {
    args: ['NAME'],
    options: [],
    run: async (ctx) => {
      const frontend = await ctx.admin().getFrontend(ctx.args[0]!);
      ctx.print(toYaml(frontend), frontend);
    },
  },
  list: {
    args: [],
    options: [],
    run: async (ctx) => {
      const reply = await ctx.admin().listFrontends();
      ctx.print(frontendRows(reply.frontends), reply);
    },
  },
};

/** "/x/", "/x" and "x" are one base path; "" is no override. */
function normalizedBasePath(path: string | undefined): string {
  return path ? '/' + path.replace(/^\/+|\/+$/g, '') : '';
}

function portOption(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--port '${text}': expected 1..65535`);
  return port;
}

function bindFrontend(ns: AdminNamespace, frontend: string, basePath: string | undefined, port: number | undefined): void {
  const binding: FrontendBinding = { frontend };
  if (basePath) binding.base_path = basePath;
  if (port !== undefined) binding.listener = { port };
  const bindings = ns.frontends ?? [];
  const same = bindings.findIndex(
    (b) => b.frontend === frontend && normalizedBasePath(b.base_path) === normalizedBasePath(basePath),
  );
  if (same >= 0) bindings[same] = binding;
  else bindings.push(binding);
  ns.frontends = bindings;
}

function unbindFrontend(ns: AdminNamespace, frontend: string, basePath: string | undefined): void {
  const bindings = ns.frontends ?? [];
  const matches = (b: FrontendBinding) =>
    b.frontend === frontend && (basePath === undefined || normalizedBasePath(b.base_path) === normalizedBasePath(basePath));
  const kept = bindings.filter((b) => !matches(b));
  if (kept.length === bindings.length) {
    const which = basePath === undefined ? '' : ` with base path ${normalizedBasePath(basePath) || '(none)'}`;
    throw new CliError(`namespace '${ns.name}' has no binding of frontend '${frontend}'${which}`);
  }
  ns.frontends = kept;
}

function namespaceFromFlags(ctx: Context): AdminNamespace {
  const { pattern, endpoint, slot, description } = ctx.values;
  if (!pattern || !endpoint?.length) throw new UsageError('namespace create NAME needs --pattern and --endpoint (or -f FILE)');
  const namespace: AdminNamespace = {
    name: ctx.args[0]!,
    pattern: { type: pattern, endpoints: endpoint, ...(slot ? { slots: slotsFromFlags(slot) } : {}) },
  };
  if (description !== undefined) namespace.description = description;
  return definitionFromFlags(namespace, DEFINITION_TYPES.namespace);
}

const namespaceCommands: Record<string, Command> = {
  create: {
    args: ['NAME?'],
    options: ['file', 'pattern', 'endpoint', 'slot', 'description'],
    fileOrFlags: 'either',
    run: async (ctx) => {
      const namespace = ctx.values.file
        ? splitRevision(definitionFromFile<AdminNamespace>(fileOf(ctx), DEFINITION_TYPES.namespace)).value
        : namespaceFromFlags(ctx);
      done(ctx, 'namespace', await ctx.admin().registerNamespace(namespace), 'created');
    },
  },
  update: {
    args: [],
    options: ['file'],
    fileOrFlags: 'file',
    run: async (ctx) => {
      const { value, revision } = splitRevision(definitionFromFile<AdminNamespace>(fileOf(ctx), DEFINITION_TYPES.namespace));
      done(ctx, 'namespace', await ctx.admin().updateNamespace(value, revision), 'updated');
    },
  },
  delete: {
    args: ['NAME'],
    options: [],
    run: async (ctx) => done(ctx, 'namespace', { name: ctx.args[0]!, revision: await ctx.admin().deleteNamespace(ctx.args[0]!) }, 'deleted'),
  },
  get: {
    args: ['NAME'],
    options: [],
    run: async (ctx) => {
      const namespace = await ctx.admin().getNamespace(ctx.args[0]!);
      ctx.print(toYaml(namespace), namespace);
    },
  },
  list: {
    args: [],
    options: [],
    run: async (ctx) => {
      const reply = await ctx.admin().listNamespaces();
      ctx.print(namespaceRows(reply.namespaces), reply);
    },
  },
  'bind-frontend': {
    args: ['NS', 'FRONTEND'],
    options: ['base-path', 'port'],
    run: async (ctx) => {
      const [name, frontend] = ctx.args as [string, string];
      const port = portOption(ctx.values.port);
      const updated = await modifyNamespace(ctx, name, (ns) => bindFrontend(ns, frontend, ctx.values['base-path'], port));
      done(ctx, 'namespace', updated, `binds frontend '${frontend}'`);
    },
  },
  'unbind-frontend': {
    args: ['NS', 'FRONTEND'],
    options: ['base-path'],
    run: async (ctx) => {
      const [name, frontend] = ctx.args as [string, string];
      const updated = await modifyNamespace(ctx, name, (ns) => unbindFrontend(ns, frontend, ctx.values['base-path']));
      done(ctx, 'namespace', updated, `unbound frontend '${frontend}'`);
    },
  },
  'set-default-grpc': {
    args: ['NS', 'on|off'],
    options: [],
    run: async (ctx) => {
      const [name, state] = ctx.args as [string, string];
      if (state !== 'on' && state !== 'off') throw new UsageError(`set-default-grpc: expected on or off, not '${state}'`);
      const updated = await modifyNamespace(ctx, name, (ns) => {
        ns.grpc_disabled = state === 'off';
      });
      done(ctx, 'namespace', updated, `has the default gRPC interface ${state}`);
    },
  },
  'bind-slot': {
    args: ['NS', 'SLOT', 'BACKEND'],
    options: [],
    run: async (ctx) => {
      const [name, slot, backend] = ctx.args as [string, string, string];
      const updated = await modifyNamespace(ctx, name, (ns) => {
        ns.pattern = { ...ns.pattern, slot_bindings: { ...ns.pattern?.slot_bindings, [slot]: backend } };
      });
      done(ctx, 'namespace', updated, `binds slot '${slot}' to backend '${backend}'`);
    },
  },
};

const proxyCommands: Record<string, Command> = {
  list: {
    args: [],
    options: [],
    run: async (ctx) => {
      const proxies = await ctx.admin().listProxyStatuses();
      ctx.print(proxyRows(proxies), { proxies });
    },
  },
};

const COMMANDS: Record<string, Record<string, Command>> = {
  backend: backendCommands,
  frontend: frontendCommands,
  namespace: namespaceCommands,
  proxy: proxyCommands,
};

// ---- the command line ----

function indent(text: string): string {
  return text.replace(/^/gm, '  ');
}

/** The command named by the first two positionals, checked against what it takes. */
function resolveCommand(positionals: string[], values: Values): { name: string; command: Command; args: string[] } {
  const [group, verb, ...args] = positionals;
  const verbs = group ? COMMANDS[group] : undefined;
  if (!verbs) throw new UsageError(group ? `unknown command '${group}'` : 'no command given');
  const command = verb ? verbs[verb] : undefined;
  if (!command) {
    throw new UsageError(`${verb ? `unknown command '${group} ${verb}'` : `'${group}' needs a command`}: ${Object.keys(verbs).join(', ')}`);
  }
  const name = `${group} ${verb}`;
  const allowed = new Set([...GLOBAL_OPTIONS, ...command.options]);
  const stray = (Object.keys(values) as OptionName[]).find((option) => !allowed.has(option));
  if (stray) throw new UsageError(`--${stray} does not go with '${name}'`);
  checkArguments(name, command, args, values);
  return { name, command, args };
}

function checkArguments(name: string, command: Command, args: string[], values: Values): void {
  const given = values.file !== undefined ? 'file' : 'flags';
  if (command.fileOrFlags === 'file' && given !== 'file') throw new UsageError(`'${name}' needs -f FILE`);
  // With -f FILE the name is in the file; without it, it is the argument.
  const expected = command.fileOrFlags === 'either' ? (given === 'file' ? 0 : 1) : command.args.length;
  if (args.length !== expected) {
    const wanted = command.args.map((a) => a.replace('?', '')).join(' ');
    throw new UsageError(`'${name}' takes ${command.fileOrFlags === 'either' ? `-f FILE or ${wanted}` : wanted || 'no arguments'}`);
  }
  if (command.fileOrFlags === 'either' && given === 'file') {
    const flag = command.options.find((option) => option !== 'file' && values[option] !== undefined);
    if (flag) throw new UsageError(`--${flag} does not go with -f FILE`);
  }
}

/** What went wrong, naming the resource or the fields. */
function describeError(err: unknown, commandName: string): string {
  const grpc = err as ServiceError;
  if (typeof grpc.code !== 'number' || !('details' in grpc)) return (err as Error).message;
  const problems = problemsOf(grpc);
  if (problems.length) return `${commandName} refused (${Code[grpc.code]}):\n${indent(formatProblems(problems))}`;
  if (grpc.code === Code.UNAVAILABLE || grpc.code === Code.DEADLINE_EXCEEDED) {
    return `${commandName}: admin unreachable (${Code[grpc.code]}): ${grpc.details}`;
  }
  return `${commandName} refused (${Code[grpc.code]}):\n${indent(grpc.details)}`;
}

function parseCommandLine(argv: string[]): { values: Values; positionals: string[] } {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Runs one prism-admin command line; resolves with the exit status. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let client: AdminClient | undefined;
  let name = 'prism-admin';
  try {
    const { values, positionals } = parseCommandLine(argv);
    if (values.help || positionals.length === 0) {
      (values.help ? io.stdout : io.stderr).write(USAGE);
      return values.help ? 0 : 2;
    }
    const resolved = resolveCommand(positionals, values);
    name = resolved.name;
    const address = values.admin ?? process.env.PRISM_ADMIN ?? DEFAULT_ADMIN_ADDRESS;
    await resolved.command.run({
      args: resolved.args,
      values,
      admin: () => (client ??= new AdminClient(address)),
      print: (human, json) => io.stdout.write(values.json ? JSON.stringify(json, null, 2) + '\n' : human),
    });
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`prism-admin: ${err.message}\n(prism-admin --help shows every command)\n`);
      return 2;
    }
    io.stderr.write(`prism-admin: ${describeError(err, name)}\n`);
    return 1;
  } finally {
    client?.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runCli(process.argv.slice(2), process).then((status) => {
    process.exitCode = status;
  });
}
