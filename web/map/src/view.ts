import cytoscape from 'cytoscape';
import cytoscapeDagre from 'cytoscape-dagre';
import cytoscapeSvg from 'cytoscape-svg';

import type { GapStatus } from '../../../src/graphql/generated/operations.js';
import { nameIn, STRINGS, type Column, type Lang } from './i18n.js';
import { COLUMNS, type ExternalSegment, type MapModel, type MapSegment } from './model.js';

cytoscape.use(cytoscapeDagre);
cytoscape.use(cytoscapeSvg);

/** System fonts only (nothing is fetched); Noto CJK first so Chinese labels render alike on Linux, where it ships. */
export const FONT_FAMILY = [
  '"Noto Sans CJK SC"',
  '"Noto Sans SC"',
  '"Source Han Sans SC"',
  '"PingFang SC"',
  '"Microsoft YaHei"',
  '"Helvetica Neue"',
  'Arial',
  'sans-serif',
].join(', ');

export const STATUS_COLOURS: Readonly<Record<GapStatus, { readonly fill: string; readonly border: string }>> =
  {
    MISSING: { fill: '#f26d64', border: '#a72c24' },
    // No recorded local firm where the firm data is not a census: not known to be missing (hatched grey-violet).
    UNKNOWN: { fill: '#c3b4e0', border: '#5e4a8c' },
    DEPENDENT: { fill: '#f7a65a', border: '#ad5a12' },
    WEAK: { fill: '#f4d55f', border: '#98790a' },
    COVERED: { fill: '#79c993', border: '#2a7443' },
  };
const UNKNOWN_COLOURS = { fill: '#cfd5dc', border: '#6b7580' };

const FONT_SIZE = 13;
const LINE_HEIGHT = 1.25;
const MAX_LABEL_WIDTH = 112;
const MAX_LABEL_LINES = 4;
const PAD_X = 12;
const PAD_Y = 9;
const BAND_PAD = 18;
const BAND_HEADER = 34;
const COLUMN_GAP = 110;
const LAYOUT_PASSES = 3;

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

type NodeKind = 'segment' | 'external' | 'badge' | 'band' | 'caption';

export interface NodeSummary {
  readonly id: string;
  readonly kind: 'segment' | 'external';
  /** The name shown, before it is wrapped into lines. */
  readonly label: string;
  readonly column: Column;
  readonly chainId: string;
  readonly status: GapStatus | null;
  readonly localEnterpriseCount: number | null;
  /** The node's fill as drawn, `rgb(r,g,b)`. */
  readonly color: string;
  readonly x: number;
  readonly y: number;
}

export interface EdgeSummary {
  readonly source: string;
  readonly target: string;
  readonly kind: string;
  readonly lineStyle: string;
}

export interface ViewHandlers {
  /** A segment or other-chain node was clicked. */
  onSelect(id: string): void;
}

/** Greedy line filling: as many tokens per line as fit in `limit`. */
function fillLines(tokens: readonly string[], limit: number, measure: (text: string) => number): string[] {
  const lines: string[] = [];
  let line = '';
  const push = () => {
    if (line.trim() !== '') lines.push(line.trim());
    line = '';
  };
  for (const token of tokens) {
    if (line !== '' && measure(line + token) > limit) push();
    if (line === '' && token.trim() === '') continue;
    if (measure(token) > limit) {
      // A word longer than a line is cut between characters rather than overflowing the node.
      for (const char of token) {
        if (line !== '' && measure(line + char) > limit) push();
        line += char;
      }
    } else {
      line += token;
    }
  }
  push();
  return lines;
}

/**
 * Cuts a label into lines no wider than `maxWidth`: at spaces, hyphens and slashes in Latin text, between
 * characters in Chinese. Lines are balanced (the narrowest width giving as few lines), so a name does not end in a
 * lone character on a line of its own.
 */
export function wrapLabel(text: string, maxWidth: number, measure: (text: string) => number): string[] {
  // Latin words (split after a hyphen or slash too), runs of spaces, or single CJK characters.
  const tokens = text.match(/\s+|[^\s\u2e80-\u9fff\u3000-\u303f\uff00-\uffef/-]+[/-]?|./gu) ?? [];
  let lines = fillLines(tokens, maxWidth, measure);
  if (lines.length > 1) {
    // Never narrower than the widest word, or balancing would cut words that fit whole.
    const widestWord = Math.max(...tokens.map((token) => Math.min(measure(token.trim()), maxWidth)));
    for (let limit = Math.max(measure(text) / lines.length, widestWord); limit < maxWidth; limit += 4) {
      const balanced = fillLines(tokens, limit, measure);
      if (balanced.length <= lines.length) {
        lines = balanced;
        break;
      }
    }
  }
  if (lines.length > MAX_LABEL_LINES) {
    const kept = lines.slice(0, MAX_LABEL_LINES);
    kept[MAX_LABEL_LINES - 1] = `${kept[MAX_LABEL_LINES - 1] ?? ''}…`;
    return kept;
  }
  return lines;
}

function stylesheet(): cytoscape.StylesheetJson {
  return [
    {
      selector: 'node',
      style: {
        'font-family': FONT_FAMILY,
        'font-size': FONT_SIZE,
        'line-height': LINE_HEIGHT,
        'text-wrap': 'wrap',
        // Labels arrive already cut into lines (wrapLabel); cytoscape only honours the line breaks.
        'text-max-width': '1000px',
        'text-valign': 'center',
        'text-halign': 'center',
        label: 'data(label)',
        color: '#15191e',
      },
    },
    {
      selector: 'node[kind = "segment"], node[kind = "external"]',
      style: {
        shape: 'round-rectangle',
        width: 'data(w)',
        height: 'data(h)',
        'background-color': 'data(fill)',
        'border-color': 'data(border)',
        'border-width': 1.5,
        'font-weight': 500,
      },
    },
    {
      selector: 'node[kind = "external"]',
      style: {
        'border-style': 'dashed',
        'border-width': 1.5,
        'background-opacity': 0.9,
        color: '#56606b',
        'font-size': FONT_SIZE - 1,
        'font-weight': 400,
      },
    },
    {
      selector: 'node[kind = "badge"]',
      style: {
        shape: 'round-rectangle',
        width: 'data(w)',
        height: 20,
        'background-color': '#23303b',
        'border-color': '#ffffff',
        'border-width': 1.5,
        color: '#ffffff',
        'font-size': 11,
        'font-weight': 700,
        events: 'no',
      },
    },
    {
      selector: 'node[kind = "band"]',
      style: {
        shape: 'round-rectangle',
        width: 'data(w)',
        height: 'data(h)',
        'background-color': 'data(fill)',
        'border-width': 0,
        'text-valign': 'top',
        'text-margin-y': BAND_HEADER - 6,
        'text-max-width': (band: cytoscape.NodeSingular) => `${(band.data('w') as number) - 8}px`,
        'font-size': 15,
        'font-weight': 700,
        color: '#3d4753',
        'z-compound-depth': 'bottom',
        events: 'no',
      },
    },
    {
      selector: 'node[kind = "caption"]',
      style: {
        width: 1,
        height: 1,
        'background-opacity': 0,
        'border-width': 0,
        'text-halign': 'right',
        'text-wrap': 'none',
        'font-size': 18,
        'font-weight': 700,
        color: '#15191e',
        events: 'no',
      },
    },
    {
      selector: 'edge',
      style: {
        width: 1.4,
        'line-color': '#7a8694',
        'target-arrow-color': '#7a8694',
        'target-arrow-shape': 'triangle',
        'arrow-scale': 0.8,
        'curve-style': 'bezier',
        opacity: 0.8,
      },
    },
    {
      selector: 'edge[kind = "cross"]',
      style: {
        'line-style': 'dashed',
        'line-dash-pattern': [6, 4],
        'line-color': '#7c5cc4',
        'target-arrow-color': '#7c5cc4',
      },
    },
    {
      selector: 'edge[kind = "part"]',
      style: {
        'line-style': 'dotted',
        'line-color': '#a9b2bd',
        'target-arrow-shape': 'none',
        'source-arrow-shape': 'diamond',
        'source-arrow-color': '#a9b2bd',
        width: 1.2,
        opacity: 0.9,
      },
    },
    { selector: '.faded', style: { opacity: 0.18 } },
    {
      selector: 'node.chosen',
      style: { 'border-width': 4, 'border-color': '#1d4ed8', 'border-style': 'solid' },
    },
    {
      selector: 'edge.lit',
      style: { opacity: 1, width: 2.4 },
    },
  ];
}

function columnLabel(lang: Lang, column: Column): string {
  return STRINGS[lang].columns[column];
}

function bandFill(column: Column): string {
  return column === 'INBOUND' || column === 'OUTBOUND' ? '#f4f1fa' : '#eef2f6';
}

/** The map: a cytoscape graph laid out by dagre with each stage in a column of its own. */
export class ChainMapView {
  readonly cy: cytoscape.Core;
  private model: MapModel | null = null;
  private lang: Lang = 'zh';
  private chosen: string | null = null;
  private illustrativeShown = false;
  private readonly measureContext: CanvasRenderingContext2D | null;

  constructor(
    readonly container: HTMLElement,
    handlers: ViewHandlers,
  ) {
    this.cy = cytoscape({
      container,
      style: stylesheet(),
      // The layout is the message (stages as columns), so nodes are not draggable out of it.
      autoungrabify: true,
      autounselectify: true,
      boxSelectionEnabled: false,
      minZoom: 0.15,
      maxZoom: 3,
    });
    this.measureContext = document.createElement('canvas').getContext('2d');
    this.cy.on('tap', 'node[kind = "segment"], node[kind = "external"]', (event) => {
      handlers.onSelect((event.target as cytoscape.NodeSingular).id());
    });
    this.cy.on('mouseover', 'node[kind = "segment"], node[kind = "external"]', () => {
      container.style.cursor = 'pointer';
    });
    this.cy.on('mouseout', 'node', () => {
      container.style.cursor = '';
    });
    new ResizeObserver(() => {
      this.cy.resize();
      this.fit();
    }).observe(container);
  }

  private measure(text: string, weight: number, size: number): number {
    if (!this.measureContext) return text.length * size;
    this.measureContext.font = `${weight} ${size}px ${FONT_FAMILY}`;
    return this.measureContext.measureText(text).width;
  }

  private box(lines: readonly string[], weight: number, size: number): { w: number; h: number } {
    const widest = Math.max(0, ...lines.map((line) => this.measure(line, weight, size)));
    return {
      w: Math.max(72, Math.ceil(widest) + 2 * PAD_X),
      h: Math.ceil(lines.length * size * LINE_HEIGHT) + 2 * PAD_Y,
    };
  }

  private segmentNode(segment: MapSegment): cytoscape.ElementDefinition {
    const lines = wrapLabel(nameIn(this.lang, segment), MAX_LABEL_WIDTH, (text) =>
      this.measure(text, 500, FONT_SIZE),
    );
    const colours = segment.gap ? STATUS_COLOURS[segment.gap.status] : UNKNOWN_COLOURS;
    return {
      group: 'nodes',
      data: {
        id: segment.id,
        kind: 'segment' satisfies NodeKind,
        column: segment.stage,
        label: lines.join('\n'),
        text: nameIn(this.lang, segment),
        status: segment.gap?.status ?? null,
        count: segment.gap?.localEnterpriseCount ?? null,
        fill: colours.fill,
        border: colours.border,
        ...this.box(lines, 500, FONT_SIZE),
      },
    };
  }

  private externalNode(segment: ExternalSegment): cytoscape.ElementDefinition {
    const size = FONT_SIZE - 1;
    const lines = [
      ...wrapLabel(nameIn(this.lang, segment), MAX_LABEL_WIDTH, (text) => this.measure(text, 400, size)),
      `〔${nameIn(this.lang, segment.chain)}〕`,
    ];
    return {
      group: 'nodes',
      data: {
        id: segment.id,
        kind: 'external' satisfies NodeKind,
        column: segment.column,
        chainId: segment.chain.id,
        label: lines.join('\n'),
        text: nameIn(this.lang, segment),
        fill: '#f3f4f6',
        border: '#8d96a1',
        ...this.box(lines, 400, size),
      },
    };
  }

  /** Draws the model in the language given, replacing whatever was drawn. */
  render(model: MapModel, lang: Lang, illustrativeShown: boolean): void {
    this.model = model;
    this.lang = lang;
    this.illustrativeShown = illustrativeShown;
    const cy = this.cy;
    cy.batch(() => {
      cy.elements().remove();
      cy.add([
        ...model.segments.map((segment) => this.segmentNode(segment)),
        ...model.externals.map((segment) => this.externalNode(segment)),
        ...model.links.map((link): cytoscape.ElementDefinition => ({
          group: 'edges',
          data: {
            id: `${link.kind}:${link.source}->${link.target}`,
            source: link.source,
            target: link.target,
            kind: link.kind,
          },
        })),
      ]);
    });
    this.layout();
    this.decorate();
    this.applyChosen();
    this.fit();
  }

  /** Re-renders the same data in another language (labels change size, so the layout is redone). */
  setLanguage(lang: Lang): void {
    if (this.model) this.render(this.model, lang, this.illustrativeShown);
    else this.lang = lang;
  }

  private nodesByColumn(): Map<Column, cytoscape.NodeCollection> {
    const byColumn = new Map<Column, cytoscape.NodeCollection>();
    for (const column of COLUMNS) {
      const nodes = this.cy.nodes(
        `[column = "${column}"][kind = "segment"], [column = "${column}"][kind = "external"]`,
      );
      if (nodes.nonempty()) byColumn.set(column, nodes);
    }
    return byColumn;
  }

  /**
   * Each column (the chain's stages, framed by the other chains) gets a layered dagre layout of its own, left to
   * right along the links inside it (supply flow and the segment hierarchy), and the columns are then set side by
   * side, so the stages are always visible columns. Links between columns do not take part in dagre's ranking —
   * they would pull segments out of their stage — but they decide the order: every pass re-sorts each column by
   * where its neighbours in the other columns sit (the barycentre heuristic), which dagre keeps as its initial order.
   */
  private layout(): void {
    const byColumn = [...this.nodesByColumn().values()];
    const placed = new Map<string, number>();
    const barycentre = (node: cytoscape.NodeSingular): number | null => {
      let sum = 0;
      let count = 0;
      for (const other of node.neighborhood('node')) {
        const y = placed.get(other.id());
        if (y === undefined || other.data('column') === node.data('column')) continue;
        sum += y;
        count += 1;
      }
      return count === 0 ? null : sum / count;
    };
    for (let pass = 0; pass < LAYOUT_PASSES; pass += 1) {
      let left = 0;
      for (const nodes of byColumn) {
        const order = new Map<string, number>();
        const previous = new Map(nodes.map((node) => [node.id(), placed.get(node.id()) ?? null]));
        for (const node of nodes) order.set(node.id(), barycentre(node) ?? previous.get(node.id()) ?? 0);
        const options: cytoscapeDagre.DagreLayoutOptions = {
          name: 'dagre',
          rankDir: 'LR',
          nodeSep: 10,
          rankSep: 28,
          fit: false,
          animate: false,
          // Dagre keeps the insertion order where links inside the column do not decide it; ties go by id so the
          // same data always draws the same map.
          sort: (a, b) =>
            a.isNode() && b.isNode()
              ? (order.get(a.id()) ?? 0) - (order.get(b.id()) ?? 0) || compareIds(a.id(), b.id())
              : compareIds(a.id(), b.id()),
        };
        nodes.union(nodes.edgesWith(nodes)).layout(options).run();
        const box = nodes.boundingBox({ includeLabels: false, includeOverlays: false });
        nodes.shift({ x: left - box.x1, y: -(box.y1 + box.y2) / 2 });
        left += box.w + COLUMN_GAP;
        for (const node of nodes) placed.set(node.id(), node.position('y'));
      }
    }
  }

  /** Adds what is not part of the graph itself: the stage columns' backgrounds, the firm-count badges, a caption. */
  private decorate(): void {
    const cy = this.cy;
    const model = this.model;
    if (!model) return;
    const byColumn = this.nodesByColumn();
    if (byColumn.size === 0) return;
    const all = cy.nodes('[kind = "segment"], [kind = "external"]');
    const extent = all.boundingBox({ includeLabels: false, includeOverlays: false });
    const top = extent.y1 - BAND_PAD - BAND_HEADER;
    const bottom = extent.y2 + BAND_PAD;
    const decorations: cytoscape.ElementDefinition[] = [];
    for (const [column, nodes] of byColumn) {
      const box = nodes.boundingBox({ includeLabels: false, includeOverlays: false });
      decorations.push({
        group: 'nodes',
        data: {
          id: `band:${column}`,
          kind: 'band' satisfies NodeKind,
          label: columnLabel(this.lang, column),
          fill: bandFill(column),
          w: box.w + 2 * BAND_PAD,
          h: bottom - top,
        },
        position: { x: (box.x1 + box.x2) / 2, y: (top + bottom) / 2 },
      });
    }
    for (const node of cy.nodes('[kind = "segment"]')) {
      const count = node.data('count') as number | null;
      if (count === null) continue;
      const label = String(count);
      const position = node.position();
      decorations.push({
        group: 'nodes',
        data: { id: `badge:${node.id()}`, kind: 'badge' satisfies NodeKind, label, w: 12 + 7 * label.length },
        position: {
          x: position.x + (node.data('w') as number) / 2 - 6,
          y: position.y - (node.data('h') as number) / 2 - 2,
        },
      });
    }
    const firstBand = Math.min(...[...byColumn.values()].map((nodes) => nodes.boundingBox({}).x1)) - BAND_PAD;
    decorations.push({
      group: 'nodes',
      data: {
        id: 'caption',
        kind: 'caption' satisfies NodeKind,
        label: STRINGS[this.lang].caption(
          nameIn(this.lang, model.chain),
          nameIn(this.lang, model.region),
          this.illustrativeShown,
        ),
      },
      position: { x: firstBand, y: top - 22 },
    });
    cy.add(decorations);
  }

  fit(): void {
    const graph = this.cy.nodes('[kind = "band"], [kind = "caption"]');
    if (graph.nonempty()) this.cy.fit(graph, 16);
  }

  clear(): void {
    this.model = null;
    this.chosen = null;
    this.cy.elements().remove();
  }

  /** Highlights a node and its links (null clears). */
  choose(id: string | null): void {
    this.chosen = id;
    this.applyChosen();
  }

  private applyChosen(): void {
    const cy = this.cy;
    cy.batch(() => {
      cy.elements().removeClass('faded chosen lit');
      if (this.chosen === null) return;
      const node = cy.getElementById(this.chosen);
      if (node.empty()) return;
      const links = node.connectedEdges();
      const near = node.union(links).union(links.connectedNodes());
      let kept = near.union(cy.nodes('[kind = "band"], [kind = "caption"]'));
      for (const other of near.nodes()) kept = kept.union(cy.getElementById(`badge:${other.id()}`));
      cy.elements().not(kept).addClass('faded');
      node.addClass('chosen');
      links.addClass('lit');
    });
  }

  hasNode(id: string): boolean {
    return this.cy.getElementById(id).nonempty();
  }

  /** What is drawn, for tests and for the accessible summary. */
  summary(): { nodes: NodeSummary[]; edges: EdgeSummary[] } {
    const nodes = this.cy.nodes('[kind = "segment"], [kind = "external"]').map((node): NodeSummary => {
      const kind = node.data('kind') as 'segment' | 'external';
      return {
        id: node.id(),
        kind,
        label: node.data('text') as string,
        column: node.data('column') as Column,
        chainId: kind === 'segment' ? (this.model?.chain.id ?? '') : (node.data('chainId') as string),
        status: (node.data('status') as GapStatus | null | undefined) ?? null,
        localEnterpriseCount: (node.data('count') as number | null | undefined) ?? null,
        color: String(node.style('background-color')),
        x: node.position('x'),
        y: node.position('y'),
      };
    });
    const edges = this.cy.edges().map((edge): EdgeSummary => ({
      source: edge.source().id(),
      target: edge.target().id(),
      kind: edge.data('kind') as string,
      lineStyle: String(edge.style('line-style')),
    }));
    return { nodes, edges };
  }

  /** Where a node is on the page, in CSS pixels, so a test can click it like a person would. */
  clientPoint(id: string): { x: number; y: number } | null {
    const node = this.cy.getElementById(id);
    if (node.empty()) return null;
    const rect = this.container.getBoundingClientRect();
    const point = node.renderedPosition();
    return { x: rect.left + point.x, y: rect.top + point.y };
  }

  png(): Blob {
    return this.cy.png({ output: 'blob', full: true, scale: 2, bg: '#ffffff' });
  }

  svg(): string {
    // cytoscape-svg adds cy.svg(); it has no type declarations of its own.
    const core = this.cy as cytoscape.Core & {
      svg(options: { full?: boolean; scale?: number; bg?: string }): string;
    };
    return core.svg({ full: true, scale: 1, bg: '#ffffff' });
  }
}
