import { detectFileType } from './file-type';

describe(detectFileType.name, () => {
  it.each([
    ['pe', Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1')],
    ['elf', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1])],
    ['zip', Buffer.from('PK\x03\x04\x14\x00', 'latin1')],
    ['pdf', Buffer.from('%PDF-1.7\n')],
    ['ole', Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0])],
    ['script', Buffer.from('#!/bin/sh\nrm -rf /\n')],
    ['script', Buffer.from('@echo off\r\ndel /q *\r\n')],
    ['html', Buffer.from('<!DOCTYPE html><html></html>')],
    ['text', Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*')],
    ['binary', Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe])],
  ])('recognises %s from content', (type, head) => {
    expect(detectFileType(head)).toBe(type);
  });

  it('does not trust a name or an extension: it only sees bytes', () => {
    expect(detectFileType(Buffer.from('MZ this claims to be a text file'))).toBe('pe');
  });
});
