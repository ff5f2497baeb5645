import { CaseSampleRow, CasesRepository } from '@sigdesk/cases';
import { AppError } from '@sigdesk/http';

/** A sample of a case, named by its SHA-256: refused as 400 when the name is no SHA-256, 404 when not the case's. */
export async function caseSample(cases: CasesRepository, caseId: string, sha256: string): Promise<CaseSampleRow> {
  if (!/^[0-9a-f]{64}$/.test(sha256)) {
    throw AppError.badRequest('invalid_sha256', 'Give the sample as its SHA-256 in lowercase hex.');
  }
  const sample = (await cases.samplesOf(caseId)).find((s) => s.sha256 === sha256);
  if (!sample) throw AppError.notFound('This sample of this case');
  return sample;
}
