import { Module } from '@nestjs/common';
import { SingleUseModule } from '../single-use/single-use.module.js';
import { DpopNoncesService } from './dpop-nonces.service.js';
import { DpopProofsService } from './dpop-proofs.service.js';

/** DPoP proofs (RFC 9449): checked at the token endpoint, the PAR endpoint and on Gatehouse's own routes. */
@Module({
  imports: [SingleUseModule],
  providers: [DpopProofsService, DpopNoncesService],
  exports: [DpopProofsService],
})
export class DpopModule {}
