import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError } from '@sigdesk/http';
import type { Authenticator } from './authenticator';
import { DURING_TOTP_ENROLMENT, PUBLIC_ROUTE, ROLES } from './auth.decorators';
import type { Principal } from './principal';
import { PrincipalGuard } from './principal.guard';

const KEY: Principal = {
  role: 'analyst',
  organizationId: null,
  keyId: '7a1f3c2e-0b7d-4d5e-9a8b-1c2d3e4f5a6b',
  userId: null,
  displayName: null,
  actorId: '7a1f3c2e-0b7d-4d5e-9a8b-1c2d3e4f5a6b',
};
const PERSON: Principal = {
  role: 'analyst',
  organizationId: null,
  keyId: null,
  userId: '0c9e8d7f-6a5b-4c3d-8e1f-0a9b8c7d6e5f',
  displayName: 'Ana',
  actorId: '0c9e8d7f-6a5b-4c3d-8e1f-0a9b8c7d6e5f',
  session: { id: 's', csrfToken: 't', organizationAdmin: false, totpEnrolmentOnly: false },
};

function contextFor(metadata: Record<string, unknown>, request: Record<string, unknown> = {}) {
  const handler = () => undefined;
  for (const [key, value] of Object.entries(metadata)) Reflect.defineMetadata(key, value, handler);
  return {
    request,
    context: {
      getHandler: () => handler,
      getClass: () => class {},
      switchToHttp: () => ({ getRequest: () => request }),
    } as unknown as ExecutionContext,
  };
}

const answering = (principal: Principal | null): Authenticator => ({ authenticate: async () => principal });

async function refusal(guard: PrincipalGuard, context: ExecutionContext): Promise<AppError> {
  try {
    await guard.canActivate(context);
  } catch (error) {
    return error as AppError;
  }
  throw new Error('the guard let the request through');
}

describe(PrincipalGuard.name, () => {
  it('lets public routes through without asking any authenticator', async () => {
    const sut = new PrincipalGuard(new Reflector(), [{ authenticate: () => Promise.reject(new Error('asked')) }]);
    await expect(sut.canActivate(contextFor({ [PUBLIC_ROUTE]: true }).context)).resolves.toBe(true);
  });

  it('takes the first principal an authenticator finds, and refuses a request with none', async () => {
    const sut = new PrincipalGuard(new Reflector(), [answering(null), answering(PERSON), answering(KEY)]);
    const { context, request } = contextFor({});
    await expect(sut.canActivate(context)).resolves.toBe(true);
    expect(request.principal).toBe(PERSON);
    const nobody = new PrincipalGuard(new Reflector(), [answering(null), answering(null)]);
    expect((await refusal(nobody, contextFor({}).context)).getStatus()).toBe(401);
  });

  it('applies roles to keys and sessions alike', async () => {
    for (const principal of [KEY, PERSON]) {
      const sut = new PrincipalGuard(new Reflector(), [answering(principal)]);
      await expect(sut.canActivate(contextFor({ [ROLES]: ['analyst'] }).context)).resolves.toBe(true);
      expect((await refusal(sut, contextFor({ [ROLES]: ['admin'] }).context)).getStatus()).toBe(403);
    }
  });

  it('keeps a session that must enrol a second factor to the enrolment routes', async () => {
    const enrolling = { ...PERSON, session: { ...PERSON.session!, totpEnrolmentOnly: true } };
    const sut = new PrincipalGuard(new Reflector(), [answering(enrolling)]);
    const refused = await refusal(sut, contextFor({ [ROLES]: ['analyst'] }).context);
    expect(refused.getStatus()).toBe(403);
    expect(refused.code).toBe('totp_enrolment_required');
    await expect(sut.canActivate(contextFor({ [DURING_TOTP_ENROLMENT]: true }).context)).resolves.toBe(true);
  });

  it('keeps a principal resolved earlier in the request', async () => {
    const sut = new PrincipalGuard(new Reflector(), [answering(PERSON)]);
    const { context, request } = contextFor({}, { principal: KEY });
    await expect(sut.canActivate(context)).resolves.toBe(true);
    expect(request.principal).toBe(KEY);
  });
});
