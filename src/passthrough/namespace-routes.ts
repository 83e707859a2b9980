// The passthrough's namespace lookup built from the admin's namespaces. Built once per
// configuration (off the hot path) and swapped in whole with it, so each call sees one
// configuration or the next, never a mix.
import type { Namespace } from '../frontend/model.js';
import type { NamespaceRoute } from './passthrough.js';

const UNKNOWN: NamespaceRoute = { kind: 'unknown' };
const DISABLED: NamespaceRoute = { kind: 'disabled' };

export function namespaceRoutes(namespaces: Iterable<Namespace>): (namespace: string) => NamespaceRoute {
  const routes = new Map<string, NamespaceRoute>();
  for (const namespace of namespaces) routes.set(namespace.name, routeOf(namespace));
  return (name) => routes.get(name) ?? UNKNOWN;
}

function routeOf(namespace: Namespace): NamespaceRoute {
  if (namespace.grpc_disabled === true) return DISABLED;
  // The first endpoint, as the REST frontends use (the admin refuses a namespace without one).
  const endpoint = namespace.pattern?.endpoints?.[0];
  if (endpoint === undefined) return { kind: 'unavailable', reason: 'its pattern has no endpoint' };
  return { kind: 'endpoint', endpoint };
}
