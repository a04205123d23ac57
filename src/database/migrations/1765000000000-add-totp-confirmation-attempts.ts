import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/** The codes tried against a pending TOTP enrolment, counted in the row so that every instance counts together. */
export class AddTotpConfirmationAttempts1765000000000 implements MigrationInterface {
  name = 'AddTotpConfirmationAttempts1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('totp_factors', new TableColumn({ name: 'confirmation_attempts', type: 'integer', default: 0 }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('totp_factors', 'confirmation_attempts');
  }
}
