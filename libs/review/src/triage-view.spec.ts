import { triageOf } from './triage-view';

const sha = 'a'.repeat(64);

describe(triageOf.name, () => {
  it("reads what the databases matched from the intake's event", () => {
    const events = [
      { type: 'status_changed', data: {} },
      {
        type: 'intake_completed',
        data: {
          samplesVerified: 1,
          triageDatabaseVersion: 102,
          triage: [{ sha256: sha, detected: true, rules: ['Trojan_Dropper', 7], allowlisted: false }],
          scheduledDatabaseVersion: 103,
          scheduledTriage: [{ sha256: sha, detected: false, rules: [], allowlisted: true }],
        },
      },
    ];
    expect(triageOf(events)).toEqual({
      databaseVersion: 102,
      samples: [{ sha256: sha, detected: true, rules: ['Trojan_Dropper'], allowlisted: false }],
      scheduled: { databaseVersion: 103, samples: [{ sha256: sha, detected: false, rules: [], allowlisted: true }] },
    });
  });

  it('is null before intake ends, or when no database was published to triage with', () => {
    expect(triageOf([{ type: 'status_changed', data: {} }])).toBeNull();
    expect(triageOf([{ type: 'intake_completed', data: { samplesVerified: 1 } }])).toBeNull();
  });

  it('skips entries that are not what the intake records', () => {
    const events = [{ type: 'intake_completed', data: { triageDatabaseVersion: 5, triage: [null, { sha256: 1 }] } }];
    expect(triageOf(events)).toEqual({ databaseVersion: 5, samples: [], scheduled: null });
  });
});
