import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// yaml: already in node_modules (through @seriousme/openapi-schema-validator); Debian has no hadolint to lint these instead.
import { parse } from 'yaml';

/**
 * The Dockerfile and compose.yaml cannot be built or run on these machines (no
 * image can be pulled): what they say is checked instead, line by line.
 */
interface Instruction {
  keyword: string;
  argument: string;
}

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function dockerfile(): Instruction[] {
  const text = readFileSync('Dockerfile', 'utf8').replace(/\\\n/g, ' ');
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [, keyword, argument] = /^([A-Z]+)\s+(.*)$/.exec(line) ?? [];
      expect(keyword, line).toBeDefined();
      return { keyword, argument: argument.replace(/\s+/g, ' ') };
    });
}

/** The instructions of each stage, by its name. */
function stages(): Map<string, Instruction[]> {
  const result = new Map<string, Instruction[]>();
  let current: Instruction[] = [];
  for (const instruction of dockerfile()) {
    if (instruction.keyword === 'FROM') result.set(/ AS (\S+)$/i.exec(instruction.argument)![1], (current = []));
    current.push(instruction);
  }
  return result;
}

const KNOWN = new Set(['FROM', 'RUN', 'CMD', 'LABEL', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT', 'VOLUME', 'USER', 'WORKDIR', 'ARG', 'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL']);

describe('the Dockerfile', () => {
  const all = stages();
  const runtime = [...all.values()].at(-1)!;
  const find = (keyword: string) => runtime.filter((instruction) => instruction.keyword === keyword);

  it('is made of known instructions, in two stages on the Node major Gatehouse runs on', () => {
    for (const instruction of dockerfile()) expect(KNOWN.has(instruction.keyword), instruction.keyword).toBe(true);
    expect([...all.keys()]).toEqual(['build', 'runtime']);
    const froms = [...all.values()].map((stage) => stage[0].argument.split(' ')[0]);
    // sqlite3's addon is compiled in the first stage, for the Node of the second: the same image.
    expect(froms[0]).toBe(froms[1]);
    expect(froms[0]).toMatch(/^node:24-/);
    expect(all.get('build')!.some(({ keyword, argument }) => keyword === 'RUN' && argument.includes('npm ci'))).toBe(true);
    expect(all.get('build')!.some(({ keyword, argument }) => keyword === 'RUN' && argument.includes('npm prune --omit=dev'))).toBe(true);
  });

  it('runs as a user other than root, node itself as PID 1 (signals reach it), with a health check on /health/ready', () => {
    expect(find('USER').at(-1)?.argument).toBe('node');
    // With the node flags of npm start: the image runs the service as npm start does.
    const start = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts.start.split(' ').slice(1);
    expect(start).toContain('--max-semi-space-size=8');
    expect(find('CMD').at(-1)?.argument).toBe(JSON.stringify(start).replaceAll('","', '", "'));
    expect(find('ENTRYPOINT')).toEqual([]);
    expect(find('HEALTHCHECK').at(-1)?.argument).toMatch(/CMD .*\/health\/ready/);
    expect(find('ENV').map(({ argument }) => argument).join(' ')).toContain('HOST=0.0.0.0');
    // Only what the service needs is copied from the build: no sources, no dev dependencies.
    expect(find('COPY').map(({ argument }) => argument.split(' ').at(-2))).toEqual(['/app/package.json', '/app/node_modules', '/app/dist']);
  });
});

describe('compose.yaml', () => {
  const compose = parse(readFileSync('compose.yaml', 'utf8'), { merge: true }) as {
    services: Record<string, { build?: string; image?: string; environment?: Record<string, string>; depends_on?: Record<string, { condition: string }>; volumes?: string[]; stop_grace_period?: string; ports?: string[] }>;
    networks: Record<string, { ipam: { config: Array<{ subnet: string }> } }>;
  };
  const { services } = compose;

  it('runs two instances of this image on PostgreSQL and Redis, behind nginx', () => {
    expect(Object.keys(services).sort()).toEqual(['gatehouse-1', 'gatehouse-2', 'nginx', 'postgres', 'redis']);
    for (const name of ['gatehouse-1', 'gatehouse-2']) {
      const instance = services[name];
      expect(instance.build).toBe('.');
      expect(instance.environment?.DATABASE_URL).toMatch(/^postgres:\/\/gatehouse:.*@postgres:5432\/gatehouse$/);
      expect(instance.environment?.REDIS_URL).toBe('redis://redis:6379');
      expect(instance.environment?.TRUST_PROXY).toBe(compose.networks.gatehouse.ipam.config[0].subnet);
      expect(instance.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
      // Longer than SHUTDOWN_TIMEOUT (10 s).
      expect(Number.parseInt(instance.stop_grace_period!, 10)).toBeGreaterThan(10);
    }
    expect(services.nginx.volumes).toEqual(['./deploy/nginx.compose.conf:/etc/nginx/conf.d/default.conf:ro']);
    expect(Object.keys(services.nginx.depends_on!).sort()).toEqual(['gatehouse-1', 'gatehouse-2']);
  });

  it("gives nginx deploy/nginx.conf, with the instances by their service names", () => {
    const composeConf = readFileSync('deploy/nginx.compose.conf', 'utf8');
    const upstreams = [...composeConf.matchAll(/^\s*server (\S+) /gm)].map((match) => match[1]);
    expect(upstreams).toEqual(['gatehouse-1:3000', 'gatehouse-2:3000']);
    const body = (text: string) => text.replace(/^#.*\n/gm, '').replace(/^\s*server \S+:\d+ .*\n/gm, '');
    expect(body(composeConf)).toBe(body(readFileSync('deploy/nginx.conf', 'utf8')));
  });
});
