import { acceptsHtml } from './web-app';

describe(acceptsHtml.name, () => {
  it("takes a browser's navigation for a page request", () => {
    expect(acceptsHtml('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8')).toBe(true);
    expect(acceptsHtml('application/xhtml+xml')).toBe(true);
    expect(acceptsHtml('TEXT/HTML; charset=utf-8')).toBe(true);
  });

  it('leaves API clients, scripts and images to the API', () => {
    expect(acceptsHtml(undefined)).toBe(false);
    expect(acceptsHtml('')).toBe(false);
    expect(acceptsHtml('*/*')).toBe(false);
    expect(acceptsHtml('application/json')).toBe(false);
    expect(acceptsHtml('image/avif,image/webp,*/*;q=0.8')).toBe(false);
  });

  it('honours a refusal of HTML (q=0)', () => {
    expect(acceptsHtml('text/html;q=0, application/json')).toBe(false);
    expect(acceptsHtml('text/html; q=0.0')).toBe(false);
    expect(acceptsHtml('text/html;q=0.1')).toBe(true);
  });
});
