import fastifyCookie from '@fastify/cookie';
import fastifyCsrfProtection from '@fastify/csrf-protection';
import fastifyView from '@fastify/view';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import type { AppConfiguration } from '../config/configuration.js';
import { csrfOptions } from './csrf.js';
import type { PageAsset } from './page-stylesheet.js';
import { BUILT_IN_TEMPLATES, PageTemplates } from './page-templates.js';

/** A year: an asset's name changes with its content, so a cached copy is never stale. */
const ASSET_MAX_AGE_SECONDS = 365 * 24 * 3600;

/**
 * The stylesheet and the passkey scripts (login page, account page), as Fastify routes like /metrics:
 * they are nobody's resource, so the account guards have no say in them.
 * Served, not inlined: the pages' policy then needs no hash or nonce, only
 * style-src 'self' (and script-src 'self' on the login page).
 */
function serveAsset(fastify: FastifyInstance, asset: PageAsset, type: string): void {
  fastify.get(asset.path, (_request, reply) => {
    reply.removeHeader('pragma');
    reply.header('cache-control', `public, max-age=${ASSET_MAX_AGE_SECONDS}, immutable`).type(type).send(asset.body);
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
  serveAsset(app.getHttpAdapter().getInstance(), templates.stylesheet, 'text/css; charset=utf-8');
  serveAsset(app.getHttpAdapter().getInstance(), templates.passkeyScript, 'text/javascript; charset=utf-8');
  serveAsset(app.getHttpAdapter().getInstance(), templates.accountScript, 'text/javascript; charset=utf-8');
}
