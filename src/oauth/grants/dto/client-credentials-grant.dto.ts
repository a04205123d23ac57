import { ResourceParameterDto } from './grant-parameters.dto.js';

/** RFC 6749 §4.4.2: the client's credentials are the grant; scope and resource are optional. */
export class ClientCredentialsGrantDto extends ResourceParameterDto {}
