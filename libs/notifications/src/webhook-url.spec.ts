import { isLoopbackHost, webhookUrlProblem } from './webhook-url';

describe('webhookUrlProblem', () => {
  it.each([
    'https://hooks.example.com/sigdesk',
    'https://hooks.example.com:8443/a?b=c',
    'http://127.0.0.1:8080/hook',
    'http://127.9.8.7/hook',
    'http://localhost:3000/hook',
    'http://LOCALHOST/hook',
    'http://[::1]:4000/hook',
  ])('accepts %s', (url) => {
    expect(webhookUrlProblem(url)).toBeNull();
  });

  it.each([
    ['http://hooks.example.com/sigdesk', /https/],
    ['http://10.0.0.1/hook', /https/],
    ['http://128.0.0.1/hook', /https/],
    ['http://localhost.example.com/hook', /https/],
    ['http://127.0.0.1.nip.io/hook', /https/],
    ['ftp://127.0.0.1/hook', /https/],
    ['javascript:alert(1)', /https/],
    ['hooks.example.com/sigdesk', /absolute URL/],
    ['https://user:pass@hooks.example.com/', /user name or password/],
    [`https://hooks.example.com/${'a'.repeat(2000)}`, /at most 2000/],
  ])('refuses %s', (url, problem) => {
    expect(webhookUrlProblem(url)).toMatch(problem);
  });
});

describe('isLoopbackHost', () => {
  it('knows the loopback names and the whole of 127.0.0.0/8', () => {
    expect(['localhost', '127.0.0.1', '127.255.255.254', '[::1]'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '[::]', '169.254.169.254', '127.example.com'].some(isLoopbackHost)).toBe(false);
  });
});
