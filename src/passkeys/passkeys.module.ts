import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoginModule } from '../login/login.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { ThrottleModule } from '../throttle/throttle.module.js';
import { UsersModule } from '../users/users.module.js';
import { Passkey } from './entities/passkey.entity.js';
import { WebAuthnChallenge } from './entities/webauthn-challenge.entity.js';
import { PasskeyLoginService } from './passkey-login.service.js';
import { PasskeysController } from './passkeys.controller.js';
import { PasskeysService } from './passkeys.service.js';
import { RelyingParty } from './relying-party.js';
import { WebAuthnChallengesService } from './webauthn-challenges.service.js';

/**
 * Passkeys (WebAuthn): the credentials, their challenges, adding and
 * removing them (/auth/passkeys), and signing in with one, which the passkey
 * grant and the hosted login page (oauth/) call, as the admin routes (admin/) call the rest.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Passkey, WebAuthnChallenge]), UsersModule, LoginModule, SessionsModule, ThrottleModule],
  controllers: [PasskeysController],
  providers: [PasskeysService, PasskeyLoginService, WebAuthnChallengesService, RelyingParty],
  exports: [PasskeysService, PasskeyLoginService],
})
export class PasskeysModule {}
