import { PATH_METADATA } from '@nestjs/common/constants.js';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants.js';
import { ApiExcludeController, ApiExcludeEndpoint } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';

/** The Fastify route config key that marks a hosted page. */
const HOSTED_PAGE = 'hostedPage';

/** The mark itself, for a page served by a plain Fastify route (`fastify.get(path, { config: HOSTED_PAGE_CONFIG }, …)`). */
export const HOSTED_PAGE_CONFIG = { [HOSTED_PAGE]: true } as const;

/** Adds the mark to a route handler's Fastify config, keeping whatever @RouteConfig put there. */
function markHandler(handler: object): void {
  const config = (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) as Record<string, unknown> | undefined) ?? {};
  Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...config, ...HOSTED_PAGE_CONFIG }, handler);
}

/**
 * Marks a controller (each of its routes) or one route as a hosted page:
 * errors answer as HTML pages (PageOrApiErrorsFilter), and the route is left
 * out of the OpenAPI document, which describes the JSON API. The mark is in
 * the Fastify route's config (the way @RouteConfig writes it), so the filter
 * reads it off the request whatever failed: the handler, a guard, a pipe, or
 * Fastify itself before Nest (a body it cannot parse). On a route, put it
 * above a @RouteConfig of the same route.
 */
export function HostedPage(): ClassDecorator & MethodDecorator {
  return ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (descriptor) {
      markHandler(descriptor.value as object);
      ApiExcludeEndpoint()(target, key!, descriptor);
      return;
    }
    // A class decorator runs after its methods': the routes are known by now.
    const prototype = (target as { prototype: object }).prototype;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = Object.getOwnPropertyDescriptor(prototype, name)?.value as unknown;
      if (typeof handler === 'function' && Reflect.hasMetadata(PATH_METADATA, handler)) markHandler(handler);
    }
    ApiExcludeController()(target as never);
  }) as ClassDecorator & MethodDecorator;
}

/** Whether the request is for a hosted page: the one place that decides between an HTML and a JSON error. */
export function isHostedPage(request: FastifyRequest | undefined): boolean {
  return (request?.routeOptions?.config as Record<string, unknown> | undefined)?.[HOSTED_PAGE] === true;
}
