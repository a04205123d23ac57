import { Global, Module } from '@nestjs/common';
import { CsrfGuard } from './csrf.js';
import { PageRenderer } from './page-renderer.js';
import { PageTemplates } from './page-templates.js';

/**
 * The hosted pages' machinery: templates, the renderer, the CSRF guard.
 * Global, like configuration: AppModule imports it once, and any module's
 * page controller injects PageRenderer (it imports none of them). Fastify's
 * side is configurePages(); the error filter is the app's
 * (PageOrApiErrorsFilter).
 */
@Global()
@Module({
  providers: [PageTemplates, PageRenderer, CsrfGuard],
  exports: [PageTemplates, PageRenderer, CsrfGuard],
})
export class PagesModule {}
