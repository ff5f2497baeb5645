import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiTags } from '@nestjs/swagger';
import { Public } from '@sigdesk/accounts';
import { openApiSchema, parseInput } from '@sigdesk/http';
import { passwordResetRequestSchema, passwordResetSchema } from '../people.schemas';
import { PasswordResetsService } from './password-resets.service';

@ApiTags('people')
@Controller('v1/password-resets')
export class PasswordResetsController {
  constructor(private readonly resets: PasswordResetsService) {}

  /** Always 202, at once: whether the email has an account is not told, by the answer or by its timing. */
  @Post()
  @Public()
  @HttpCode(202)
  @ApiBody({ schema: openApiSchema(passwordResetRequestSchema) })
  request(@Body() body: unknown) {
    this.resets.requestInBackground(parseInput(passwordResetRequestSchema, body).email);
    return { message: 'If this email has an account, a link to reset its password is on its way.' };
  }

  @Post(':token')
  @Public()
  @HttpCode(204)
  @ApiBody({ schema: openApiSchema(passwordResetSchema) })
  async complete(@Param('token') token: string, @Body() body: unknown): Promise<void> {
    await this.resets.complete(token, parseInput(passwordResetSchema, body).password);
  }
}
