import { HOME_PATH, safeNextPath, signInPath } from './next-path';

describe('safeNextPath', () => {
  it('comes back to a page of the app', () => {
    expect(safeNextPath('/cases')).toBe('/cases');
    expect(safeNextPath('/cases?status=queued#top')).toBe('/cases?status=queued#top');
  });

  it.each([
    ['no parameter', null],
    ['an empty one', ''],
    ['another origin', 'https://evil.example/'],
    ['a protocol-relative address', '//evil.example/cases'],
    ['a backslash read as a slash', '/\\evil.example'],
    ['a backslash further on', '/cases\\..\\x'],
    ['a tab that browsers drop', '/\t/evil.example'],
    ['a javascript: address', 'javascript:alert(1)'],
    ['the sign-in page itself', '/sign-in?next=/cases'],
  ])('goes to the start page of whoever signs in for %s', (_what, next) => {
    expect(safeNextPath(next)).toBe(HOME_PATH);
  });

  it('builds the sign-in address that comes back', () => {
    expect(signInPath('/settings?tab=keys')).toBe('/sign-in?next=%2Fsettings%3Ftab%3Dkeys');
    expect(signInPath(HOME_PATH)).toBe('/sign-in');
    expect(signInPath('//evil.example')).toBe('/sign-in');
    expect(signInPath('/cases/1', 'expired')).toBe('/sign-in?next=%2Fcases%2F1&reason=expired');
    expect(signInPath(HOME_PATH, 'password-changed')).toBe('/sign-in?reason=password-changed');
  });
});
