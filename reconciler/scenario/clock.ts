// The simulation's virtual clock as people read it: HH:MM:SS from the scenario's start,
// rounded to the second. The live timeline, the decision log of report.html and the CLI all
// print a decision's time with this one function, so they never disagree.

export function virtualClock(t: number, start: number): string {
  const s = Math.round((t - start) / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}
