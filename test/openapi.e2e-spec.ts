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
      for (const [mediaType, content] of Object.entries(operation.requestBody!.content)) {
        const schema = content.schema.$ref ? document.components.schemas[content.schema.$ref.split('/').pop()!] : content.schema;
        for (const [field, property] of Object.entries(schema.properties ?? {})) {
          expect(property.example, `${name} ${mediaType} ${field}`).toBeDefined();
        }
      }
    }
  });

  it('describes every response it documents', () => {
    for (const [name, operation] of operations) {
      for (const [status, response] of Object.entries(operation.responses)) expect(response.description, `${name} ${status}`).toBeTruthy();
    }
  });
});
