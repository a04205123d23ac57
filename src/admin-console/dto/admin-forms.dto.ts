import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { ROLES, type Role } from '../../account-rules/account-rules.js';
import { AuditQueryDto } from '../../audit/dto/audit-query.dto.js';

/** A form's list: one item a line (a textarea), or repeated fields (checkboxes). */
const lines = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(/\r?\n/).map((line) => line.trim()).filter(Boolean) : Array.isArray(value) ? value : value === undefined ? [] : value);
const pageNumber = ({ value }: { value: unknown }) => (typeof value === 'string' && /^[1-9]\d{0,5}$/.test(value) ? Number(value) : value);

export class UsersSearchDto {
  @IsOptional()
  @IsString()
  @MaxLength(254, { message: 'Search: at most 254 characters.' })
  q?: string;

  @IsOptional()
  @Transform(pageNumber)
  @IsInt({ message: 'page must be a page number, 1 or more' })
  @Min(1)
  @Max(100_000)
  page?: number;
}

export class ChangeRoleFormDto {
  @IsIn(ROLES, { message: `Role: choose one of ${ROLES.join(', ')}.` })
  role: Role;
}

/** What the client page edits: the lists a redirect or a grant change needs (ClientsService checks them as for a new client). */
export class ClientEditFormDto {
  @Transform(lines)
  @IsString({ each: true, message: 'Redirect URIs: one URI a line.' })
  redirect_uris: string[];

  @Transform(lines)
  @IsString({ each: true, message: 'Grant types: tick the boxes of the list.' })
  grant_types: string[];
}

export class ClientFormDto extends ClientEditFormDto {
  @IsString()
  @Length(1, 200, { message: 'Name: give the application a name of 1 to 200 characters.' })
  client_name: string;

  @IsOptional()
  @IsIn(['client_secret_basic', 'client_secret_post', 'none'], { message: 'Client authentication: choose one of the list.' })
  token_endpoint_auth_method?: 'client_secret_basic' | 'client_secret_post' | 'none';

  @IsOptional()
  @Transform(({ value }) => value === 'on' || value === 'true')
  @IsBoolean()
  skip_consent?: boolean;
}

export class ConfirmFormDto {
  @IsString()
  @Matches(/^yes$/, { message: 'Tick the confirmation box to go ahead.' })
  confirm: string;
}

/** The audit page's filters: the API's (GET /audit), in a query string. */
export class AuditFilterDto extends AuditQueryDto {}
