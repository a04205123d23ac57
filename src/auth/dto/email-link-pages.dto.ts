import { IsOptional, IsString, Length, MaxLength } from 'class-validator';

/**
 * What the e-mail link pages take (PageQuery, PageBody: unknown parameters
 * ignored). Not in the OpenAPI document: these are forms, not the API. Their
 * messages are a person's, shown on a 400 page.
 */
const LINK_INCOMPLETE = 'This link is incomplete: open it again from the mail, whole.';
/** A mailed token: 32 random bytes in base64url (43 characters); a little room either way, never unbounded (as account-email.dto.ts). */
const TOKEN_LENGTH = { min: 16, max: 128 };

export class VerifyEmailPageQuery {
  @IsOptional()
  @IsString({ message: LINK_INCOMPLETE })
  @Length(TOKEN_LENGTH.min, TOKEN_LENGTH.max, { message: LINK_INCOMPLETE })
  token?: string;
}

/** The button form (token), or the address and the mailed code; checked as the API checks them, by EmailVerificationService. */
export class VerifyEmailPageForm extends VerifyEmailPageQuery {
  @IsOptional()
  @IsString()
  @MaxLength(254)
  email?: string;

  @IsOptional()
  @IsString()
  @MaxLength(16)
  code?: string;
}

export class ResetPasswordPageQuery {
  @IsString({ message: LINK_INCOMPLETE })
  @Length(TOKEN_LENGTH.min, TOKEN_LENGTH.max, { message: LINK_INCOMPLETE })
  token: string;
}

/** The new password twice; its rules are checked by the controller and PasswordResetService, so a refusal shows on the form. */
export class ResetPasswordPageForm extends ResetPasswordPageQuery {
  @IsString()
  @MaxLength(4096)
  newPassword: string;

  @IsString()
  @MaxLength(4096)
  newPasswordConfirmation: string;
}
