import type { FastifyInstance } from 'fastify';
import { UnsupportedMediaTypeException } from '@nestjs/common';

/**
 * Bodies are read as UTF-8 (RFC 8259 requires it of JSON). A request that
 * declares another charset would be misread, so it is refused with 415
 * rather than guessed at; Fastify's parsers ignore the charset parameter.
 */
export function refuseNonUtf8Bodies(fastify: FastifyInstance): void {
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    const charset = /;\s*charset=("?)([^";]+)\1/i.exec(request.headers['content-type'] ?? '')?.[2];
    if (charset && !/^utf-?8$/i.test(charset)) {
      return done(new UnsupportedMediaTypeException(`Unsupported charset "${charset}": send UTF-8.`));
    }
    done(null, payload);
  });
}
