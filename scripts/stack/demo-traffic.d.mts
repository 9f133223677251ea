export interface DemoTrafficStats {
  sent: number;
  ok: number;
  failed: number;
  /** The load balancer's address being sent to, or null while inventory has none. */
  target: string | null;
}
export function startDemoTraffic(options: {
  url: string;
  token: string;
  application?: string;
  loadBalancer?: string;
  ratePerSec?: number;
  lookupEveryMs?: number;
  log?: (line: string) => void;
}): { stats(): DemoTrafficStats; stop(): Promise<void> };
