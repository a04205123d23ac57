import { IsEmail, IsIn, IsOptional, IsString, Length, MaxLength } from 'class-validator';

/** Field names are the API's (ChangePasswordDto, ChangeEmailDto, TotpCodeDto…), so a person's refusal reads like the API's. */
export class ChangeEmailFormDto {
  @IsEmail({}, { message: 'E-mail address: enter an address such as ada@example.com.' })
  @MaxLength(254)
  email: string;

  @IsString()
  @Length(1, 1024, { message: 'Current password: enter it to change the address.' })
  currentPassword: string;
}

export class ChangePasswordFormDto {
  @IsString()
  @Length(1, 1024, { message: 'Current password: enter it to change the password.' })
  currentPassword: string;

  @IsString()
  @Length(1, 1024, { message: 'New password: enter the new password.' })
  newPassword: string;

  @IsString()
  @MaxLength(1024)
  newPasswordConfirmation: string;
}

export class PasswordFormDto {
  @IsString()
  @Length(1, 1024, { message: 'Password: enter your current password.' })
  password: string;
}

export class CodeFormDto {
  @IsString()
  @Length(1, 64, { message: 'Code: enter the 6-digit code of your authenticator app (or a recovery code).' })
  code: string;
}

export class PasskeyNameFormDto {
  @IsString()
  @Length(1, 64, { message: 'Name: give the passkey a name of 1 to 64 characters.' })
  name: string;
}

export class AddPasskeyFormDto extends PasskeyNameFormDto {
  @IsString()
  @Length(1, 16_384, { message: 'The passkey answer is missing: this form needs JavaScript and a browser that supports passkeys.' })
  response: string;
}

export class AccountPageQueryDto {
  @IsOptional()
  @IsIn(['email-changed', 'email-resent', 'sessions-ended', 'session-ended', 'two-factor-off', 'passkey-added', 'passkey-renamed', 'passkey-removed', 'application-withdrawn'], { message: 'done: not a known result' })
  done?: string;
}
