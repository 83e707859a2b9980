// A compiled route as the router sees it.
import type { RouteEntry } from '../router/router.js';
import type { CompiledRoute } from './compile.js';

export function routeEntry<T extends CompiledRoute>(route: T): RouteEntry<T> {
  return {
    method: route.method,
    template: route.template,
    value: route,
    unescape: route.options.unescape,
    ignoreTrailingSlash: route.options.ignoreTrailingSlash,
    matchUnregisteredCustomVerb: route.options.matchUnregisteredCustomVerb,
    label: route.label,
  };
}
