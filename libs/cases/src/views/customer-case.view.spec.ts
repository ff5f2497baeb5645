import type { Case, CaseEvent } from '@sigdesk/db';
import { customerCaseView, customerStatusFacts } from './customer-case.view';

const ANALYST_KEY = '3c06664f-7969-4cc3-9b99-351eace5708b';
const OTHER_CASE = '1bbc8e91-cfaf-44b6-91ec-19c555d6c03b';
const at = new Date('2026-11-30T10:00:00.000Z');

function aCase(overrides: Partial<Case> = {}): Case {
  return {
    id: '7bdbfdfa-ed4f-48ad-a563-d5e6dc5d10aa',
    reference: 'SD-2026-000002',
    organization_id: 'f2e18332-24a0-4180-bc1c-89f2dc089039',
    contract_id: '0b8b3f5e-6a38-4a4f-8a4e-0b4f6b3c2a11',
    tier: 'standard',
    kind: 'false_negative',
    severity: 2,
    premium: false,
    status: 'confirmed',
    product: 'Endpoint Security',
    product_version: '12.4',
    database_channel: 'default',
    database_version: 100,
    detection_name: null,
    description: 'missed dropper',
    submitted_by: 'a9d1c9a4-3f0a-4b7e-9f8e-5a0c7d3b2e10',
    response_due_at: at,
    intake_completed_at: at,
    fixed_in_database_version: null,
    created_at: at,
    updated_at: at,
    assigned_to: ANALYST_KEY,
    claimed_at: at,
    last_analyst_activity_at: at,
    first_response_at: at,
    sla_paused_at: null,
    sla_warning_at: null,
    sla_warned_at: null,
    sla_breached_at: null,
    verdict: 'confirmed',
    verdict_note: 'Same dropper as the Acme Corp report',
    verdict_at: at,
    group_id: OTHER_CASE,
    scheduled_fix_version: null,
    ...overrides,
  };
}

let nextEventId = 1;
function anEvent(overrides: Partial<CaseEvent> = {}): CaseEvent {
  return {
    id: String(nextEventId++),
    case_id: '7bdbfdfa-ed4f-48ad-a563-d5e6dc5d10aa',
    type: 'status_changed',
    from_status: null,
    to_status: null,
    actor_key_id: ANALYST_KEY,
    actor_user_id: null,
    actor_name: null,
    actor_role: 'analyst',
    data: {},
    created_at: at,
    ...overrides,
  };
}

function timelineOf(...events: CaseEvent[]) {
  const { timeline } = customerCaseView(aCase(), [], events);
  if (!timeline) throw new Error('a view built with events has a timeline');
  return timeline;
}

describe(customerCaseView.name, () => {
  it('shows a verdict given with a group as one given alone: no other case, no note, no key', () => {
    const grouped = timelineOf(
      anEvent({ from_status: 'queued', to_status: 'in_review', data: { reason: 'group verdict', from: OTHER_CASE } }),
      anEvent({
        from_status: 'in_review',
        to_status: 'confirmed',
        data: { verdict: 'confirmed', note: 'Same dropper as the Acme Corp report', groupOf: 'SD-2026-000001' },
      }),
    );
    const alone = timelineOf(
      anEvent({ from_status: 'queued', to_status: 'in_review', data: { assignedTo: ANALYST_KEY } }),
      anEvent({ from_status: 'in_review', to_status: 'confirmed', data: { verdict: 'confirmed', note: 'reproduced' } }),
    );
    expect(grouped).toEqual(alone);
    expect(grouped[1]).toEqual({
      type: 'status_changed',
      fromStatus: 'in_review',
      toStatus: 'confirmed',
      by: { role: 'analyst' },
      at: at.toISOString(),
      data: { verdict: 'confirmed', message: expect.stringContaining('reproduced the problem') },
    });
  });

  it('names a person who acted by their display name, never by their email or id', () => {
    const personId = '0f6b6a53-3c55-4d8e-8f0e-33a3c1a0f1d2';
    const [question] = timelineOf(
      anEvent({
        type: 'question',
        actor_key_id: null,
        actor_user_id: personId,
        actor_name: 'Ana López',
        data: { message: 'Which build?', analyst: 'ana.lopez@vendor.example' },
      }),
    );
    expect(question.by).toEqual({ role: 'analyst', name: 'Ana López' });
    expect(JSON.stringify(question)).not.toMatch(/vendor\.example|0f6b6a53/);
  });

  it('leaves out of the case what is the analysts: verdict note, assignee, group', () => {
    const view = customerCaseView(aCase());
    const text = JSON.stringify(view);
    for (const hidden of [ANALYST_KEY, OTHER_CASE, 'Acme', 'verdict', 'group', 'assigned']) {
      expect(text).not.toContain(hidden);
    }
  });

  it("leaves out the analysts' own events: reassignments, signature changes", () => {
    expect(
      timelineOf(
        anEvent({ type: 'reassigned', data: { from: ANALYST_KEY, to: OTHER_CASE } }),
        anEvent({ type: 'signature_change_proposed', data: { changeId: OTHER_CASE, type: 'add_detection' } }),
        anEvent({ type: 'signature_change_rejected', data: { changeId: OTHER_CASE, note: 'too broad' } }),
        anEvent({ type: 'something_new', data: { secret: 'x' } }),
      ),
    ).toEqual([]);
  });

  it('shows of each event only the facts meant for the customer', () => {
    const timeline = timelineOf(
      anEvent({ type: 'question', data: { message: 'Which build?', internal: 'x' } }),
      anEvent({ type: 'response', data: { message: 'Confirmed.' } }),
      anEvent({
        type: 'customer_reply',
        actor_role: 'customer',
        data: { message: 'Build 467.', samplesAdded: ['ab'.repeat(32), 42] },
      }),
      anEvent({
        type: 'intake_completed',
        actor_role: 'system',
        actor_key_id: null,
        data: {
          samplesVerified: 1,
          triageDatabaseVersion: 100,
          triage: [{ sha256: 'cd'.repeat(32), detected: true, rules: ['SD_2026_000001_Dropper'] }],
          scheduledDatabaseVersion: 101,
        },
      }),
      anEvent({ type: 'fix_built', data: { databaseVersion: 101, changeId: OTHER_CASE, kind: 'expedited' } }),
      anEvent({ type: 'sla_breached', data: { responseDueAt: at.toISOString() } }),
    );
    expect(timeline.map((e) => e.data)).toEqual([
      { message: 'Which build?' },
      { message: 'Confirmed.' },
      { message: 'Build 467.', samplesAdded: ['ab'.repeat(32)] },
      { samplesVerified: 1 },
      { databaseVersion: 101 },
      { responseDueAt: at.toISOString() },
    ]);
    expect(timeline.map((e) => e.by)).toEqual(Array(6).fill({ role: expect.any(String) }));
    expect(JSON.stringify(timeline)).not.toContain(ANALYST_KEY);
  });

  it('drops a fact of the wrong type rather than passing it on', () => {
    const [event] = timelineOf(anEvent({ type: 'question', data: { message: { html: '<script>' } } }));
    expect(event).not.toHaveProperty('data');
  });
});

describe(customerStatusFacts.name, () => {
  it('tells a new submission its database version and samples, and a case back in the queue nothing', () => {
    expect(customerStatusFacts('received', 'queued', { databaseVersion: 100, samples: 2 })).toEqual({
      databaseVersion: 100,
      samples: 2,
    });
    expect(customerStatusFacts('in_review', 'queued', { reason: 'claim timed out', analyst: ANALYST_KEY })).toEqual({});
  });

  it('says nothing of who claimed a case', () => {
    expect(customerStatusFacts('queued', 'in_review', { assignedTo: ANALYST_KEY })).toEqual({});
  });

  it("passes on the analyst's question to the customer", () => {
    expect(customerStatusFacts('in_review', 'awaiting_customer', { message: 'Which build?' })).toEqual({
      message: 'Which build?',
    });
  });

  it('tells a verdict in its own words, never the note', () => {
    for (const verdict of ['confirmed', 'not_reproduced', 'declined'] as const) {
      const facts = customerStatusFacts('in_review', verdict, { verdict, note: 'see the Acme case' });
      expect(facts).toEqual({ verdict, message: expect.any(String) });
      expect(facts.message).not.toContain('Acme');
    }
  });

  it('does not call a case going back to confirmed after a failed build a verdict', () => {
    expect(
      customerStatusFacts('fix_scheduled', 'confirmed', { reason: 'build 7 failed', gate: 'corpus', changeId: 'x' }),
    ).toEqual({});
  });

  it('tells when the fix is scheduled and when it ships, not which change', () => {
    expect(customerStatusFacts('confirmed', 'fix_scheduled', { changeId: OTHER_CASE })).toEqual({});
    expect(
      customerStatusFacts('queued', 'fix_scheduled', {
        scheduledDatabaseVersion: 101,
        message: 'Database version 101, not yet released, detects this sample.',
        automatic: true,
      }),
    ).toEqual({
      scheduledDatabaseVersion: 101,
      message: 'Database version 101, not yet released, detects this sample.',
    });
    expect(
      customerStatusFacts('fix_scheduled', 'fixed', { fixedInDatabaseVersion: 101, message: 'Fixed in 101.' }),
    ).toEqual({ fixedInDatabaseVersion: 101, message: 'Fixed in 101.' });
  });
});
