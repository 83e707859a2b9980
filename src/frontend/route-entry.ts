// A compiled route as the router sees it.
import type { RouteEntry } from '../router/router.js';
import type { CompiledRoute } from './compile.js';

/** `withFrontend` names the frontend in conflict messages (a listener shared by several frontends). */
export function routeEntry<T extends CompiledRoute>(route: T, withFrontend = false): RouteEntry<T> {
  return {
    method: route.method,
    template: route.template,
    value: route,
    unescape: route.options.unescape,
    ignoreTrailingSlash: route.options.ignoreTrailingSlash,
    matchUnregisteredCustomVerb: route.options.matchUnregisteredCustomVerb,
    label: withFrontend ? `frontend '${route.frontend}' ${route.definitionPath}` : route.definitionPath,
  };
}
