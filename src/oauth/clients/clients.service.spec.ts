import { BadRequestException, ConflictException, NotFoundException } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { DataSource } from 'typeorm';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppConfiguration } from '../../config/configuration.js';
import { migrations } from '../../database/migrations/index.js';
import type { SecurityEvent } from '../../security-events/security-event.js';
import { hashOpaqueToken } from '../../tokens/opaque-token.js';
import { ClientsService } from './clients.service.js';
import { OAuthClient } from './entities/oauth-client.entity.js';
import { CLIENT_DELETED, type ClientDeletedEvent } from './events/client-events.js';

const ADMIN = { actorId: 1, request: { clientAddress: '203.0.113.7', userAgent: 'spec', requestId: 'request-1' } };
const WEB_APP = { clientName: 'Web app', redirectUris: ['https://app.example.com/cb'] };
const dataSources: DataSource[] = [];

/** A fresh in-memory database with the real schema, and the service over it. */
async function setUp(secretGraceSeconds = 86_400) {
  const dataSource = await new DataSource({ type: 'sqlite', database: ':memory:', entities: [OAuthClient], migrations, logging: false }).initialize();
  dataSources.push(dataSource);
  await dataSource.runMigrations();
  const events = new EventEmitter2({ wildcard: true });
  const audited: SecurityEvent[] = [];
  events.on('audit.**', (event: SecurityEvent) => audited.push(event));
  const repository = dataSource.getRepository(OAuthClient);
  const service = new ClientsService(repository, events, { clients: { secretGraceSeconds } } as AppConfiguration);
  return { service, repository, events, audited };
}

afterEach(async () => {
  await Promise.all(dataSources.splice(0).map((dataSource) => dataSource.destroy()));
});

describe('ClientsService', () => {
  it('registers a confidential client with a 256-bit secret it keeps only as SHA-256, and an opaque client_id', async () => {
    const { service, repository, audited } = await setUp();
    const { client, clientSecret } = await service.create(WEB_APP, ADMIN);
    expect(client.clientId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const row = await repository.findOneByOrFail({ clientId: client.clientId });
    expect(row).toMatchObject({ secretHash: hashOpaqueToken(clientSecret!), previousSecretHash: null, grantTypes: ['authorization_code'], responseTypes: ['code'], revision: 1 });
    expect(JSON.stringify(row)).not.toContain(clientSecret);
    expect(audited.map((event) => [event.type, event.actorId, event.details.clientId])).toEqual([['client.created', 1, client.clientId]]);
    expect(JSON.stringify(audited)).not.toContain(clientSecret);
  });

  it('gives a public client no secret, and two clients two ids', async () => {
    const { service } = await setUp();
    const first = await service.create({ ...WEB_APP, tokenEndpointAuthMethod: 'none' }, ADMIN);
    const second = await service.create({ ...WEB_APP, tokenEndpointAuthMethod: 'none' }, ADMIN);
    expect([first.clientSecret, first.client.secretHash]).toEqual([null, null]);
    expect(first.client.clientId).not.toBe(second.client.clientId);
    expect(service.verifySecret(first.client, '')).toBe(false);
  });

  it('stores nothing for bad metadata', async () => {
    const { service, repository, audited } = await setUp();
    await expect(service.create({ ...WEB_APP, redirectUris: ['http://app.example.com/cb'] }, ADMIN)).rejects.toThrow(BadRequestException);
    expect(await repository.count()).toBe(0);
    expect(audited).toEqual([]);
  });

  it('verifies the secret, and the previous one only within its grace period', async () => {
    const { service, repository } = await setUp(60);
    const { client, clientSecret } = await service.create(WEB_APP, ADMIN);
    expect(service.verifySecret(client, clientSecret!)).toBe(true);
    expect(service.verifySecret(client, `${clientSecret}x`)).toBe(false);
    expect(service.verifySecret(client, 'x'.repeat(10_000))).toBe(false);

    const rotated = await service.rotateSecret(client.clientId, ADMIN);
    expect(rotated.previousSecretExpiresAt.getTime() - Date.now()).toBeGreaterThan(59_000);
    const fresh = await service.findOrThrow(client.clientId);
    expect(service.verifySecret(fresh, rotated.clientSecret)).toBe(true);
    expect(service.verifySecret(fresh, clientSecret!)).toBe(true);

    await repository.update({ clientId: client.clientId }, { previousSecretExpiresAt: new Date(Date.now() - 1) });
    const expired = await service.findOrThrow(client.clientId);
    expect(service.verifySecret(expired, clientSecret!)).toBe(false);
    expect(service.verifySecret(expired, rotated.clientSecret)).toBe(true);
  });

  it('keeps only the secret just replaced: a second rotation ends the first one at once', async () => {
    const { service } = await setUp();
    const { client, clientSecret: first } = await service.create(WEB_APP, ADMIN);
    const { clientSecret: second } = await service.rotateSecret(client.clientId, ADMIN);
    const { clientSecret: third } = await service.rotateSecret(client.clientId, ADMIN);
    const fresh = await service.findOrThrow(client.clientId);
    expect([first!, second, third].map((secret) => service.verifySecret(fresh, secret))).toEqual([false, true, true]);
  });

  it('with no grace (CLIENT_SECRET_GRACE=0) the old secret stops at once', async () => {
    const { service } = await setUp(0);
    const { client, clientSecret } = await service.create(WEB_APP, ADMIN);
    await service.rotateSecret(client.clientId, ADMIN);
    expect(service.verifySecret(await service.findOrThrow(client.clientId), clientSecret!)).toBe(false);
  });

  it('has no secret to rotate for a public client, and 404 for an unknown one', async () => {
    const { service } = await setUp();
    const { client } = await service.create({ ...WEB_APP, tokenEndpointAuthMethod: 'none' }, ADMIN);
    await expect(service.rotateSecret(client.clientId, ADMIN)).rejects.toThrow(BadRequestException);
    await expect(service.rotateSecret('no-such-client', ADMIN)).rejects.toThrow(NotFoundException);
    await expect(service.rotateSecret('../../etc', ADMIN)).rejects.toThrow(NotFoundException);
  });

  it('updates the fields given, checks the result as a whole, and names the changed fields in the audit trail', async () => {
    const { service, audited } = await setUp();
    const { client } = await service.create(WEB_APP, ADMIN);
    const { client: changed, clientSecret } = await service.update(client.clientId, { grantTypes: ['authorization_code', 'refresh_token'], logoUri: 'https://app.example.com/logo.png' }, ADMIN);
    expect(changed).toMatchObject({ clientName: 'Web app', grantTypes: ['authorization_code', 'refresh_token'], logoUri: 'https://app.example.com/logo.png', revision: 2 });
    expect(clientSecret).toBeNull();
    expect(audited.at(-1)).toMatchObject({ type: 'client.updated', details: { clientId: client.clientId, fields: 'logo_uri grant_types', secretIssued: false } });

    await expect(service.update(client.clientId, { redirectUris: [] }, ADMIN)).rejects.toThrow(/authorization_code grant needs at least one redirect URI/);
    // Response types follow the grants when only the grants change.
    const { client: machine } = await service.update(client.clientId, { grantTypes: ['client_credentials'] }, ADMIN);
    expect(machine.responseTypes).toEqual([]);
  });

  it('gives a client made confidential a secret, and takes the secrets of one made public', async () => {
    const { service } = await setUp();
    const { client } = await service.create({ ...WEB_APP, tokenEndpointAuthMethod: 'none' }, ADMIN);
    const { client: confidential, clientSecret } = await service.update(client.clientId, { tokenEndpointAuthMethod: 'client_secret_post' }, ADMIN);
    expect(clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(service.verifySecret(confidential, clientSecret!)).toBe(true);
    await service.rotateSecret(client.clientId, ADMIN);
    const { client: publicAgain } = await service.update(client.clientId, { tokenEndpointAuthMethod: 'none' }, ADMIN);
    expect([publicAgain.secretHash, publicAgain.previousSecretHash, publicAgain.previousSecretExpiresAt]).toEqual([null, null, null]);
    expect(service.verifySecret(publicAgain, clientSecret!)).toBe(false);
  });

  it('writes an update only over the revision it checked: changes made at once cannot combine into a client neither would have allowed', async () => {
    const { service, repository } = await setUp();
    const { client } = await service.create({ ...WEB_APP, grantTypes: ['authorization_code', 'client_credentials'] }, ADMIN);
    // Each alone is fine; together they would make a public client with client_credentials.
    const results = await Promise.allSettled([
      service.update(client.clientId, { tokenEndpointAuthMethod: 'none', grantTypes: ['authorization_code'] }, ADMIN),
      service.update(client.clientId, { grantTypes: ['authorization_code', 'client_credentials'], redirectUris: ['https://app.example.com/other'] }, ADMIN),
    ]);
    const stored = await repository.findOneByOrFail({ clientId: client.clientId });
    expect(stored.tokenEndpointAuthMethod === 'none' && stored.grantTypes.includes('client_credentials')).toBe(false);
    // …nor a confidential client without a secret (or a public one with one).
    expect(stored.tokenEndpointAuthMethod === 'none').toBe(stored.secretHash === null);
    expect(results.filter((result) => result.status === 'rejected').every((result) => (result as PromiseRejectedResult).reason instanceof BadRequestException)).toBe(true);
  });

  it('gives up with 409 when every try was overtaken', async () => {
    const { service, repository } = await setUp();
    const { client } = await service.create(WEB_APP, ADMIN);
    // Another writer raises the revision between each read and write.
    const findOneBy = repository.findOneBy.bind(repository);
    repository.findOneBy = async (where) => {
      const row = await findOneBy(where);
      await repository.increment({ clientId: client.clientId }, 'revision', 1);
      return row;
    };
    await expect(service.update(client.clientId, { clientName: 'Renamed' }, ADMIN)).rejects.toThrow(ConflictException);
  });

  it('deletes: CLIENT_DELETED is heard before it returns, then 404', async () => {
    const { service, events, audited } = await setUp();
    const { client } = await service.create(WEB_APP, ADMIN);
    const heard: string[] = [];
    events.on(CLIENT_DELETED, async (event: ClientDeletedEvent) => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      heard.push(event.clientId);
    });
    await service.delete(client.clientId, ADMIN);
    expect(heard).toEqual([client.clientId]);
    expect(audited.at(-1)).toMatchObject({ type: 'client.deleted', details: { clientId: client.clientId } });
    expect(await service.findActive(client.clientId)).toBeNull();
    await expect(service.delete(client.clientId, ADMIN)).rejects.toThrow(NotFoundException);
    expect(heard).toHaveLength(1);
  });

  it('lists a page at a time', async () => {
    const { service } = await setUp();
    const ids = [];
    for (const name of ['one', 'two', 'three']) ids.push((await service.create({ ...WEB_APP, clientName: name }, ADMIN)).client.clientId);
    const first = await service.findPage(1, 2);
    const second = await service.findPage(2, 2);
    expect(first.total).toBe(3);
    expect(new Set([...first.items, ...second.items].map((client) => client.clientId))).toEqual(new Set(ids));
  });

  describe('dynamic registration (RFC 7591, RFC 7592)', () => {
    const SELF = { registrar: 'self' as const, unusedTtlSeconds: 60 };
    const ANYONE = { request: ADMIN.request };

    it('gives a registration access token of 256 bits, kept as SHA-256, that finds only its own client', async () => {
      const { service, repository, audited } = await setUp();
      const { client, registrationAccessToken } = await service.register({ ...WEB_APP, tokenEndpointAuthMethod: 'none' }, SELF, ANYONE);
      const other = await service.register(WEB_APP, SELF, ANYONE);
      expect(registrationAccessToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect((await repository.findOneByOrFail({ clientId: client.clientId })).registrationTokenHash).toBe(hashOpaqueToken(registrationAccessToken));
      expect((await service.findByRegistrationToken(client.clientId, registrationAccessToken))?.clientId).toBe(client.clientId);
      expect(await service.findByRegistrationToken(client.clientId, other.registrationAccessToken)).toBeNull();
      expect(await service.findByRegistrationToken(client.clientId, null)).toBeNull();
      expect(audited.map((event) => event.type)).toEqual(['client.registered', 'client.registered']);
    });

    it('refuses what only an admin may allow to a self-registration, and lets a replacement keep but not gain it', async () => {
      const { service } = await setUp();
      await expect(service.register({ ...WEB_APP, skipConsent: true }, SELF, ANYONE)).rejects.toThrow(/only an admin/);
      await expect(service.register({ ...WEB_APP, grantTypes: ['password'] }, SELF, ANYONE)).rejects.toThrow(/only an admin/);
      const { client } = await service.register({ ...WEB_APP, skipConsent: true }, { registrar: 'admin', unusedTtlSeconds: null }, ADMIN);
      expect((await service.replace(client.clientId, { ...WEB_APP, clientName: 'Renamed', skipConsent: true }, 'self', ANYONE)).client).toMatchObject({ clientName: 'Renamed', skipConsent: true });
      await expect(service.replace(client.clientId, { ...WEB_APP, skipConsent: true, grantTypes: ['authorization_code', 'password'] }, 'self', ANYONE)).rejects.toThrow(/password grant/);
    });

    it('deletes, as client.expired, the self-registered clients past their deadline that got no token, and keeps the used ones', async () => {
      const { service, events, audited } = await setUp();
      const deleted: string[] = [];
      events.on(CLIENT_DELETED, ({ clientId }: ClientDeletedEvent) => void deleted.push(clientId));
      const unused = await service.register(WEB_APP, SELF, ANYONE);
      const used = await service.register(WEB_APP, SELF, ANYONE);
      const adminMade = await service.create(WEB_APP, ADMIN);
      await service.markUsed(used.client.clientId);
      expect(await service.sweepUnused(new Date(Date.now() + 30_000))).toBe(0);
      expect(await service.sweepUnused(new Date(Date.now() + 61_000))).toBe(1);
      expect(deleted).toEqual([unused.client.clientId]);
      expect(await service.findActive(used.client.clientId)).not.toBeNull();
      expect(await service.findActive(adminMade.client.clientId)).not.toBeNull();
      expect(audited.filter((event) => event.type === 'client.expired')).toMatchObject([{ details: { clientId: unused.client.clientId } }]);
    });
  });
});
