/** A PNG line chart of acknowledged sends per second over time, with the moments of the leader kills marked. */
import fs from 'node:fs';
import { createCanvas } from '@napi-rs/canvas';
import { Chart, registerables } from 'chart.js';

Chart.register(...registerables);

/** ackTimesMs: when each send was acknowledged; killTimesMs: when each leader was SIGKILLed (same clock, ms). */
export async function writeSendRateChart(file: string, ackTimesMs: number[], killTimesMs: number[], bucketMs = 250): Promise<void> {
  const start = Math.min(...ackTimesMs, ...killTimesMs);
  const end = Math.max(...ackTimesMs, ...killTimesMs);
  const buckets = new Array<number>(Math.floor((end - start) / bucketMs) + 1).fill(0);
  for (const t of ackTimesMs) buckets[Math.floor((t - start) / bucketMs)]!++;
  const rate = buckets.map((n, i) => ({ x: (i * bucketMs) / 1000, y: (n * 1000) / bucketMs }));
  const top = Math.max(...rate.map((p) => p.y), 1);
  const canvas = createCanvas(1400, 500);
  const chart = new Chart(canvas.getContext('2d') as unknown as ConstructorParameters<typeof Chart>[0], {
    type: 'scatter',
    data: {
      datasets: [
        { type: 'line', label: `acknowledged sends/s (${bucketMs} ms buckets)`, data: rate, borderColor: '#1f77b4', pointRadius: 0, borderWidth: 1.5 },
        { label: 'leader SIGKILL', data: killTimesMs.map((t) => ({ x: (t - start) / 1000, y: top * 1.05 })), borderColor: '#d62728',
          backgroundColor: '#d62728', pointStyle: 'rectRot', pointRadius: 7 },
      ],
    },
    options: {
      animation: false, responsive: false,
      scales: { x: { type: 'linear', title: { display: true, text: 'seconds' } }, y: { min: 0, title: { display: true, text: 'sends/s' } } },
      plugins: { title: { display: true, text: 'Raft group: send rate across leader kills' } },
    },
  });
  chart.draw();
  fs.writeFileSync(file, await canvas.encode('png'));
  chart.destroy();
}
