import { describe, it, expect } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import {
  PROBLEM_REPORT_TYPE,
  ProblemReportError,
  createProblemReport,
  interpolateComment,
  isProblemCode,
  parseProblemReport,
  problemCodeMatches,
} from './report-problem.ts';

describe('report-problem 2.0', () => {
  it('builds the spec example shape', () => {
    const m = createProblemReport({
      id: '7c9de639-c51c-4d60-ab95-103fa613c805',
      code: 'e.p.xfer.cant-use-endpoint',
      pthid: '1e513ad4-48c9-444e-9e7e-5b8b45c5e325',
      ack: '1e513ad4-48c9-444e-9e7e-5b8b45c5e325',
      args: ['https://agents.r.us/inbox', 'did:sov:C805sNYhMrjHiqZDTUASHg'],
      escalateTo: 'mailto:admin@foo.org',
    });
    expect(m).toEqual({
      type: PROBLEM_REPORT_TYPE,
      id: '7c9de639-c51c-4d60-ab95-103fa613c805',
      pthid: '1e513ad4-48c9-444e-9e7e-5b8b45c5e325',
      ack: ['1e513ad4-48c9-444e-9e7e-5b8b45c5e325'],
      body: {
        code: 'e.p.xfer.cant-use-endpoint',
        comment: 'Unable to use the {1} endpoint for {2}.',
        args: ['https://agents.r.us/inbox', 'did:sov:C805sNYhMrjHiqZDTUASHg'],
        escalate_to: 'mailto:admin@foo.org',
      },
    });
    expect(parseProblemReport(m)).toEqual(m.body as never);
  });

  it('problem code syntax: sorter, scope, descriptors; the spec spelling message_too_big is valid', () => {
    for (const c of ['e.p.xfer.cant-use-endpoint', 'w.m.msg', 'e.get-pay-details.payment-failed', 'e.p.me.res.storage.message_too_big']) {
      expect(isProblemCode(c)).toBe(true);
    }
    for (const c of ['x.p.msg', 'e.p', 'E.P.MSG', 'e..msg', 'e.p.msg.', '', 5, 'e.p.' + 'a'.repeat(200)]) expect(isProblemCode(c)).toBe(false);
    expectCode(() => createProblemReport({ code: 'nope' }), 'didcomm.invalid_problem_code');
    expectCode(() => new ProblemReportError('nope'), 'didcomm.invalid_problem_code');
    expectCode(() => parseProblemReport({ id: 'x', type: PROBLEM_REPORT_TYPE, body: {} }), 'didcomm.invalid_problem_report');
  });

  it('prefix matching works on whole tokens', () => {
    expect(problemCodeMatches('e.p.trust.crypto', 'e.p.trust')).toBe(true);
    expect(problemCodeMatches('e.p.trustworthy', 'e.p.trust')).toBe(false);
  });

  it('interpolation: {n} from args, missing/null -> ?, extras appended', () => {
    expect(interpolateComment('Unable to use the {1} endpoint for {2}.', ['u', 'd'])).toBe('Unable to use the u endpoint for d.');
    expect(interpolateComment('Unable to use the {1} endpoint for {2}.', ['u'])).toBe('Unable to use the u endpoint for ?.');
    expect(interpolateComment('A {1}.', [null, 'x', 'y'])).toBe('A ?. x, y');
    expect(interpolateComment('Plain.', ['a'])).toBe('Plain. a');
  });

  it('parse tolerates null args and keeps only known fields', () => {
    const p = parseProblemReport({ id: 'x', type: PROBLEM_REPORT_TYPE, body: { code: 'e.p.me', args: [null, 3], extra: 1 } });
    expect(p).toEqual({ code: 'e.p.me', args: ['?', '3'] });
  });
});
