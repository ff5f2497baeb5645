import { Module } from '@nestjs/common';
import { AccountsModule } from '@sigdesk/accounts';
import { InvitationsController } from './invitations/invitations.controller';
import { InvitationsService } from './invitations/invitations.service';
import { Mailer } from './mail/mailer';
import { PasswordHasher } from './passwords';
import { PasswordResetsController } from './password-resets/password-resets.controller';
import { PasswordResetsService } from './password-resets/password-resets.service';
import { OneTimeTokensRepository } from './repositories/one-time-tokens.repository';
import { SessionsRepository } from './repositories/sessions.repository';
import { SignInFailuresRepository } from './repositories/sign-in-failures.repository';
import { UsersRepository } from './repositories/users.repository';
import { SessionAuthenticator } from './sessions/session.authenticator';
import { SessionsController } from './sessions/sessions.controller';
import { SessionsService } from './sessions/sessions.service';
import { UsersController } from './users/users.controller';
import { UsersService } from './users/users.service';

/** People's accounts and sessions; the authenticator that turns a session cookie into a principal. */
@Module({
  providers: [UsersRepository, SessionsRepository, SessionAuthenticator],
  exports: [UsersRepository, SessionsRepository, SessionAuthenticator],
})
export class PeopleModule {}

/** The HTTP side of people's accounts: only the API process mounts it. */
@Module({
  imports: [PeopleModule, AccountsModule],
  controllers: [SessionsController, InvitationsController, PasswordResetsController, UsersController],
  providers: [
    OneTimeTokensRepository,
    SignInFailuresRepository,
    PasswordHasher,
    Mailer,
    SessionsService,
    InvitationsService,
    PasswordResetsService,
    UsersService,
  ],
})
export class PeopleHttpModule {}
