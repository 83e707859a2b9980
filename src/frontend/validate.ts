// Validation of a Frontend definition, as the admin runs it before storing
// and the proxy before serving: the format (JSON Schema), then the mapping
// against the protobuf descriptors and the route set as a whole.
import type { Frontend } from './model.js';
import { schemaProblems } from './schema.js';
import { compileFrontend, FrontendCompileError, type CompiledFrontend } from './compile.js';
import { buildRouter, RouterBuildError } from '../router/router.js';
import { routeEntry } from './route-entry.js';

export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
const FRONTEND_TYPE = 'prism.frontend.v1.Frontend';

/** Compiles the frontend and its own route set; throws FrontendCompileError. */
export function compileAndCheck(frontend: Frontend): CompiledFrontend {
  const compiled = compileFrontend(frontend);
  try {
    buildRouter(compiled.routes.map((r) => routeEntry(r)));
  } catch (err) {
    if (err instanceof RouterBuildError) throw new FrontendCompileError(frontend.name, err.problems);
    throw err;
  }
  return compiled;
}

/** Every problem of a Frontend definition as "path: reason"; empty when valid. */
export function validateFrontend(frontend: Frontend): string[] {
  const problems = schemaProblems(FRONTEND_TYPE, frontend);
  if (problems.length > 0) return problems;
  if (!frontend.name) problems.push('name: required');
  else if (!NAME_PATTERN.test(frontend.name)) problems.push(`name: '${frontend.name}' must match ${NAME_PATTERN.source}`);
  const type = frontend.type ?? 'FRONTEND_TYPE_UNSPECIFIED';
  if (type !== 'REST') problems.push(`type: ${type} frontends are not supported yet; use REST`);
  if (!frontend.rest) problems.push('rest: required for a REST frontend');
  if (problems.length > 0) return problems;
  try {
    compileAndCheck(frontend);
  } catch (err) {
    if (err instanceof FrontendCompileError) return err.problems;
    return [`(root): ${(err as Error).message}`];
  }
  return [];
}
