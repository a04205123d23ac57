import type { Repository } from 'typeorm';
import { describe, expect, it, vi } from 'vitest';
import type { User } from './entities/user.entity.js';
import { UsersService } from './users.service.js';

/** A users repository whose reads the test answers by hand, so it decides how they interleave with changes. */
function setUp() {
  const pending: { resolve: (user: User | null) => void }[] = [];
  const findOneBy = vi.fn(() => new Promise<User | null>((resolve) => pending.push({ resolve })));
  const service = new UsersService({ findOneBy } as unknown as Repository<User>);
  return { service, findOneBy, answer: (user: User | null) => pending.shift()!.resolve(user) };
}

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
    await service.userChanged(7, 'remote');
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
    await service.userChanged(7);
    answer(admin);
    await slowRead;
    const next = service.findById(7);
    answer(demoted);
    expect((await next)?.role).toBe('user');
  });

  it('waits for every listener (a broadcast) before a change is done', async () => {
    const { service } = setUp();
    let broadcast = false;
    service.onUserChanged(async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      broadcast = true;
    });
    await service.userChanged(7);
    expect(broadcast).toBe(true);
  });
});
