import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';

interface Schema {
  $ref?: string;
  properties?: Record<string, { example?: unknown }>;
}
interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  requestBody?: { content: Record<string, { schema: Schema; example?: unknown; examples?: unknown }> };
  responses: Record<string, { description?: string }>;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

let testApp: TestApp;
let document: OpenApiDocument;
const operations: Array<[string, Operation]> = [];

beforeAll(async () => {
  testApp = await createTestApp();
  document = (await testApp.http().get('/docs-json').expect(200)).body;
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) operations.push([`${method.toUpperCase()} ${path}`, operation]);
  }
});
afterAll(() => testApp.close());

describe('the OpenAPI document', () => {
  it('validates as OpenAPI 3', async () => {
    const result = await new Validator().validate(structuredClone(document) as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('gives every operation a unique operationId, a summary and tags', () => {
    expect(operations.length).toBe(60);
    for (const [name, operation] of operations) {
      expect(operation.operationId, name).toMatch(/^[a-z][A-Za-z]+$/);
      expect(operation.summary, name).toBeTruthy();
      expect(operation.tags?.length, name).toBeGreaterThan(0);
    }
    const ids = operations.map(([, operation]) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('gives every request body an example for each of its fields', () => {
    const withBody = operations.filter(([, operation]) => operation.requestBody);
    expect(withBody.map(([name]) => name).sort()).toEqual([
      'DELETE /auth/mfa/totp',
      'PATCH /auth/passkeys/{id}',
      'PATCH /clients/{client_id}',
      'PATCH /users/{id}',
      'POST /auth',
      'POST /auth/device',
      'POST /auth/email/verify',
      'POST /auth/introspect',
      'POST /auth/mfa/totp',
      'POST /auth/mfa/totp/confirm',
      'POST /auth/mfa/totp/recovery-codes',
      'POST /auth/par',
      'POST /auth/passkeys/registration',
      'POST /auth/passkeys/registration/options',
      'POST /auth/password/forgot',
      'POST /auth/password/reset',
      'POST /auth/revoke',
      'POST /auth/token',
      'POST /clients',
      'POST /register',
      'PUT /auth/email',
      'PUT /auth/password',
      'PUT /register/{client_id}',
    ]);
    for (const [name, operation] of withBody) {
      // The token endpoint: one example per grant instead (below).
      if (name === 'POST /auth/token') continue;
      for (const [mediaType, content] of Object.entries(operation.requestBody!.content)) {
        const schema = content.schema.$ref ? document.components.schemas[content.schema.$ref.split('/').pop()!] : content.schema;
        for (const [field, property] of Object.entries(schema.properties ?? {})) {
          expect(property.example, `${name} ${mediaType} ${field}`).toBeDefined();
        }
      }
    }
  });

  it('gives the token endpoint one example request per grant, and no field examples that Try it out would send all at once', () => {
    const [, token] = operations.find(([name]) => name === 'POST /auth/token')!;
    for (const [mediaType, content] of Object.entries(token.requestBody!.content)) {
      const grants = (content.schema as { oneOf: Array<{ $ref: string }> }).oneOf.map(({ $ref }) => $ref.split('/').pop()!);
      const examples = content.examples as Record<string, { value: Record<string, unknown> }>;
      expect(Object.keys(examples).map((name) => `${name}Dto`), mediaType).toEqual(grants);
      for (const grant of grants) {
        const schema = document.components.schemas[grant];
        const { value } = examples[grant.replace(/Dto$/, '')];
        expect(value.grant_type, grant).toEqual(expect.any(String));
        for (const field of [...Object.keys(value), ...((schema as { required?: string[] }).required ?? [])]) expect(value[field], `${grant} ${field}`).toBeDefined();
        for (const field of Object.keys(value)) expect(schema.properties, `${grant} ${field}`).toHaveProperty(field);
        for (const [field, property] of Object.entries(schema.properties ?? {})) expect(property.example, `${grant} ${field}`).toBeUndefined();
      }
    }
    expect((token.requestBody!.content['application/json'].examples as Record<string, { value: Record<string, unknown> }>).PasswordGrant.value).toEqual({
      grant_type: 'password',
      username: 'alice',
      password: 'correct-horse',
    });
  });

  it('shows error examples with the status they document, and lists the scopes discovery names in the Authorize dialog', async () => {
    for (const [name, operation] of operations) {
      for (const [status, response] of Object.entries(operation.responses as Record<string, { content?: Record<string, { example?: { statusCode?: unknown } }> }>)) {
        for (const media of Object.values(response.content ?? {})) {
          if (media.example?.statusCode !== undefined) expect(media.example.statusCode, `${name} ${status}`).toBe(Number(status));
        }
      }
    }
    const schemes = (document as unknown as { components: { securitySchemes: { oauth2: { flows: Record<string, { scopes: Record<string, string> }> } } } }).components.securitySchemes;
    const { scopes_supported } = (await testApp.http().get('/.well-known/openid-configuration').expect(200)).body as { scopes_supported: string[] };
    for (const flow of Object.values(schemes.oauth2.flows)) expect(Object.keys(flow.scopes)).toEqual(scopes_supported);
  });

  it('pre-fills no date range for GET /audit (a fixed past range shows nothing)', () => {
    const [, audit] = operations.find(([name]) => name === 'GET /audit')!;
    for (const parameter of (audit as unknown as { parameters: Array<{ name: string; example?: unknown; schema: { example?: unknown } }> }).parameters) {
      expect(parameter.example ?? parameter.schema.example, parameter.name).toBeUndefined();
    }
  });

  it('describes every response it documents', () => {
    for (const [name, operation] of operations) {
      for (const [status, response] of Object.entries(operation.responses)) expect(response.description, `${name} ${status}`).toBeTruthy();
    }
  });
});
