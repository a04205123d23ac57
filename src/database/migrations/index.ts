import { CreateUsers1764355200000 } from './1764355200000-create-users.js';
import { CreateRefreshTokens1764441600000 } from './1764441600000-create-refresh-tokens.js';
import { CreateSessions1764528000000 } from './1764528000000-create-sessions.js';
import { CreateSigningKeys1764614400000 } from './1764614400000-create-signing-keys.js';
import { AddSessionDetails1764700000000 } from './1764700000000-add-session-details.js';
import { CreateTwoFactor1764710000000 } from './1764710000000-create-two-factor.js';
import { CreateAuditEvents1764800000000 } from './1764800000000-create-audit-events.js';
import { AddEmail1764900000000 } from './1764900000000-add-email.js';
import { VerifiedEmailUnique1764950000000 } from './1764950000000-verified-email-unique.js';
import { AddTotpConfirmationAttempts1765000000000 } from './1765000000000-add-totp-confirmation-attempts.js';
import { CreateOAuthClients1765100000000 } from './1765100000000-create-oauth-clients.js';
import { CreateAuthorization1765200000000 } from './1765200000000-create-authorization.js';
import { BackchannelLogout1765400000000 } from './1765400000000-backchannel-logout.js';
import { DynamicRegistration1765500000000 } from './1765500000000-dynamic-registration.js';
import { CreateDeviceAuthorizations1765600000000 } from './1765600000000-create-device-authorizations.js';
import { PushedAuthorizationRequests1765700000000 } from './1765700000000-pushed-authorization-requests.js';
import { PrivateKeyJwt1765710000000 } from './1765710000000-private-key-jwt.js';
import { SecurityNotices1765710700000 } from './1765710700000-security-notices.js';
import { Dpop1765714300000 } from './1765714300000-dpop.js';
import { CreatePasskeys1765900000000 } from './1765900000000-create-passkeys.js';
import { SharedChanges1766200000000 } from './1766200000000-shared-changes.js';

/** Every migration, in order. Listed by class rather than by glob, which ES modules cannot load. */
export const migrations = [
  CreateUsers1764355200000,
  CreateRefreshTokens1764441600000,
  CreateSessions1764528000000,
  CreateSigningKeys1764614400000,
  AddSessionDetails1764700000000,
  CreateTwoFactor1764710000000,
  CreateAuditEvents1764800000000,
  AddEmail1764900000000,
  VerifiedEmailUnique1764950000000,
  AddTotpConfirmationAttempts1765000000000,
  CreateOAuthClients1765100000000,
  CreateAuthorization1765200000000,
  BackchannelLogout1765400000000,
  DynamicRegistration1765500000000,
  CreateDeviceAuthorizations1765600000000,
  PushedAuthorizationRequests1765700000000,
  PrivateKeyJwt1765710000000,
  SecurityNotices1765710700000,
  Dpop1765714300000,
  CreatePasskeys1765900000000,
  SharedChanges1766200000000,
];
