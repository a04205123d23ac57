import { IsIn, IsString, MaxLength } from 'class-validator';

/** The login page's form (OAUTH.md: fields `username`, `password`); the authorization request rides along in hidden fields. */
export class LoginFormDto {
  @IsString()
  @MaxLength(256)
  username: string;

  @IsString()
  @MaxLength(1024)
  password: string;
}

/** The login page's passkey form: the challenge of the sign-in options and the JSON of navigator.credentials.get() (its script fills both). */
export class PasskeyFormDto {
  @IsString()
  @MaxLength(64)
  challengeId: string;

  @IsString()
  @MaxLength(16384)
  response: string;
}

/** The second-factor page's form: `otp` (a TOTP code or a recovery code) and the mfa_token of the password step. */
export class SecondFactorFormDto {
  @IsString()
  @MaxLength(64)
  otp: string;

  @IsString()
  @MaxLength(256)
  mfa_token: string;
}

/** The consent page's buttons (OAUTH.md: `decision` = `allow` or `deny`). */
export class ConsentFormDto {
  @IsIn(['allow', 'deny'])
  decision: 'allow' | 'deny';
}
