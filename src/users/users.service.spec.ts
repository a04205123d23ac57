import { EventEmitter2 } from '@nestjs/event-emitter';
import type { Repository } from 'typeorm';
import { describe, expect, it, vi } from 'vitest';
import type { User } from './entities/user.entity.js';
import { ANY_USER_EVENT, USER_EVENTS, UserChangedEvent } from './events/user-changed.event.js';
import type { AppConfiguration } from '../config/configuration.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { UsersService } from './users.service.js';

/** A users repository whose reads the test answers by hand, so it decides how they interleave with changes. */
function setUp() {
  const pending: { resolve: (user: User | null) => void }[] = [];
  const findOneBy = vi.fn(() => new Promise<User | null>((resolve) => pending.push({ resolve })));
  const update = vi.fn(async () => ({ affected: 1 }));
  const events = new EventEmitter2({ wildcard: true });
  const service = new UsersService({ findOneBy, update } as unknown as Repository<User>, events, new MetricsService({ metricsToken: null } as AppConfiguration));
  // What Nest's @OnEvent wiring does in the app.
  events.on(ANY_USER_EVENT, (event: UserChangedEvent) => service.forget(event));
  return { service, events, findOneBy, answer: (user: User | null) => pending.shift()!.resolve(user) };
}
const remoteChange = (userId: number) => new UserChangedEvent(USER_EVENTS.roleChanged, userId, 'remote');

const admin = { id: 7, username: 'alice', role: 'admin' } as User;
const demoted = { ...admin, role: 'user' } as User;

describe('UsersService cache', () => {
  it('serves a user it read from the cache', async () => {
    const { service, findOneBy, answer } = setUp();
    const read = service.findById(7);
    answer(admin);
    expect(await read).toBe(admin);
    expect(await service.findById(7)).toBe(admin);
    expect(findOneBy).toHaveBeenCalledTimes(1);
  });

  it('does not cache a row read before a change came in: the next request reads the new row', async () => {
    const { service, findOneBy, answer } = setUp();
    const slowRead = service.findById(7);
    // The role changes (here or on another instance) while the read of the old row is under way.
    service.forget(remoteChange(7));
    answer(admin);
    expect(await slowRead).toBe(admin);
    const next = service.findById(7);
    answer(demoted);
    expect((await next)?.role).toBe('user');
    expect(findOneBy).toHaveBeenCalledTimes(2);
  });

  it('applies the same rule to reads by username', async () => {
    const { service, answer } = setUp();
    const slowRead = service.findByUsername('alice');
    service.forget(remoteChange(7));
    answer(admin);
    await slowRead;
    const next = service.findById(7);
    answer(demoted);
    expect((await next)?.role).toBe('user');
  });

  it('announces a password change and waits for every subscriber (a broadcast) before it is done', async () => {
    const { service, events } = setUp();
    const heard: UserChangedEvent[] = [];
    events.on(ANY_USER_EVENT, async (event: UserChangedEvent) => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      heard.push(event);
    });
    await service.changePassword(7, '$2b$04$new-hash');
    expect(heard).toEqual([new UserChangedEvent(USER_EVENTS.passwordChanged, 7, 'local')]);
  });
});
