// Counters and gauges of one tracker node, in two forms: Prometheus text for
// /metrics (its own registry, so several trackers can live in one process)
// and plain JSON for /api/stats. Peer metrics reports are aggregated here.

import { Counter, Gauge, Registry } from 'prom-client';
import type { ErrorCode, GroupId, PeerId } from '@chorus/protocol';
import type { ParsedMetricsReport } from '@chorus/protocol';

export type DropReason = 'not-shared' | 'unknown-peer' | 'forged-sender' | 'self' | 'bad-input' | 'rate-limited';

export interface GroupPeerStats {
  readonly reports: number;
  readonly sent: number;
  readonly received: number;
  readonly total: number;
  readonly throughputPerSec: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly rejectedFrames: number;
}

export interface Snapshot {
  readonly groups: number;
  readonly members: number;
  readonly joining: number;
}

export class TrackerMetrics {
  readonly registry = new Registry();
  sessions = 0;
  snapshot: Snapshot = { groups: 0, members: 0, joining: 0 };
  viewsInstalled = 0;
  signalsRelayed = 0;
  readonly signalsDropped = new Map<DropReason, number>();
  readonly badInputs = new Map<string, number>();
  heartbeatFailures = 0;
  evictions = 0;
  /** Last report per group and peer: reports are cumulative per session, so summing the last of each is right. */
  private readonly peerReports = new Map<GroupId, Map<PeerId, ParsedMetricsReport & { reports: number }>>();
  /** Summed counts of sessions that left each group (no per-session entries). */
  private readonly departed = new Map<
    GroupId,
    { reports: number; sent: number; received: number; total: number; rejectedFrames: number }
  >();

  private readonly cViews = new Counter({
    name: 'chorus_views_installed_total',
    help: 'Membership views installed',
    registers: [this.registry],
  });
  private readonly cRelayed = new Counter({
    name: 'chorus_signals_relayed_total',
    help: 'Signaling messages relayed',
    registers: [this.registry],
  });
  private readonly cDropped = new Counter({
    name: 'chorus_signals_dropped_total',
    help: 'Signaling messages dropped',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  private readonly cBad = new Counter({
    name: 'chorus_bad_inputs_total',
    help: 'Rejected inbound events by error code',
    labelNames: ['code'],
    registers: [this.registry],
  });
  private readonly cHeartbeat = new Counter({
    name: 'chorus_heartbeat_failures_total',
    help: 'Sessions declared failed for missing heartbeats',
    registers: [this.registry],
  });
  private readonly cEvictions = new Counter({
    name: 'chorus_evictions_total',
    help: 'Members evicted for a link down past the grace time or on a proof that they signed two finals or reports',
    registers: [this.registry],
  });
  private readonly cPeerReports = new Counter({
    name: 'chorus_peer_metrics_reports_total',
    help: 'Metrics reports received from peers',
    registers: [this.registry],
  });

  constructor() {
    // prom-client calls collect() with the gauge as `this`.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    new Gauge({
      name: 'chorus_sessions_connected',
      help: 'Authenticated sessions on this node',
      registers: [this.registry],
      collect() {
        this.set(self.sessions);
      },
    });
    new Gauge({
      name: 'chorus_groups',
      help: 'Groups in the directory',
      registers: [this.registry],
      collect() {
        this.set(self.snapshot.groups);
      },
    });
    new Gauge({
      name: 'chorus_group_members',
      help: 'Members in installed views, summed over groups',
      registers: [this.registry],
      collect() {
        this.set(self.snapshot.members);
      },
    });
    new Gauge({
      name: 'chorus_group_joiners',
      help: 'Sessions in phase one of a join',
      registers: [this.registry],
      collect() {
        this.set(self.snapshot.joining);
      },
    });
    new Gauge({
      name: 'chorus_peer_reported_messages',
      help: 'Messages per group as reported by peers (sum of latest reports)',
      labelNames: ['group', 'kind'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [g, s] of self.peerStats()) {
          this.set({ group: g, kind: 'sent' }, s.sent);
          this.set({ group: g, kind: 'received' }, s.received);
        }
      },
    });
  }

  viewInstalled(): void {
    this.viewsInstalled++;
    this.cViews.inc();
  }
  relayed(): void {
    this.signalsRelayed++;
    this.cRelayed.inc();
  }
  dropped(reason: DropReason): void {
    this.signalsDropped.set(reason, (this.signalsDropped.get(reason) ?? 0) + 1);
    this.cDropped.inc({ reason });
  }
  badInput(code: ErrorCode | 'unknown-event' | 'no-ack'): void {
    this.badInputs.set(code, (this.badInputs.get(code) ?? 0) + 1);
    this.cBad.inc({ code });
  }
  heartbeatFailed(): void {
    this.heartbeatFailures++;
    this.cHeartbeat.inc();
  }
  evicted(): void {
    this.evictions++;
    this.cEvictions.inc();
  }

  peerReport(peerId: PeerId, r: ParsedMetricsReport): void {
    this.cPeerReports.inc();
    let g = this.peerReports.get(r.groupId);
    if (g === undefined) this.peerReports.set(r.groupId, (g = new Map()));
    g.set(peerId, { ...r, reports: (g.get(peerId)?.reports ?? 0) + 1 });
  }

  /**
   * A session left the group (or was removed): its entry goes, its counts
   * (the final report a peer sends on leave) stay in the group's totals.
   */
  forgetPeer(groupId: GroupId, peerId: PeerId): void {
    const g = this.peerReports.get(groupId);
    const last = g?.get(peerId);
    if (g === undefined || last === undefined) return;
    g.delete(peerId);
    const d = this.departed.get(groupId) ?? { reports: 0, sent: 0, received: 0, total: 0, rejectedFrames: 0 };
    this.departed.set(groupId, {
      reports: d.reports + last.reports,
      sent: d.sent + last.sent,
      received: d.received + last.received,
      total: d.total + last.total,
      rejectedFrames: d.rejectedFrames + last.rejectedFrames,
    });
  }

  /** Series exist only for groups in the directory: an expired or deleted group's go. */
  retainGroups(groupIds: ReadonlySet<GroupId>): void {
    for (const id of this.peerReports.keys()) if (!groupIds.has(id)) this.peerReports.delete(id);
    for (const id of this.departed.keys()) if (!groupIds.has(id)) this.departed.delete(id);
  }

  peerStats(): Map<GroupId, GroupPeerStats> {
    const out = new Map<GroupId, GroupPeerStats>();
    for (const groupId of new Set([...this.peerReports.keys(), ...this.departed.keys()])) {
      const all = [...(this.peerReports.get(groupId)?.values() ?? [])];
      const gone = this.departed.get(groupId) ?? { reports: 0, sent: 0, received: 0, total: 0, rejectedFrames: 0 };
      const sum = (f: (r: ParsedMetricsReport) => number): number => all.reduce((a, r) => a + f(r), 0);
      out.set(groupId, {
        reports: all.reduce((a, r) => a + r.reports, 0) + gone.reports,
        sent: sum((r) => r.sent) + gone.sent,
        received: sum((r) => r.received) + gone.received,
        total: sum((r) => r.total) + gone.total,
        throughputPerSec: sum((r) => r.throughputPerSec),
        latencyP50Ms: Math.max(0, ...all.map((r) => r.latencyP50Ms)),
        latencyP99Ms: Math.max(0, ...all.map((r) => r.latencyP99Ms)),
        rejectedFrames: sum((r) => r.rejectedFrames) + gone.rejectedFrames,
      });
    }
    return out;
  }

  toJSON(): Record<string, unknown> {
    return {
      sessions: this.sessions,
      groups: this.snapshot.groups,
      members: this.snapshot.members,
      joining: this.snapshot.joining,
      viewsInstalled: this.viewsInstalled,
      signalsRelayed: this.signalsRelayed,
      signalsDropped: Object.fromEntries(this.signalsDropped),
      signalsDroppedTotal: [...this.signalsDropped.values()].reduce((a, b) => a + b, 0),
      badInputs: Object.fromEntries(this.badInputs),
      badInputsTotal: [...this.badInputs.values()].reduce((a, b) => a + b, 0),
      heartbeatFailures: this.heartbeatFailures,
      evictions: this.evictions,
      peerMetrics: Object.fromEntries(this.peerStats()),
    };
  }
}
