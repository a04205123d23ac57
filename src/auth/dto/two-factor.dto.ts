import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

export class EnrolTotpDto {
  @ApiProperty({ description: 'Your current password: turning on two-factor is a change of how you log in.', example: 'correct-horse-battery', format: 'password' })
  @IsString()
  @MaxLength(1024)
  password: string;
}

export class TotpCodeDto {
  @ApiProperty({ description: 'The 6-digit code of the authenticator app (when turning two-factor off, a recovery code also does).', example: '123456' })
  @IsString()
  @MaxLength(64)
  code: string;
}

export class TotpEnrolmentDto {
  @ApiProperty({ description: 'The base32 secret, for typing into an authenticator app by hand.', example: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' })
  secret: string;

  @ApiProperty({ description: 'The same secret as an otpauth:// URI (what the QR code holds).', example: 'otpauth://totp/Gatehouse%20(127.0.0.1%3A3000):alice?secret=JBSWY3DPEHPK3PXP&issuer=Gatehouse%20(127.0.0.1%3A3000)' })
  otpauthUri: string;

  @ApiProperty({ description: 'A PNG data URL of the QR code: put it in an <img src>, or open it in a browser, and scan it.', example: 'data:image/png;base64,iVBORw0KGgo…' })
  qrCode: string;
}

export class RecoveryCodesDto {
  @ApiProperty({ description: 'Ten one-time codes for when the authenticator is lost: shown this once, stored only as hashes.', example: ['k7mq-2x9p-wd4r', 'a3hn-8vtc-6yse'] })
  recoveryCodes: string[];
}
