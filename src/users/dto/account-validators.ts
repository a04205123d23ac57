import { ValidateBy, type ValidationOptions } from 'class-validator';
import { isValidPassword, isValidUsername, PASSWORD_RULE, USERNAME_RULE } from '../../account-rules/account-rules.js';

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

export function IsPassword(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPassword',
      validator: {
        validate: (value) => isValidPassword(value),
        defaultMessage: (args) => `${args?.property ?? 'password'} must be ${PASSWORD_RULE}`,
      },
    },
    options,
  );
}
