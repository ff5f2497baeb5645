import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError } from '@sigdesk/http';
import { ApiKeyGuard } from './api-key.guard';
import { AuthenticatedRequest, Public, Roles } from './auth.decorators';
import { Authenticator, RequestAuthentication } from './authenticator';
import type { Principal } from './principal';

class Routes {
  @Roles('analyst')
  analystOnly() {}

  anyRole() {}

  @Public()
  open() {}
}

function contextFor(request: Partial<AuthenticatedRequest>, handler: keyof Routes): ExecutionContext {
  return {
    getHandler: () => Routes.prototype[handler],
    getClass: () => Routes,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
}

const analyst: Principal = { keyId: 'key-1', role: 'analyst', organizationId: null };

describe(ApiKeyGuard.name, () => {
  let lookups: number;
  let sut: ApiKeyGuard;

  beforeEach(() => {
    lookups = 0;
    const authenticator: Authenticator = {
      authenticate: () => {
        lookups++;
        return Promise.resolve(analyst);
      },
    };
    sut = new ApiKeyGuard(new Reflector(), new RequestAuthentication([authenticator]));
  });

  it('uses the principal resolved before the body was read, without looking it up again', async () => {
    const request = { headers: {}, principal: analyst };
    await expect(sut.canActivate(contextFor(request, 'analystOnly'))).resolves.toBe(true);
    expect(lookups).toBe(0);
  });

  it('refuses a request the admission found without credentials, without looking again', async () => {
    const request = { headers: {}, principal: null };
    await expect(sut.canActivate(contextFor(request, 'anyRole'))).rejects.toMatchObject({ status: 401 });
    expect(lookups).toBe(0);
  });

  it('resolves the caller itself when nothing did before', async () => {
    const request: Partial<AuthenticatedRequest> = { headers: { authorization: 'Bearer x' } };
    await expect(sut.canActivate(contextFor(request, 'analystOnly'))).resolves.toBe(true);
    expect(lookups).toBe(1);
    expect(request.principal).toEqual(analyst);
  });

  it('refuses a role the route does not name', async () => {
    const request = { headers: {}, principal: { ...analyst, role: 'customer' as const, organizationId: 'o' } };
    const refusal = sut.canActivate(contextFor(request, 'analystOnly'));
    await expect(refusal).rejects.toBeInstanceOf(AppError);
    await expect(refusal).rejects.toMatchObject({ status: 403 });
  });

  it('lets anyone reach a public route', async () => {
    await expect(sut.canActivate(contextFor({ headers: {} }, 'open'))).resolves.toBe(true);
    expect(lookups).toBe(0);
  });
});
