import { IsOptional, IsString, MaxLength } from 'class-validator';

/** The verification page's field (OAUTH.md, "Hosted pages": `user_code`); it also rides along the login and consent forms. */
export class UserCodeFormDto {
  @IsString()
  @MaxLength(32)
  user_code: string;
}

/** GET /device: `user_code` pre-filled from verification_uri_complete. */
export class UserCodeQueryDto {
  @IsOptional()
  @IsString()
  @MaxLength(32)
  user_code?: string;
}
