/** Builds the stage for a TCP toxic. The switch is exhaustive: a new toxic type will not compile until it is here. */
import type { Sink, Stage, StageContext } from '../chain.js'
import type { TcpToxicSpec } from '../toxic-spec.js'
import { BandwidthStage } from './bandwidth.js'
import { LatencyStage } from './latency.js'
import { LimitDataStage } from './limit-data.js'
import { ResetPeerStage } from './reset-peer.js'
import { SharedBandwidthStage } from './shared-bandwidth.js'
import { SlicerStage } from './slicer.js'
import { SlowCloseStage } from './slow-close.js'
import { TimeoutStage } from './timeout.js'

export function createStage(spec: TcpToxicSpec, ctx: StageContext, next: Sink): Stage {
  switch (spec.type) {
    case 'latency':
      return new LatencyStage(spec, ctx, next)
    case 'bandwidth':
      return new BandwidthStage(spec, ctx, next)
    case 'shared_bandwidth':
      return new SharedBandwidthStage(spec, ctx, next)
    case 'slow_close':
      return new SlowCloseStage(spec, ctx, next)
    case 'timeout':
      return new TimeoutStage(spec, ctx, next)
    case 'reset_peer':
      return new ResetPeerStage(spec, ctx, next)
    case 'slicer':
      return new SlicerStage(spec, ctx, next)
    case 'limit_data':
      return new LimitDataStage(spec, ctx, next)
  }
}
