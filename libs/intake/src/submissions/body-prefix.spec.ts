import { firstFileSize } from './body-prefix';

const BOUNDARY = 'b0undary';
const TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

function body(parts: Array<{ headers: string; content: string }>, end = '\r\n'): string {
  return parts.map((p) => `--${BOUNDARY}\r\n${p.headers}\r\n\r\n${p.content}\r\n`).join('') + `--${BOUNDARY}--${end}`;
}

describe(firstFileSize.name, () => {
  const parts = [
    { headers: 'Content-Disposition: form-data; name="kind"', content: 'false_negative' },
    { headers: 'Content-Disposition: form-data; name="sample"; filename="a"', content: 'x'.repeat(1000) },
  ];

  it('tells the size of the last part from the declared length', () => {
    const text = body(parts);
    const prefix = Buffer.from(text.slice(0, text.indexOf('xxx')));
    expect(firstFileSize(prefix, TYPE, 2, Buffer.byteLength(text))).toBe(1000);
  });

  it('reads a quoted boundary', () => {
    const text = body(parts);
    const prefix = Buffer.from(text.slice(0, text.indexOf('xxx')));
    expect(firstFileSize(prefix, `multipart/form-data; boundary="${BOUNDARY}"`, 2, Buffer.byteLength(text))).toBe(1000);
  });

  it('gives a size the part does not have when it is not the last part', () => {
    const text = body([...parts, { headers: 'Content-Disposition: form-data; name="x"', content: 'y' }]);
    const prefix = Buffer.from(text.slice(0, text.indexOf('xxx')));
    expect(firstFileSize(prefix, TYPE, 2, Buffer.byteLength(text))).not.toBe(1000);
  });

  it('is null when the prefix does not reach the part, or there is no boundary', () => {
    const text = body(parts);
    expect(firstFileSize(Buffer.from(text.slice(0, 20)), TYPE, 2, text.length)).toBeNull();
    expect(firstFileSize(Buffer.from(text), 'multipart/form-data', 2, text.length)).toBeNull();
  });
});
