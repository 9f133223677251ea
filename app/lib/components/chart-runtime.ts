/**
 * Chart.js with only the parts the console draws (line and bar charts on linear and category
 * axes, legend, tooltip), registered once. Imported dynamically by Chart.svelte, so chart.js
 * stays out of the console's first load.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';

Chart.register(LineController, LineElement, PointElement, BarController, BarElement, LinearScale, CategoryScale, Legend, Tooltip);

export { Chart };
