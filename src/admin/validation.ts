// The admin's checks on a definition before it is stored. Shared by the gRPC
// service and the directory seed so both refuse exactly the same things.
import type { Frontend, FrontendBinding } from '../frontend/model.js';
import { NAME_PATTERN, validateFrontend } from '../frontend/validate.js';
import { BACKEND_TYPES, CONFIG_FIELD, type AdminNamespace, type Backend, type ConfigField, type SlotRequirement } from './model.js';
import { INTERFACE_PATTERN, SLOT_PATTERN, unmetInterfaces, unmetInterfaceMessage } from './slots.js';

/** One thing wrong with a definition: a dotted field path and why. */
export interface Problem {
  field: string;
  description: string;
}

/**
 * Shape problems are INVALID_ARGUMENT; `missingReferences` (bound frontends
 * or backends that do not exist, a bound backend lacking an interface its
 * slot needs) are FAILED_PRECONDITION when they are all that is wrong.
 */
export interface ValidationResult {
  invalid: Problem[];
  missingReferences: Problem[];
}

export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => (p.field ? `${p.field}: ${p.description}` : p.description)).join('\n');
}

/** Namespaces and backends follow the frontends' naming rule. */
function nameProblems(name: string | undefined): Problem[] {
  if (!name) return [{ field: 'name', description: 'required' }];
  if (!NAME_PATTERN.test(name)) {
    return [{ field: 'name', description: `'${name}' must match ${NAME_PATTERN.source}` }];
  }
  return [];
}

/** validateFrontend reports "path: reason" strings; the path is everything before the first ": ". */
function parseProblem(text: string): Problem {
  const colon = text.indexOf(': ');
  return colon < 0 ? { field: '', description: text } : { field: text.slice(0, colon), description: text.slice(colon + 2) };
}

function uniqueProblems(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.field}\n${p.description}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function checkFrontend(frontend: Frontend): Problem[] {
  // The frontend validator may report the name too; one line per problem is enough.
  return uniqueProblems([...nameProblems(frontend.name), ...validateFrontend(frontend).map(parseProblem)]);
}

// host:port with a DNS name, IPv4 address or bracketed IPv6 address.
const ENDPOINT_PATTERN = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;

function isHostPort(text: string): boolean {
  const port = ENDPOINT_PATTERN.exec(text)?.[1];
  return port !== undefined && Number(port) >= 1 && Number(port) <= 65535;
}

/** At least one address, each host:port once `scheme` (e.g. "nats://") is taken off. */
function addressProblems(field: string, addresses: readonly string[] | undefined, scheme?: RegExp): Problem[] {
  if (!addresses?.length) return [{ field, description: 'at least one host:port required' }];
  return addresses.flatMap((address, i) =>
    isHostPort(scheme ? address.replace(scheme, '') : address)
      ? []
      : [{ field: `${field}[${i}]`, description: `'${address}' is not host:port` }],
  );
}

function endpointProblems(endpoints: readonly string[] | undefined): Problem[] {
  return addressProblems('pattern.endpoints', endpoints);
}

/** Where a binding serves: its listener ("" = the proxy's shared one) and base path. */
function servingPlace(binding: FrontendBinding, frontend: Frontend | undefined): string {
  const listener = binding.listener?.port ? binding.listener : frontend?.rest?.listener;
  const listenerKey = listener?.port ? `${listener.host ?? ''}:${listener.port}` : '';
  const basePath = binding.base_path || frontend?.rest?.base_path || '';
  // "/x/", "/x" and "x" are the same mount point.
  const normalized = '/' + basePath.replace(/^\/+|\/+$/g, '');
  return `${listenerKey} ${normalized}`;
}

function describePlace(place: string): string {
  const [listener, path] = place.split(' ');
  return `${listener ? `listener ${listener}` : 'the shared listener'}, base path ${path}`;
}

function bindingProblems(
  bindings: readonly FrontendBinding[],
  findFrontend: (name: string) => Frontend | undefined,
): ValidationResult {
  const invalid: Problem[] = [];
  const missingReferences: Problem[] = [];
  const firstAt = new Map<string, number>();
  bindings.forEach((binding, i) => {
    const field = `frontends[${i}]`;
    if (!binding.frontend) {
      invalid.push({ field: `${field}.frontend`, description: 'required' });
      return;
    }
    const frontend = findFrontend(binding.frontend);
    if (!frontend) {
      missingReferences.push({ field: `${field}.frontend`, description: `frontend '${binding.frontend}' does not exist` });
    }
    const port = binding.listener?.port;
    if (port !== undefined && port > 65535) {
      invalid.push({ field: `${field}.listener.port`, description: `${port} is not a TCP port` });
    }
    if (binding.enabled === false) return;
    const place = servingPlace(binding, frontend);
    const first = firstAt.get(place);
    if (first === undefined) firstAt.set(place, i);
    else {
      invalid.push({ field, description: `serves on ${describePlace(place)} like frontends[${first}]` });
    }
  });
  return { invalid, missingReferences };
}

function interfaceListProblems(field: string, interfaces: readonly string[] | undefined): Problem[] {
  const seen = new Set<string>();
  return (interfaces ?? []).flatMap((name, i) => {
    if (!INTERFACE_PATTERN.test(name)) {
      return [{ field: `${field}[${i}]`, description: `'${name}' is not an interface name like keyvalue_basic` }];
    }
    if (seen.has(name)) return [{ field: `${field}[${i}]`, description: `'${name}' is listed twice` }];
    seen.add(name);
    return [];
  });
}

function slotBindingProblems(
  slot: string,
  backendName: string,
  requirement: SlotRequirement | undefined,
  findBackend: (name: string) => Backend | undefined,
): ValidationResult {
  const field = `pattern.slot_bindings.${slot}`;
  const invalid = (description: string) => ({ invalid: [{ field, description }], missingReferences: [] });
  if (!requirement) return invalid(`slot '${slot}' is not declared in pattern.slots`);
  if (!backendName) return invalid('backend name required');
  const backend = findBackend(backendName);
  if (!backend) return { invalid: [], missingReferences: [{ field, description: `backend '${backendName}' does not exist` }] };
  const unmet = unmetInterfaces(requirement.interfaces ?? [], backend);
  return { invalid: [], missingReferences: unmet.map((name) => ({ field, description: unmetInterfaceMessage(slot, backendName, name) })) };
}

function slotProblems(namespace: AdminNamespace, findBackend: (name: string) => Backend | undefined): ValidationResult {
  const slots = namespace.pattern?.slots ?? {};
  const declarations = Object.entries(slots).flatMap(([slot, requirement]) => [
    ...(SLOT_PATTERN.test(slot) ? [] : [{ field: `pattern.slots.${slot}`, description: `slot names must match ${SLOT_PATTERN.source}` }]),
    ...interfaceListProblems(`pattern.slots.${slot}.interfaces`, requirement.interfaces),
  ]);
  const bindings = Object.entries(namespace.pattern?.slot_bindings ?? {}).map(([slot, backendName]) =>
    slotBindingProblems(slot, backendName, slots[slot], findBackend),
  );
  return {
    invalid: [...declarations, ...bindings.flatMap((b) => b.invalid)],
    missingReferences: bindings.flatMap((b) => b.missingReferences),
  };
}

export function checkNamespace(
  namespace: AdminNamespace,
  findFrontend: (name: string) => Frontend | undefined,
  findBackend: (name: string) => Backend | undefined,
): ValidationResult {
  const bindings = bindingProblems(namespace.frontends ?? [], findFrontend);
  const slots = slotProblems(namespace, findBackend);
  return {
    invalid: [
      ...nameProblems(namespace.name),
      ...endpointProblems(namespace.pattern?.endpoints),
      ...slots.invalid,
      ...bindings.invalid,
    ],
    missingReferences: [...slots.missingReferences, ...bindings.missingReferences],
  };
}

const SECRET_REF_PATTERN = /^[a-z][a-z0-9+.-]*:\S+$/;

function credentialProblems(backend: Backend): Problem[] {
  const { secret_ref: ref, secret } = backend.credentials ?? {};
  const problems: Problem[] = [];
  if (ref && secret) problems.push({ field: 'credentials', description: 'give secret_ref or secret, not both' });
  if (ref && !SECRET_REF_PATTERN.test(ref)) {
    problems.push({ field: 'credentials.secret_ref', description: `'${ref}' is not a reference like env:NAME or file:/path` });
  }
  return problems;
}

/** Every *_timeout in a config (at any depth) is a positive Duration. */
function timeoutProblems(field: string, value: unknown): Problem[] {
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const path = `${field}.${key}`;
    if (key.endsWith('_timeout') && typeof child === 'string') {
      return Number(child.replace(/s$/, '')) > 0 ? [] : [{ field: path, description: `${child} is not a positive duration` }];
    }
    return timeoutProblems(path, child);
  });
}

function poolProblems(field: string, pool: { min_connections?: number; max_connections?: number } | undefined): Problem[] {
  const { min_connections: min = 0, max_connections: max = 0 } = pool ?? {};
  // 0 leaves the maximum to the client library.
  if (max === 0 || max >= min) return [];
  return [{ field: `${field}.pool.max_connections`, description: `${max} is less than min_connections (${min})` }];
}

function tlsProblems(field: string, tls: { cert_file?: string; key_file?: string } | undefined): Problem[] {
  if (!tls || !tls.cert_file === !tls.key_file) return [];
  return [{ field: `${field}.tls`, description: 'cert_file and key_file go together' }];
}

function required(field: string, value: string | undefined, what: string): Problem[] {
  return value ? [] : [{ field, description: `${what} required` }];
}

function nonNegative(field: string, value: string | undefined): Problem[] {
  return Number(value ?? 0) >= 0 ? [] : [{ field, description: 'must not be negative' }];
}

/** The type-specific rules of each config member, beyond what its proto type already ensures. */
const CONFIG_RULES: { [F in ConfigField]: (config: NonNullable<Backend[F]>) => Problem[] } = {
  kafka: (c) => [...addressProblems('kafka.brokers', c.brokers), ...tlsProblems('kafka', c.tls)],
  nats: (c) => [...addressProblems('nats.servers', c.servers, /^(nats|tls):\/\//), ...tlsProblems('nats', c.tls)],
  postgres: (c) => [
    ...addressProblems('postgres.hosts', c.hosts),
    ...required('postgres.database', c.database, 'database name'),
    ...poolProblems('postgres', c.pool),
    ...tlsProblems('postgres', c.tls),
  ],
  redis: (c) => [...addressProblems('redis.hosts', c.hosts), ...poolProblems('redis', c.pool), ...tlsProblems('redis', c.tls)],
  sqlite: (c) => required('sqlite.path', c.path, 'database file path'),
  s3: (c) => [
    ...required('s3.bucket', c.bucket, 'bucket name'),
    ...(c.endpoint && !/^https?:\/\/\S+$/.test(c.endpoint)
      ? [{ field: 's3.endpoint', description: `'${c.endpoint}' is not an http(s) URL` }]
      : []),
    ...tlsProblems('s3', c.tls),
  ],
  memstore: (c) => [...nonNegative('memstore.max_keys', c.max_keys), ...nonNegative('memstore.max_bytes', c.max_bytes)],
};

function configProblems(backend: Backend): Problem[] {
  const type = backend.type ?? 'BACKEND_TYPE_UNSPECIFIED';
  if (type === 'BACKEND_TYPE_UNSPECIFIED' || !BACKEND_TYPES.includes(type)) {
    return [{ field: 'type', description: `required: one of ${BACKEND_TYPES.join(', ')}` }];
  }
  const expected = CONFIG_FIELD[type];
  const other = Object.values(CONFIG_FIELD).find((field) => field !== expected && backend[field] !== undefined);
  if (other) return [{ field: other, description: `does not go with type ${type}; its config is '${expected}'` }];
  const config = backend[expected];
  // An in-memory store needs nothing; every other type has to be told where it is.
  if (config === undefined) return type === 'MEMSTORE' ? [] : [{ field: expected, description: `required for a ${type} backend` }];
  const rules = CONFIG_RULES[expected] as (config: unknown) => Problem[];
  return [...rules(config), ...timeoutProblems(expected, config)];
}

export function checkBackend(backend: Backend): Problem[] {
  return [
    ...nameProblems(backend.name),
    ...configProblems(backend),
    ...interfaceListProblems('interfaces', backend.interfaces),
    ...credentialProblems(backend),
  ];
}
