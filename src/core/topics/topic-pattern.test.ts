import { describe, expect, it } from 'vitest';
import { TopicPattern, TopicPatterns, topicProblem } from './topic-pattern.js';

describe('TopicPattern', () => {
  it('matches {name} as one non-empty segment and literals exactly', () => {
    const p = new TopicPattern({ pattern: 'project/{id}/{event}' });
    expect(p.match('project/7/push')).toEqual({ id: '7', event: 'push' });
    expect(p.match('project/7')).toBeUndefined();
    expect(p.match('project/7/push/x')).toBeUndefined();
    expect(p.match('project//push')).toBeUndefined();
    expect(p.match('projects/7/push')).toBeUndefined();
    // A named segment never climbs the upstream URL's path.
    expect(p.match('project/../push')).toBeUndefined();
    expect(p.match('project/./push')).toBeUndefined();
    expect(p.match('project/.../push')).toEqual({ id: '...', event: 'push' });
  });

  it('matches * as the rest (at least one character)', () => {
    const p = new TopicPattern({ pattern: 'news/*' });
    expect(p.match('news/a')).toEqual({});
    expect(p.match('news/a/b/c')).toEqual({});
    expect(p.match('news/')).toBeUndefined();
    expect(p.match('news')).toBeUndefined();
  });

  it('fills the sse template from the named segments, URL-encoded', () => {
    const p = new TopicPattern({ pattern: 'project/{id}/{event}', sse: 'http://h/p/{id}/events?type={event}' });
    expect(p.fill(p.match('project/a b&c/push?x')!)).toBe('http://h/p/a%20b%26c/events?type=push%3Fx');
  });

  it('refuses unusable patterns with a TypeError naming them', () => {
    expect(() => new TopicPattern({ pattern: 'a/*/b' })).toThrow(TypeError);
    expect(() => new TopicPattern({ pattern: 'a/{x}/{x}' })).toThrow(/twice/);
    expect(() => new TopicPattern({ pattern: 'a/x{y}' })).toThrow(TypeError);
    expect(() => new TopicPattern({ pattern: 'a/{x}', sse: 'http://h/{y}' })).toThrow(/\{y\}/);
  });
});

describe('TopicPatterns', () => {
  it('takes the first pattern that matches, in config order', () => {
    const ps = new TopicPatterns([{ pattern: 'room/{id}', sse: 'http://h/{id}' }, { pattern: 'room/*' }]);
    expect(ps.match('room/1')?.sseUrl).toBe('http://h/1');
    expect(ps.match('room/1/2')?.sseUrl).toBeUndefined();
    expect(ps.match('hall/1')).toBeUndefined();
    expect(ps.hasSse).toBe(true);
  });
});

describe('topicProblem', () => {
  it('refuses empty, too long and control characters', () => {
    expect(topicProblem('ok/1', 10)).toBeUndefined();
    expect(topicProblem('', 10)).toMatch(/empty/);
    expect(topicProblem('x'.repeat(11), 10)).toMatch(/longer/);
    expect(topicProblem('a\nb', 10)).toMatch(/control/);
  });
});
