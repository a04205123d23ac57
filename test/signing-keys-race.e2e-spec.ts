import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter2, EventEmitterReadinessWatcher } from '@nestjs/event-emitter';
import { DataSource, IsNull, type Repository } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppConfiguration } from '../src/config/configuration.js';
import { buildDataSourceOptions } from '../src/database/data-source-options.js';
import { runMigrations } from '../src/database/run-migrations.js';
import { SigningKey } from '../src/tokens/entities/signing-key.entity.js';
import { SigningKeysService } from '../src/tokens/signing-keys.service.js';
import { createTemporaryDatabase, postgresSkipReason, type TemporaryDatabase } from './helpers/postgres.js';

/**
 * Several instances starting at once on an empty database must end with one
 * signing key, not one each; and instances that find the automatic rotation
 * due at the same moment add one key between them; a revocation of the
 * signing key during rotations leaves one new key signing. Each "instance"
 * here is a SigningKeysService on its own connection pool.
 */
const ROUNDS = 20;
const postgresSkip = await postgresSkipReason();
const INSTANCES = 4;
const config = {
  jwt: { algorithm: 'ES256', accessTokenTtlSeconds: 1800 },
  keys: { encryptionSecret: 'a-key-encryption-secret-of-32-bytes+', publishAheadSeconds: 600, rotationIntervalSeconds: 60, reloadIntervalSeconds: 30 },
} as unknown as AppConfiguration;

type DataSourceOptions = ConstructorParameters<typeof DataSource>[0];

/** INSTANCES services on their own pools over one migrated database, given to `body`, closed afterwards. */
async function withInstances<T>(options: () => DataSourceOptions, body: (instances: SigningKeysService[], keys: Repository<SigningKey>) => Promise<T>): Promise<T> {
  // Opened one after another: SQLite refuses a second connection switching the file to WAL at the same moment.
  const pools: DataSource[] = [];
  for (let index = 0; index < INSTANCES; index++) pools.push(await new DataSource(options()).initialize());
  await runMigrations(pools[0]);
  const instances = pools.map((pool) => new SigningKeysService(pool.getRepository(SigningKey), config, new EventEmitter2({ wildcard: true }), new EventEmitterReadinessWatcher()));
  try {
    return await body(instances, pools[0].getRepository(SigningKey));
  } finally {
    for (const instance of instances) instance.onModuleDestroy();
    await Promise.all(pools.map((pool) => pool.destroy()));
  }
}

function race(options: () => DataSourceOptions) {
  return withInstances(options, async (instances, keys) => {
    const outcomes: { started: number; rotated: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await keys.clear();
      await Promise.all(instances.map((instance) => instance.onModuleInit()));
      const started = await keys.count();
      // The key has signed for longer than KEY_ROTATION_INTERVAL: every instance finds the rotation due at once.
      await keys.update({ generation: 1 }, { signsFrom: new Date(Date.now() - 61_000) });
      await Promise.all(instances.map((instance) => instance['tick']()));
      outcomes.push({ started, rotated: (await keys.count()) - started });
    }
    return outcomes;
  });
}

/**
 * The signing key revoked on two instances while two others rotate, all at
 * once: every call succeeds, and afterwards every instance signs with the same
 * new key (never the revoked one, nor one the rotations published ahead);
 * exactly one key was added to sign at once, and each rotation added its own.
 */
function revocationDuringRotations(options: () => DataSourceOptions) {
  return withInstances(options, async (instances, keys) => {
    const outcomes: { failures: number; signers: number; revokedSigns: boolean; signingAtOnce: number; publishedAhead: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await keys.clear();
      await instances[0].onModuleInit();
      const { kid: revoked } = await instances[0].signingKey();
      const calls = await Promise.allSettled([instances[0].revoke(revoked), instances[1].revoke(revoked), instances[2].rotate(), instances[3].rotate()]);
      await Promise.all(instances.map((instance) => instance.reload()));
      const signers = new Set(await Promise.all(instances.map(async (instance) => (await instance.signingKey()).kid)));
      const live = await keys.findBy({ revokedAt: IsNull() });
      outcomes.push({
        failures: calls.filter((call) => call.status === 'rejected').length,
        signers: signers.size,
        revokedSigns: signers.has(revoked),
        signingAtOnce: live.filter((key) => key.signsFrom.getTime() <= Date.now()).length,
        publishedAhead: live.filter((key) => key.signsFrom.getTime() > Date.now()).length,
      });
      for (const instance of instances) instance.onModuleDestroy();
    }
    return outcomes;
  });
}
const CLEAN_REVOCATION = { failures: 0, signers: 1, revokedSigns: false, signingAtOnce: 1, publishedAhead: 2 };

describe('signing keys under concurrent starts and rotations', () => {
  it(`SQLite: ${INSTANCES} first starts at once make one key, ${INSTANCES} automatic rotations due at once add one (${ROUNDS} rounds)`, async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-keys-race-')), 'app.sqlite');
    const outcomes = await race(() => buildDataSourceOptions({ type: 'sqlite', file }, [SigningKey]));
    expect(outcomes).toEqual(Array(ROUNDS).fill({ started: 1, rotated: 1 }));
  });

  it(`SQLite: the signing key revoked on two instances while two rotate, at once: one new key signs (${ROUNDS} rounds)`, async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-keys-revocation-')), 'app.sqlite');
    const outcomes = await revocationDuringRotations(() => buildDataSourceOptions({ type: 'sqlite', file }, [SigningKey]));
    expect(outcomes).toEqual(Array(ROUNDS).fill(CLEAN_REVOCATION));
  });

  it('rotates by itself once KEY_ROTATION_INTERVAL has passed since the newest key started signing, once among several instances', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-keys-interval-')), 'app.sqlite');
    const pools: DataSource[] = [];
    for (let index = 0; index < 2; index++) pools.push(await new DataSource(buildDataSourceOptions({ type: 'sqlite', file }, [SigningKey])).initialize());
    await runMigrations(pools[0]);
    const every = { ...config, keys: { ...config.keys, publishAheadSeconds: 0 } } as AppConfiguration;
    const instances = pools.map((pool) => new SigningKeysService(pool.getRepository(SigningKey), every, new EventEmitter2({ wildcard: true }), new EventEmitterReadinessWatcher()));
    try {
      for (const instance of instances) await instance.onModuleInit();
      const keys = pools[0].getRepository(SigningKey);
      // Not yet: the key is new.
      await Promise.all(instances.map((instance) => instance['tick']()));
      expect(await keys.count()).toBe(1);
      // As if it had signed for 61 s.
      await keys.update({ generation: 1 }, { signsFrom: new Date(Date.now() - 61_000) });
      await Promise.all(instances.map((instance) => instance['tick']()));
      expect((await keys.find({ order: { generation: 'ASC' } })).map((key) => key.generation)).toEqual([1, 2]);
      await instances[0].reload();
      expect((await instances[0].signingKey()).kid).toBe((await keys.findOneByOrFail({ generation: 2 })).kid);
    } finally {
      for (const instance of instances) instance.onModuleDestroy();
      await Promise.all(pools.map((pool) => pool.destroy()));
    }
  });

  describe.skipIf(postgresSkip)('PostgreSQL', () => {
    let database: TemporaryDatabase;
    beforeAll(async () => {
      database = await createTemporaryDatabase();
    });
    afterAll(() => database?.drop());

    it(`${INSTANCES} first starts at once make one key, ${INSTANCES} automatic rotations due at once add one (${ROUNDS} rounds)`, async () => {
      const outcomes = await race(() => buildDataSourceOptions({ type: 'postgres', url: database.url, poolSize: 2 }, [SigningKey]));
      expect(outcomes).toEqual(Array(ROUNDS).fill({ started: 1, rotated: 1 }));
    });

    it(`the signing key revoked on two instances while two rotate, at once: one new key signs (${ROUNDS} rounds)`, async () => {
      const outcomes = await revocationDuringRotations(() => buildDataSourceOptions({ type: 'postgres', url: database.url, poolSize: 2 }, [SigningKey]));
      expect(outcomes).toEqual(Array(ROUNDS).fill(CLEAN_REVOCATION));
    });
  });
});
