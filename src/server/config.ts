// The serving configuration: the admin's frontends and namespaces compiled
// into one router per listener. Built off the hot path and swapped in whole;
// a configuration that does not compile is refused and the previous one
// keeps serving.
import type { Frontend, Namespace } from '../frontend/model.js';
import { compileFrontend, FrontendCompileError, type CompiledFrontend, type CompiledRoute } from '../frontend/compile.js';
import { buildRouter, RouterBuildError, type Router } from '../router/router.js';
import { routeEntry } from '../frontend/route-entry.js';
import type { ErrorShaper } from '../errors/error-shaper.js';
import { compileErrorShaper } from '../errors/error-shaper.js';

export interface ListenerAddress {
  host: string;
  port: number;
}

/** A route bound to the namespace whose pattern serves it. */
export interface BoundRoute extends CompiledRoute {
  namespace: string;
  endpoint: string;
}

export interface ListenerTable {
  address: ListenerAddress;
  router: Router<BoundRoute>;
  /** Error shaper for requests no route matches (the frontend's own when it is alone on the listener). */
  shapeError: ErrorShaper;
}

export interface ServingConfig {
  revision: string;
  listeners: Map<string, ListenerTable>;
  /** Frontend names with the namespaces serving them. */
  served: Array<{ frontend: string; namespace: string; basePath: string; listener: string }>;
}

export interface ConfigSnapshot {
  revision: string;
  frontends: ReadonlyMap<string, Frontend>;
  namespaces: ReadonlyMap<string, Namespace>;
}

export class ConfigCompileError extends Error {
  constructor(readonly problems: string[]) {
    super(`configuration refused:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigCompileError';
  }
}

export function listenerKey(a: ListenerAddress): string {
  return `${a.host}:${a.port}`;
}

const STATUS_ERRORS = compileErrorShaper(undefined);

/** Compiled frontends reused across configurations while their revision is unchanged. */
export class CompileCache {
  private entries = new Map<string, CompiledFrontend>();

  get(frontend: Frontend, basePath: string): CompiledFrontend {
    const key = `${frontend.name}@${frontend.revision ?? ''}|${basePath}`;
    let compiled = this.entries.get(key);
    if (!compiled) {
      compiled = compileFrontend(frontend, { basePath });
      this.entries.set(key, compiled);
    }
    return compiled;
  }

  /** Drops what the last configuration did not use. */
  retainOnly(used: Set<string>): void {
    for (const key of this.entries.keys()) if (!used.has(key)) this.entries.delete(key);
  }
}

export function compileServingConfig(
  snapshot: ConfigSnapshot,
  defaultListener: ListenerAddress,
  cache: CompileCache = new CompileCache(),
): ServingConfig {
  const problems: string[] = [];
  const byListener = new Map<string, { address: ListenerAddress; routes: BoundRoute[]; frontends: CompiledFrontend[] }>();
  const served: ServingConfig['served'] = [];
  const used = new Set<string>();

  for (const ns of snapshot.namespaces.values()) {
    const endpoint = ns.pattern?.endpoints?.[0];
    for (const binding of ns.frontends ?? []) {
      if (binding.enabled === false) continue;
      const frontend = snapshot.frontends.get(binding.frontend);
      if (!frontend) {
        problems.push(`namespace '${ns.name}': frontend '${binding.frontend}' does not exist`);
        continue;
      }
      if (!frontend.rest) continue;
      if (!endpoint) {
        problems.push(`namespace '${ns.name}': no pattern endpoint to serve frontend '${frontend.name}'`);
        continue;
      }
      const basePath = binding.base_path || frontend.rest.base_path || '';
      const listener = binding.listener?.port ? binding.listener : frontend.rest.listener?.port ? frontend.rest.listener : undefined;
      const address = listener
        ? { host: listener.host || defaultListener.host, port: listener.port! }
        : defaultListener;
      let compiled: CompiledFrontend;
      try {
        compiled = cache.get(frontend, basePath);
        used.add(`${frontend.name}@${frontend.revision ?? ''}|${basePath}`);
      } catch (err) {
        if (err instanceof FrontendCompileError) problems.push(...err.problems.map((p) => `frontend '${frontend.name}': ${p}`));
        else problems.push(`frontend '${frontend.name}': ${(err as Error).message}`);
        continue;
      }
      const key = listenerKey(address);
      let slot = byListener.get(key);
      if (!slot) byListener.set(key, (slot = { address, routes: [], frontends: [] }));
      slot.frontends.push(compiled);
      for (const route of compiled.routes) slot.routes.push({ ...route, namespace: ns.name, endpoint });
      served.push({ frontend: frontend.name, namespace: ns.name, basePath, listener: key });
    }
  }

  const listeners = new Map<string, ListenerTable>();
  for (const [key, slot] of byListener) {
    try {
      const router = buildRouter(slot.routes.map((r) => routeEntry(r, true)));
      const shapeError = slot.frontends.length === 1 ? slot.frontends[0].shapeError : STATUS_ERRORS;
      listeners.set(key, { address: slot.address, router, shapeError });
    } catch (err) {
      if (err instanceof RouterBuildError) problems.push(...err.problems.map((p) => `listener ${key}: ${p}`));
      else throw err;
    }
  }
  if (problems.length > 0) throw new ConfigCompileError(problems);
  cache.retainOnly(used);
  return { revision: snapshot.revision, listeners, served };
}

/** The error shaper for a listener that has no frontend at all. */
export const defaultErrorShaper = STATUS_ERRORS;
