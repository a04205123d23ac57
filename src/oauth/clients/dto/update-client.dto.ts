import { PartialType } from '@nestjs/swagger';
import { CreateClientDto } from './create-client.dto.js';

/** PATCH: the fields given replace the stored ones (lists as a whole); `logo_uri` and `client_uri` may be null to remove them. */
export class UpdateClientDto extends PartialType(CreateClientDto) {}
