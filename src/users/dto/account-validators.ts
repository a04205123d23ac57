import { ValidateBy, type ValidationOptions } from 'class-validator';
import { EMAIL_RULE, isValidEmail, isValidUsername, isWellFormedPassword, PASSWORD_FORM_RULE, USERNAME_RULE } from '../../account-rules/account-rules.js';

export function IsUsername(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isUsername',
      validator: {
        validate: (value) => isValidUsername(value),
        defaultMessage: (args) => `${args?.property ?? 'username'} must be ${USERNAME_RULE}`,
      },
    },
    options,
  );
}

/** The form of a new password; its length and content are the password policy's (PasswordPolicyService). */
export function IsPassword(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPassword',
      validator: {
        validate: (value) => isWellFormedPassword(value),
        defaultMessage: (args) => `${args?.property ?? 'password'} must be ${PASSWORD_FORM_RULE}`,
      },
    },
    options,
  );
}

/** The syntax of an e-mail address (no DNS is asked). */
export function IsEmailAddress(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isEmailAddress',
      validator: {
        validate: (value) => isValidEmail(value),
        defaultMessage: (args) => `${args?.property ?? 'email'} must be ${EMAIL_RULE}`,
      },
    },
    options,
  );
}
