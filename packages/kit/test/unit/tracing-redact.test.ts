import { stripLiterals, stripQueryValues } from '../../src/tracing-redact';

describe('span attributes keep no values', () => {
  it("keeps a URL's query parameter names, never their values", () => {
    expect(stripQueryValues('http://127.0.0.1:5002/sales?status=alice&limit=5')).toBe('http://127.0.0.1:5002/sales?status=&limit=');
    expect(stripQueryValues('/items?q=secret%20word#top')).toBe('/items?q=#top');
    expect(stripQueryValues('q=alice&flag')).toBe('q=&flag');
    expect(stripQueryValues('/sales/1f0c')).toBe('/sales/1f0c');
  });

  it("replaces a statement's literals, keeping its placeholders and names", () => {
    expect(stripLiterals("SELECT id FROM customers WHERE username_key = 'alice' AND age > 30 AND id = $1")).toBe(
      'SELECT id FROM customers WHERE username_key = ? AND age > ? AND id = $1',
    );
    expect(stripLiterals("INSERT INTO t (a, b2) VALUES (E'it''s', $$body$$)")).toBe('INSERT INTO t (a, b2) VALUES (?, ?)');
    expect(stripLiterals('SELECT 1.5e3, t.col2 FROM t')).toBe('SELECT ?, t.col2 FROM t');
  });
});
