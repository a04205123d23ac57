import { ClientSecretBasicMethod } from './client-secret-basic.method.js';
import { ClientSecretPostMethod } from './client-secret-post.method.js';
import { NoneMethod } from './none.method.js';
import { PrivateKeyJwtMethod } from './private-key-jwt.method.js';

/** Every client authentication method: a new one is its class here and its name in TOKEN_ENDPOINT_AUTH_METHODS. */
export const CLIENT_AUTHENTICATION_METHOD_CLASSES = [ClientSecretBasicMethod, ClientSecretPostMethod, PrivateKeyJwtMethod, NoneMethod];
