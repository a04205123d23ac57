import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configurationPage, CONFIGURATION_FILE, referenceProblems, settingsReference } from '../scripts/config-reference.mjs';
import { architectureWithGraph, ARCHITECTURE_FILE, folderGraph, layers } from '../scripts/module-graph.mjs';
import { createTestApp, type TestApp } from './helpers/app.js';

let testApp: TestApp;
let document: {
  openapi: string;
  info: { version: string };
  tags: { name: string; description?: string }[];
  paths: Record<string, Record<string, { operationId?: string; summary?: string; security?: object[]; responses: Record<string, unknown>; requestBody?: { content: Record<string, unknown> } }>>;
  components: { securitySchemes: Record<string, unknown>; schemas: Record<string, { properties: Record<string, { example?: unknown }> }> };
};

beforeAll(async () => {
  testApp = await createTestApp();
  document = (await testApp.http().get('/docs-json').expect(200)).body;
});
afterAll(() => testApp.close());

describe('Swagger', () => {
  it('serves Swagger UI at /docs', async () => {
    const response = await testApp.http().get('/docs').redirects(1).expect(200);
    expect(response.text).toContain('swagger-ui');
  });

  it('declares OAuth2 first (the Authorize dialog keeps this order): the code flow through /authorize, then the password flow; then bearer and basic', () => {
    expect(document.openapi).toMatch(/^3\./);
    const scopes = { openid: expect.any(String), profile: expect.any(String), email: expect.any(String), offline_access: expect.any(String), gatehouse: expect.stringContaining('Gatehouse account') };
    expect(document.components.securitySchemes).toEqual({
      oauth2: {
        type: 'oauth2',
        description: expect.stringContaining('client_id `gatehouse-docs`, no secret'),
        flows: {
          authorizationCode: { authorizationUrl: '/authorize', tokenUrl: '/auth/token', refreshUrl: '/auth/token', scopes },
          password: { tokenUrl: '/auth/token', refreshUrl: '/auth/token', scopes },
        },
      },
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      basic: { type: 'http', scheme: 'basic' },
    });
    expect(Object.keys(document.components.securitySchemes)).toEqual(['oauth2', 'bearer', 'basic']);
  });

  it('lists the tags in the order a person meets them, each with a description, and declares every tag an operation uses', () => {
    const names = document.tags.map((tag) => tag.name);
    const firstMet = ['auth', 'sessions', 'two-factor', 'passkeys', 'e-mail', 'password-reset', 'greeting', 'users', 'clients', 'keys', 'audit', 'well-known', 'health'];
    expect(names.filter((name) => firstMet.includes(name))).toEqual(firstMet);
    for (const tag of document.tags) expect(tag.description, tag.name).toBeTruthy();
    const used = new Set(Object.values(document.paths).flatMap((methods) => Object.values(methods).flatMap((operation) => (operation as { tags?: string[] }).tags ?? [])));
    expect([...used].filter((tag) => !names.includes(tag))).toEqual([]);
  });

  it('lists in docs/getting-started.md the tags Swagger UI shows, in its order', () => {
    const sentence = /Tags are in the order you meet\s+them: ([^.]*)\(/.exec(readFileSync('docs/getting-started.md', 'utf8'));
    expect(sentence, 'the sentence that lists the tags').not.toBeNull();
    expect([...sentence![1].matchAll(/`([^`]+)`/g)].map((match) => match[1])).toEqual(document.tags.map((tag) => tag.name));
  });

  it('gives the version of package.json', () => {
    expect(document.info.version).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
  });

  it('shows the password of the README walk-through in its examples', () => {
    const [, username, password] = /"username":"(\w+)","password":"([^"]+)"/.exec(readFileSync('README.md', 'utf8'))!;
    const { properties } = document.components.schemas.RegisterDto;
    expect([properties.username.example, properties.password.example]).toEqual([username, password]);
  });

  it.each([
    ['post', '/auth', ['201', '400', '409'], false],
    ['post', '/auth/token', ['200', '400', '401'], false],
    ['post', '/auth/revoke', ['200', '400'], false],
    ['get', '/auth/me', ['200', '401'], true],
    ['put', '/auth/password', ['204', '400', '401'], true],
    ['get', '/users', ['200', '400', '401', '403'], true],
    ['patch', '/users/{id}', ['200', '400', '401', '403', '404', '409'], true],
    ['delete', '/users/{id}', ['204', '400', '401', '403', '404', '409'], true],
    ['post', '/clients', ['201', '400', '401', '403'], true],
    ['get', '/clients', ['200', '400', '401', '403'], true],
    ['get', '/clients/{client_id}', ['200', '401', '403', '404'], true],
    ['patch', '/clients/{client_id}', ['200', '400', '401', '403', '404', '409'], true],
    ['delete', '/clients/{client_id}', ['204', '401', '403', '404'], true],
    ['post', '/clients/{client_id}/secret', ['201', '400', '401', '403', '404'], true],
    ['get', '/auth/grants', ['200', '401'], true],
    ['delete', '/auth/grants/{client_id}', ['204', '401', '404'], true],
    ['post', '/auth/introspect', ['200', '400', '401', '403'], true],
    ['get', '/', ['200', '401'], true],
    ['get', '/unprotected', ['200'], false],
    ['get', '/protected', ['200', '401'], true],
    ['get', '/protected-admin', ['200', '401', '403'], true],
    ['get', '/health', ['200', '503'], false],
  ])('documents %s %s with its summary, responses and security', (method, path, codes, secured) => {
    const operation = document.paths[path]?.[method];
    expect(operation, `${method} ${path}`).toBeDefined();
    expect(operation.summary).toBeTruthy();
    expect(operation.operationId).toBeTruthy();
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(codes));
    if (secured) expect(operation.security).toEqual([{ bearer: [] }, { basic: [] }, { oauth2: [] }]);
    else expect(operation.security).toBeUndefined();
  });

  it('documents every grant of the token endpoint: one request body each, and a line each in the description', () => {
    const operation = document.paths['/auth/token'].post as unknown as { description: string; requestBody: { content: Record<string, { schema: { oneOf: { $ref: string }[] } }> } };
    const grants = ['AuthorizationCodeGrantDto', 'RefreshTokenGrantDto', 'ClientCredentialsGrantDto', 'PasswordGrantDto', 'MfaGrantDto', 'DeviceCodeGrantDto', 'PasskeyGrantDto'];
    for (const media of Object.values(operation.requestBody.content)) expect(media.schema.oneOf.map((schema) => schema.$ref.split('/').pop())).toEqual(grants);
    for (const grantType of ['authorization_code', 'refresh_token', 'client_credentials', 'password', 'urn:gatehouse:params:oauth:grant-type:mfa-otp', 'urn:ietf:params:oauth:grant-type:device_code', 'urn:gatehouse:params:oauth:grant-type:passkey']) {
      expect(operation.description).toContain(`- \`${grantType}\``);
    }
  });

  it('lets the token endpoint take a form, as the OAuth2 password flow sends it', () => {
    expect(Object.keys(document.paths['/auth/token'].post.requestBody!.content)).toEqual(['application/x-www-form-urlencoded', 'application/json']);
  });
});

describe('docs/ARCHITECTURE.md', () => {
  it("draws the module graph the code has (node scripts/module-graph.mjs), and the code's graph has no loop", () => {
    expect(() => layers(folderGraph())).not.toThrow();
    const page = readFileSync(ARCHITECTURE_FILE, 'utf8');
    expect(architectureWithGraph(page) === page, 'run node scripts/module-graph.mjs').toBe(true);
  });

  it('gives every top-level folder of src/ a line of its own in "The modules"', () => {
    const modules = readFileSync(ARCHITECTURE_FILE, 'utf8').split('## The modules')[1];
    const folders = [...folderGraph().keys()].filter((folder) => folder !== '.');
    expect(folders.filter((folder) => !modules.includes(`**${folder}/**`))).toEqual([]);
  });
});

describe('docs/configuration.md', () => {
  it('is made from the code (node scripts/config-reference.mjs): every variable the configuration reads, once, with its default', async () => {
    expect(await referenceProblems()).toEqual([]);
    expect((await configurationPage()) === readFileSync(CONFIGURATION_FILE, 'utf8'), 'run node scripts/config-reference.mjs').toBe(true);
  });

  it('finds a variable the configuration reads that the reference lacks, and a default that disagrees', async () => {
    const { variablesRead } = await import('../scripts/config-reference.mjs');
    const read = variablesRead("const a = env.NEW_SETTING; readInteger(env, 'PORT', 8080, 0, 65535);");
    expect([...read]).toEqual([['NEW_SETTING', undefined], ['PORT', '8080']]);
  });

  it('documents every variable of .env.example, the development template', async () => {
    const documented = new Set((await settingsReference()).flatMap((row: { variables: string[] }) => row.variables));
    const named = [...readFileSync('.env.example', 'utf8').matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]);
    expect(named.length).toBeGreaterThan(5);
    expect(named.filter((name) => !documented.has(name))).toEqual([]);
  });
});

describe('the docs pages', () => {
  const pages = ['README.md', 'docs/getting-started.md', 'docs/sign-in-your-app.md', 'docs/protect-your-api.md', 'docs/operations.md', 'docs/configuration.md'];

  it('link only to files and headings that exist', () => {
    const slug = (heading: string) => heading.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
    const anchors = (file: string) => new Set([...readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6} (.+)$/gm)].map((match) => slug(match[1])));
    const broken: string[] = [];
    for (const page of pages) {
      for (const [, target] of readFileSync(page, 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?|mailto):/.test(target)) continue;
        const [path, anchor] = target.split('#');
        const file = path ? join(dirname(page), path) : page;
        if (!existsSync(file)) broken.push(`${page}: ${target}`);
        else if (anchor && file.endsWith('.md') && !anchors(file).has(anchor)) broken.push(`${page}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('use no shell variable in their commands before the page defines it, and one admin throughout', () => {
    const undefinedUses: string[] = [];
    const admins = new Set<string>();
    for (const page of pages.slice(0, -1)) {
      const defined = new Set(['PWD', 'HOME']);
      for (const [, block] of readFileSync(page, 'utf8').matchAll(/```sh\n([\s\S]*?)```/g)) {
        for (const line of block.split('\n')) {
          const code = line.replace(/(^|\s)#.*$/, '');
          for (const [, name] of code.matchAll(/\$\{?([A-Za-z_]\w*)/g)) if (!defined.has(name)) undefinedUses.push(`${page}: $${name} in ${line.trim()}`);
          for (const [, name] of code.matchAll(/(?:^|[\s;&(])(?:export )?([A-Za-z_]\w*)=/g)) defined.add(name);
          for (const [, credentials] of code.matchAll(/-u (root:[^\s'"]+)/g)) admins.add(credentials);
        }
      }
    }
    expect(undefinedUses).toEqual([]);
    expect([...admins]).toEqual(['root:admin-passphrase']);
  });

  it('keep the README to about two screens, and give each long page a table of contents', () => {
    expect(readFileSync('README.md', 'utf8').length).toBeLessThan(10_000);
    for (const page of pages.slice(1, -1)) expect(readFileSync(page, 'utf8'), page).toContain('**Contents**');
  });
});
