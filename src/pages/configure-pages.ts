import fastifyCookie from '@fastify/cookie';
import fastifyCsrfProtection from '@fastify/csrf-protection';
import fastifyView from '@fastify/view';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import type { AppConfiguration } from '../config/configuration.js';
import { csrfOptions } from './csrf.js';
import type { Stylesheet } from './page-stylesheet.js';
import { BUILT_IN_TEMPLATES, PageTemplates } from './page-templates.js';

/** A year: the stylesheet's name changes with its content, so a cached copy is never stale. */
const STYLESHEET_MAX_AGE_SECONDS = 365 * 24 * 3600;

/**
 * The stylesheet, as a Fastify route like /metrics: it is nobody's resource,
 * so the account guards have no say in it. Served, not inlined: the pages'
 * policy then needs no hash or nonce, only style-src 'self'.
 */
function serveStylesheet(fastify: FastifyInstance, stylesheet: Stylesheet): void {
  fastify.get(stylesheet.path, (_request, reply) => {
    reply.removeHeader('pragma');
    reply.header('cache-control', `public, max-age=${STYLESHEET_MAX_AGE_SECONDS}, immutable`).type('text/css; charset=utf-8').send(stylesheet.body);
  });
}

/**
 * What the hosted pages need of Fastify, called by configure-app.ts before
 * the app starts: cookies, the CSRF tokens (@fastify/csrf-protection, checked
 * by CsrfGuard), the views (@fastify/view over PageTemplates' eta, in
 * production mode whatever NODE_ENV says, so templates are compiled once) and
 * the stylesheet.
 */
export async function configurePages(app: NestFastifyApplication, config: AppConfiguration): Promise<void> {
  const templates = app.get(PageTemplates);
  await app.register(fastifyCookie);
  await app.register(fastifyCsrfProtection, csrfOptions(config.publicUrl));
  await app.register(fastifyView, { engine: { eta: templates.eta }, root: BUILT_IN_TEMPLATES, production: true });
  serveStylesheet(app.getHttpAdapter().getInstance(), templates.stylesheet);
}
