import { createHash, randomBytes } from 'node:crypto';
import type { Agent, Response } from 'supertest';

/** A PKCE pair (RFC 7636 §4.1, §4.2, S256). */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

const unescape = (value: string) => value.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** The first POST form of a hosted page: its action and hidden fields, read as a browser would. */
export function formOf(html: string): { action: string; fields: Record<string, string> } {
  const form = /<form[^>]*method="post"[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) throw new Error(`no form in the page: ${html.slice(0, 500)}`);
  const fields: Record<string, string> = {};
  for (const [, name, value] of form[2].matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) fields[unescape(name)] = unescape(value);
  return { action: unescape(form[1]), fields };
}

export interface SignInOptions {
  otp?: () => Promise<string> | string;
  decision?: 'allow' | 'deny';
}

/**
 * Follows the hosted login with a cookie-keeping agent, filling the forms as
 * a person would (OAUTH.md's field names), until Gatehouse redirects to the
 * client; returns that Location. Fails on any other answer.
 */
export async function signInThroughPages(agent: Agent, authorizePath: string, username: string, password: string, options: SignInOptions = {}): Promise<string> {
  let response = await agent.get(authorizePath);
  for (let step = 0; step < 5; step++) {
    if (response.status === 303) return response.headers.location as string;
    if (response.status !== 200 && response.status !== 400) throw new Error(`unexpected ${response.status}: ${response.text.slice(0, 400)}`);
    const html = response.text;
    const { action, fields } = formOf(html);
    if (html.includes('name="password"')) {
      response = await agent.post(action).type('form').send({ ...fields, username, password });
    } else if (html.includes('name="otp"')) {
      if (!options.otp) throw new Error('a second factor was asked for');
      response = await agent.post(action).type('form').send({ ...fields, otp: await options.otp() });
    } else if (html.includes('name="decision"')) {
      response = await agent.post(action).type('form').send({ ...fields, decision: options.decision ?? 'allow' });
    } else {
      throw new Error(`an unknown page: ${html.slice(0, 400)}`);
    }
  }
  throw new Error('too many steps');
}

/**
 * The person's part of the device flow (RFC 8628): on the verification page
 * with `userCode` (pre-filled, but nothing happens without their click, §5.4),
 * signing in if asked, then answering the consent page. Returns the final
 * page; fails on any other answer.
 */
export async function approveDeviceThroughPages(agent: Agent, userCode: string, username: string, password: string, options: SignInOptions = {}): Promise<Response> {
  let response = await agent.get(`/device?user_code=${encodeURIComponent(userCode)}`);
  if (response.status !== 200 || !response.text.includes(`value="${userCode}"`)) throw new Error(`the verification page does not show ${userCode}: ${response.status} ${response.text.slice(0, 400)}`);
  let form = formOf(response.text);
  response = await agent.post(form.action).type('form').send({ ...form.fields, user_code: userCode });
  for (let step = 0; step < 4; step++) {
    if (response.status !== 200) throw new Error(`unexpected ${response.status}: ${response.text.slice(0, 400)}`);
    if (!response.text.includes('<form')) return response;
    form = formOf(response.text);
    if (response.text.includes('name="password"')) response = await agent.post(form.action).type('form').send({ ...form.fields, username, password });
    else if (response.text.includes('name="otp"') && options.otp) response = await agent.post(form.action).type('form').send({ ...form.fields, otp: await options.otp() });
    else if (response.text.includes('name="decision"')) response = await agent.post(form.action).type('form').send({ ...form.fields, decision: options.decision ?? 'allow' });
    else throw new Error(`an unknown page: ${response.text.slice(0, 400)}`);
  }
  throw new Error('too many steps');
}

/** The query parameters of a redirect to the client. */
export const paramsOf = (location: string): Record<string, string> => Object.fromEntries(new URL(location).searchParams);
