import { isTyping, matchShortcut, type Shortcut } from './shortcuts';

const run = () => undefined;
const shortcuts: Shortcut[] = [
  { keys: 'n', description: 'shortcuts.help' as never, run },
  { keys: 'g q', description: 'shortcuts.help' as never, run },
  { keys: '?', description: 'shortcuts.help' as never, run },
];

describe('matchShortcut', () => {
  it('finds a single key and a sequence', () => {
    expect(matchShortcut(shortcuts, ['n']).shortcut?.keys).toBe('n');
    expect(matchShortcut(shortcuts, ['?']).shortcut?.keys).toBe('?');
    expect(matchShortcut(shortcuts, ['g', 'q']).shortcut?.keys).toBe('g q');
  });

  it('waits for the second key of a sequence, and ignores keys that start nothing', () => {
    expect(matchShortcut(shortcuts, ['g'])).toEqual({ pending: true });
    expect(matchShortcut(shortcuts, ['x'])).toEqual({ pending: false });
    expect(matchShortcut(shortcuts, ['g', 'x'])).toEqual({ pending: false });
  });

  it('tells upper from lower case, as typed', () => {
    expect(matchShortcut(shortcuts, ['N']).shortcut).toBeUndefined();
  });
});

describe('isTyping', () => {
  const element = (selectorsMatched: boolean, isContentEditable = false) => ({
    closest: () => (selectorsMatched ? {} : null),
    isContentEditable,
  });
  const plain = { ctrlKey: false, altKey: false, metaKey: false };

  it('leaves keys typed in fields and editors to them', () => {
    expect(isTyping({ ...plain, target: element(true) as never })).toBe(true);
    expect(isTyping({ ...plain, target: element(false, true) as never })).toBe(true);
  });

  it('leaves keys with Ctrl, Alt or Meta to the browser', () => {
    expect(isTyping({ ...plain, ctrlKey: true, target: element(false) as never })).toBe(true);
    expect(isTyping({ ...plain, metaKey: true, target: null })).toBe(true);
  });

  it('takes keys pressed on the page itself', () => {
    expect(isTyping({ ...plain, target: element(false) as never })).toBe(false);
    expect(isTyping({ ...plain, target: null })).toBe(false);
  });
});
