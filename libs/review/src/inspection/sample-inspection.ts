import { Injectable } from '@nestjs/common';
import { CasesRepository } from '@sigdesk/cases';
import { AppError } from '@sigdesk/http';
import { ObjectStore, StorageKeys } from '@sigdesk/storage';
import { caseSample } from '../case-sample';
import { printableStrings, type PrintableString } from './printable-strings';

/** The most bytes one answer shows as hex. */
export const MAX_HEX_BYTES = 64 * 1024;
/** The most bytes one answer searches for strings: about 5 ms of work, so the API never stalls on a sample. */
export const MAX_STRINGS_WINDOW_BYTES = 1024 * 1024;
/** The most strings one answer lists; the rest come with the next window. */
export const MAX_STRINGS_PER_ANSWER = 2_000;

/**
 * What an analyst reads of a sample to write a rule for it, without downloading it: its bytes as hex at an offset,
 * and its printable strings (ASCII and UTF-16LE) with their offsets, a window at a time. Samples are only ever read
 * as bytes from object storage (a range request), never opened by a program or run.
 */
@Injectable()
export class SampleInspection {
  constructor(
    private readonly cases: CasesRepository,
    private readonly store: ObjectStore,
  ) {}

  async bytes(caseId: string, sha256: string, offset: number, length: number) {
    const size = await this.sizeOf(caseId, sha256, offset);
    const data = await this.read(sha256, size, offset, Math.min(length, MAX_HEX_BYTES));
    return { sha256, size, offset, length: data.length, hex: data.toString('hex') };
  }

  /**
   * The strings of one window. A string that runs on past the window's end is left to the next window (which starts
   * where it does), unless it fills the window alone; `nextOffset` is where to ask next, null at the end.
   */
  async strings(caseId: string, sha256: string, query: { offset: number; length: number; minLength: number }) {
    const size = await this.sizeOf(caseId, sha256, query.offset);
    const data = await this.read(sha256, size, query.offset, Math.min(query.length, MAX_STRINGS_WINDOW_BYTES));
    const windowEnd = query.offset + data.length;
    let strings: PrintableString[] = printableStrings(data, query.offset, query.minLength);
    let nextOffset: number | null = windowEnd < size ? windowEnd : null;

    if (nextOffset !== null) {
      const runOn = strings.filter((s) => s.offset + s.byteLength === windowEnd && s.offset > query.offset);
      if (runOn.length > 0) {
        nextOffset = Math.min(...runOn.map((s) => s.offset));
        strings = strings.filter((s) => s.offset < nextOffset!);
      }
    }
    if (strings.length > MAX_STRINGS_PER_ANSWER) {
      nextOffset = strings[MAX_STRINGS_PER_ANSWER].offset;
      strings = strings.slice(0, MAX_STRINGS_PER_ANSWER);
    }
    return {
      sha256,
      size,
      window: { offset: query.offset, length: (nextOffset ?? windowEnd) - query.offset },
      minLength: query.minLength,
      strings,
      nextOffset,
    };
  }

  private async sizeOf(caseId: string, sha256: string, offset: number): Promise<number> {
    const sample = await caseSample(this.cases, caseId, sha256);
    const size = Number(sample.size);
    if (offset > 0 && offset >= size) {
      throw AppError.unprocessable(
        'offset_beyond_end',
        `The sample has ${size} bytes; offsets go from 0 to ${size - 1}.`,
        {
          size,
        },
      );
    }
    return size;
  }

  private async read(sha256: string, size: number, offset: number, length: number): Promise<Buffer> {
    const end = Math.min(size, offset + length) - 1;
    if (end < offset) return Buffer.alloc(0);
    return this.store.getRange(StorageKeys.sample(sha256), offset, end);
  }
}
