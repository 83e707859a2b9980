// The admin's checks on a definition before it is stored. Shared by the gRPC
// service and the directory seed so both refuse exactly the same things.
import type { Frontend, FrontendBinding, Namespace } from '../frontend/model.js';
import { NAME_PATTERN, validateFrontend } from '../frontend/validate.js';

/** One thing wrong with a definition: a dotted field path and why. */
export interface Problem {
  field: string;
  description: string;
}

/**
 * Shape problems are INVALID_ARGUMENT; `missingReferences` (bound frontends
 * that do not exist) are FAILED_PRECONDITION when they are all that is wrong.
 */
export interface ValidationResult {
  invalid: Problem[];
  missingReferences: Problem[];
}

export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => (p.field ? `${p.field}: ${p.description}` : p.description)).join('\n');
}

/** Namespaces follow the frontends' naming rule. */
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

function endpointProblems(endpoints: readonly string[] | undefined): Problem[] {
  if (!endpoints?.length) return [{ field: 'pattern.endpoints', description: 'at least one host:port required' }];
  const problems: Problem[] = [];
  endpoints.forEach((endpoint, i) => {
    const port = ENDPOINT_PATTERN.exec(endpoint)?.[1];
    if (port === undefined || Number(port) < 1 || Number(port) > 65535) {
      problems.push({ field: `pattern.endpoints[${i}]`, description: `'${endpoint}' is not host:port` });
    }
  });
  return problems;
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

export function checkNamespace(
  namespace: Namespace,
  findFrontend: (name: string) => Frontend | undefined,
): ValidationResult {
  const bindings = bindingProblems(namespace.frontends ?? [], findFrontend);
  return {
    invalid: [...nameProblems(namespace.name), ...endpointProblems(namespace.pattern?.endpoints), ...bindings.invalid],
    missingReferences: bindings.missingReferences,
  };
}
