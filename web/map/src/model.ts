import type { GapStatus, MapChainQuery, Stage } from '../../../src/graphql/generated/operations.js';
import type { Column } from './i18n.js';

type ChainData = NonNullable<MapChainQuery['chain']>;
type SegmentData = ChainData['segments'][number];
export type GapData = MapChainQuery['chainGaps']['gaps'][number];

export interface Named {
  readonly id: string;
  readonly name: string;
  readonly nameEn: string | null;
}

/** A segment of the chain on the map, with its standing in the region. */
export interface MapSegment extends Named {
  readonly stage: Stage;
  readonly parentId: string | null;
  /** Null only if the gap report left the segment out (it lists every segment, so this would be an API bug). */
  readonly gap: GapData | null;
}

/** A segment of another chain that this chain feeds or is fed by. */
export interface ExternalSegment extends Named {
  readonly stage: Stage;
  readonly chain: Named;
  /** INBOUND when it only feeds this chain; OUTBOUND when this chain feeds it (whether or not it also feeds back). */
  readonly column: 'INBOUND' | 'OUTBOUND';
}

export type LinkKind = 'feeds' | 'cross' | 'part';

export interface MapLink {
  readonly source: string;
  readonly target: string;
  readonly kind: LinkKind;
}

export interface MapModel {
  readonly chain: Named;
  readonly region: Named;
  readonly segments: readonly MapSegment[];
  readonly externals: readonly ExternalSegment[];
  readonly links: readonly MapLink[];
  readonly total: MapChainQuery['chainGaps']['total'];
}

export const STAGES: readonly Stage[] = ['UPSTREAM', 'MIDSTREAM', 'DOWNSTREAM'];
export const COLUMNS: readonly Column[] = ['INBOUND', 'UPSTREAM', 'MIDSTREAM', 'DOWNSTREAM', 'OUTBOUND'];
export const STATUSES: readonly GapStatus[] = ['MISSING', 'UNKNOWN', 'DEPENDENT', 'WEAK', 'COVERED'];

function named(value: { id: string; name: string; nameEn: string | null }): Named {
  return { id: value.id, name: value.name, nameEn: value.nameEn };
}

/**
 * Turns the MapChain answer into what the map draws: the chain's own segments, the other chains' segments linked to
 * them, and each link once (a link appears both in one segment's `feeds` and in the other's `fedBy`).
 */
export function buildModel(data: MapChainQuery): MapModel | null {
  const chain = data.chain;
  if (chain === null) return null;
  const gapsById = new Map(data.chainGaps.gaps.map((gap) => [gap.segment.id, gap]));
  const own = new Map<string, SegmentData>(chain.segments.map((segment) => [segment.id, segment]));

  const links = new Map<string, MapLink>();
  const addLink = (source: string, target: string, kind: LinkKind) => {
    const key = `${kind}:${source}->${target}`;
    if (!links.has(key)) links.set(key, { source, target, kind });
  };
  const inbound = new Map<string, ExternalSegment>();
  const outbound = new Map<string, ExternalSegment>();
  const external = (end: SegmentData['feeds'][number]['segment'], column: 'INBOUND' | 'OUTBOUND') => ({
    ...named(end),
    stage: end.stage,
    chain: named(end.chain),
    column,
  });

  for (const segment of chain.segments) {
    for (const { segment: target } of segment.feeds) {
      if (target.chain.id === chain.id) {
        // A link to a segment the sources filter left out has nothing to point at.
        if (own.has(target.id)) addLink(segment.id, target.id, 'feeds');
      } else {
        outbound.set(target.id, external(target, 'OUTBOUND'));
        addLink(segment.id, target.id, 'cross');
      }
    }
    for (const { segment: source } of segment.fedBy) {
      if (source.chain.id === chain.id) {
        if (own.has(source.id)) addLink(source.id, segment.id, 'feeds');
      } else {
        inbound.set(source.id, external(source, 'INBOUND'));
        addLink(source.id, segment.id, 'cross');
      }
    }
    if (segment.parent && own.has(segment.parent.id)) addLink(segment.parent.id, segment.id, 'part');
  }
  // One node per other-chain segment: one that is both fed and feeding sits with the segments this chain feeds.
  for (const id of outbound.keys()) inbound.delete(id);

  return {
    chain: named(chain),
    region: named(data.chainGaps.region),
    segments: chain.segments.map((segment) => ({
      ...named(segment),
      stage: segment.stage,
      parentId: segment.parent?.id ?? null,
      gap: gapsById.get(segment.id) ?? null,
    })),
    externals: [...inbound.values(), ...outbound.values()],
    links: [...links.values()],
    total: data.chainGaps.total,
  };
}
