import { keyPrincipal } from '@sigdesk/accounts';
import { eventFor, parseLiveEvent, type LiveEvent } from './live-event';

const caseChanged: LiveEvent = { type: 'case.changed', caseId: 'c1', organizationId: 'org-a', event: 'verdict' };
const build: LiveEvent = { type: 'build.changed', channel: 'default', version: 7, status: 'building', stage: 'scan' };
const change: LiveEvent = { type: 'change.changed', changeId: 'ch1', caseId: 'c1', status: 'validated' };
const as = (role: 'customer' | 'analyst' | 'release' | 'admin', organizationId: string | null = null) =>
  keyPrincipal({ id: `key-${role}`, role, organization_id: organizationId });

describe('what each caller is told', () => {
  it('tells a customer only which of their own cases changed', () => {
    expect(eventFor(as('customer', 'org-a'), caseChanged)).toEqual({ type: 'case.changed', caseId: 'c1' });
    expect(eventFor(as('customer', 'org-b'), caseChanged)).toBeNull();
    expect(eventFor(as('customer', 'org-a'), build)).toBeNull();
    expect(eventFor(as('customer', 'org-a'), change)).toBeNull();
  });

  it('tells analysts of cases, changes and builds; release engineers of changes and builds', () => {
    expect(eventFor(as('analyst'), caseChanged)).toEqual({ type: 'case.changed', caseId: 'c1', event: 'verdict' });
    expect(eventFor(as('analyst'), build)).toEqual(build);
    expect(eventFor(as('release'), caseChanged)).toBeNull();
    expect(eventFor(as('release'), change)).toEqual(change);
    expect(eventFor(as('customer', 'org-a'), { type: 'resync' })).toEqual({ type: 'resync' });
  });

  it('reads only the notifications it knows', () => {
    expect(parseLiveEvent(JSON.stringify(caseChanged))).toEqual(caseChanged);
    for (const junk of [undefined, '', 'not json', '{"type":"case.changed"}', '{"type":"other"}', '[]', 'null']) {
      expect(parseLiveEvent(junk)).toBeNull();
    }
  });
});
