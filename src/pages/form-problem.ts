import { HttpException, HttpStatus, type Type } from '@nestjs/common';
import { messageOf } from './page-or-api-errors.filter.js';
import { fieldsOf, PageValidationPipe } from './page-params.js';

/**
 * A form's refusal shown on the form itself, on its page: which form, what
 * to fix (the message the error page would show), and what was typed, so
 * the person corrects it rather than typing it all again. Passwords are
 * never among the values: a page does not send a password back.
 */
export interface FormProblem {
  /** The form's name in the page's template (`email`, `password`, `client-new`…). */
  form: string;
  message: string;
  values: Record<string, string | string[]>;
}

/** What a refusal is answered with: the page again, with the problem, and the refusal's status. */
export type ShowProblem = (problem: FormProblem, status: number) => Promise<void>;

/** Validates a posted form by `dto` as @PageBody() does (unknown fields dropped), throwing its 400 for runForm to show. */
export function validForm<T extends object>(dto: Type<T>, body: unknown): Promise<T> {
  return new PageValidationPipe(dto).transform(fieldsOf(body), { type: 'body', metatype: dto }) as Promise<T>;
}

/**
 * Runs a form's action; a 4xx refusal on the way (the form's validation, a
 * wrong password, a rule of the service) is shown on the form by `show`,
 * with the fields named in `keep` as typed. A wrong password (401) is a 400
 * here: the page is no authentication challenge (RFC 9110 §15.5.2 wants
 * WWW-Authenticate on a 401). A 429 (its Retry-After) and anything else go
 * on to the error filter.
 */
export async function runForm(form: string, body: unknown, keep: readonly string[], show: ShowProblem, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (!(error instanceof HttpException)) throw error;
    const status = error.getStatus();
    if (status < 400 || status >= 500 || status === HttpStatus.TOO_MANY_REQUESTS) throw error;
    const fields = fieldsOf(body);
    const values = Object.fromEntries(keep.flatMap((name) => (typeof fields[name] === 'string' || Array.isArray(fields[name]) ? [[name, fields[name] as string | string[]]] : [])));
    await show({ form, message: messageOf(error), values }, status === HttpStatus.UNAUTHORIZED ? HttpStatus.BAD_REQUEST : status);
  }
}
