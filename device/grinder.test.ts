import { describe, expect, it } from 'vitest';
import { expectCode } from '../tests/support/assert.ts';
import { clearFault, grind, idle, newGrinder, refill, reportFault, setGrindSize } from './grinder.ts';

describe('grinder model', () => {
  it('grinds, counts cycles and grams, and runs dry', () => {
    let g = setGrindSize(newGrinder(30), 'espresso');
    let r = grind(g, 18);
    expect(r.ground).toBe(18);
    g = r.state;
    expect(g.counters).toMatchObject({ cycles: 1, grams: 18, motorMs: 18000 });
    r = grind(g, 18);
    expect(r.ground).toBe(12);
    g = r.state;
    expect(g.active).toContain('hopper_empty');
    expectCode(() => grind(g, 5), 'device.grinder_fault');
    g = refill(g, 100);
    expect(g.active).toHaveLength(0);
    expect(grind(g, 5).ground).toBe(5);
  });

  it('overheats with long runs and recovers after idling', () => {
    let g = setGrindSize(newGrinder(1000), 'espresso');
    g = grind(g, 60).state; // 60 s at 1 g/s: +60 °C
    expect(g.active).toContain('motor_overheat');
    expect(g.counters.faults.motor_overheat).toBe(1);
    expect(clearFault(g, 'motor_overheat').active).toContain('motor_overheat');
    g = clearFault(idle(g, 120_000), 'motor_overheat');
    expect(g.active).toHaveLength(0);
  });

  it('records reported faults once while active, and refuses bad input', () => {
    let g = reportFault(reportFault(newGrinder(), 'burr_jam'), 'burr_jam');
    expect(g.counters.faults.burr_jam).toBe(1);
    g = clearFault(g, 'burr_jam');
    expect(g.active).toHaveLength(0);
    expectCode(() => setGrindSize(g, 'powder'), 'device.invalid_grind_size');
    expectCode(() => grind(g, 0), 'device.invalid_amount');
  });
});
