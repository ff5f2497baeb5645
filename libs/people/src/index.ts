export * from './people.module';
export * from './people.schemas';
export * from './rules/cookies';
export * from './rules/password-policy';
export * from './rules/tokens';
export * from './rules/totp';
export * from './sessions/session.authenticator';
export * from './user.view';
