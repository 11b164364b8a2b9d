import { contactProperties } from '../data/contact.js';
import { NodeLabel, RelationshipType } from '../data/model.js';
import type { NodeBatch, Properties, RelationshipBatch } from '../data/upsert.js';
import type { SeedProvenance } from './schemas.js';
import type { SeedData } from './validate.js';

/**
 * Turns validated seed data into node and relationship batches. Pure: no I/O. Every node and relationship gets
 * the provenance properties `source`, `section` and `note`; a link without its own provenance takes its record's.
 */

function provenance(value: SeedProvenance): Properties {
  return { source: value.source, section: value.section, note: value.note };
}

type Link = { from: string; to: string; properties: Properties };

class Batches {
  readonly nodes = new Map<NodeLabel, Properties[]>();
  readonly relationships = new Map<
    string,
    { type: RelationshipType; from: NodeLabel; to: NodeLabel; rows: Link[] }
  >();

  node(label: NodeLabel, properties: Properties): void {
    const rows = this.nodes.get(label) ?? [];
    rows.push(properties);
    this.nodes.set(label, rows);
  }

  link(
    from: NodeLabel,
    type: RelationshipType,
    to: NodeLabel,
    fromId: string,
    toId: string,
    origin: SeedProvenance,
    extra: Properties = {},
  ): void {
    const key = `${from}|${type}|${to}`;
    const batch = this.relationships.get(key) ?? { type, from, to, rows: [] };
    batch.rows.push({ from: fromId, to: toId, properties: { ...extra, ...provenance(origin) } });
    this.relationships.set(key, batch);
  }

  result(): { nodes: NodeBatch[]; relationships: RelationshipBatch[] } {
    return {
      nodes: [...this.nodes].map(([label, rows]) => ({ label, rows })),
      relationships: [...this.relationships.values()],
    };
  }
}

export function seedBatches(data: SeedData): { nodes: NodeBatch[]; relationships: RelationshipBatch[] } {
  const batches = new Batches();
  const { Region, Industry, IndustrialChain, ChainSegment, Enterprise, Platform } = NodeLabel;
  const { DemonstrationBase, Programme, ProgrammeField, Project, Policy, PolicyMeasure, Target } = NodeLabel;
  const R = RelationshipType;

  for (const { value: region } of data.regions) {
    batches.node(Region, {
      id: region.id,
      name: region.name,
      nameEn: region.nameEn,
      level: region.level,
      lat: region.coordinates?.lat,
      lon: region.coordinates?.lon,
      ...provenance(region.provenance),
    });
    if (region.parentId)
      batches.link(Region, R.PART_OF, Region, region.id, region.parentId, region.provenance);
  }

  for (const { value: industry } of data.industries) {
    batches.node(Industry, {
      id: industry.id,
      name: industry.name,
      nameEn: industry.nameEn,
      tier: industry.tier,
      specialAction: industry.specialAction ?? false,
      ...provenance(industry.provenance),
    });
  }

  for (const { value: chain } of data.chains) {
    batches.node(IndustrialChain, {
      id: chain.id,
      name: chain.name,
      nameEn: chain.nameEn,
      description: chain.description,
      ...provenance(chain.provenance),
    });
    for (const industryId of chain.industryIds) {
      batches.link(IndustrialChain, R.BELONGS_TO, Industry, chain.id, industryId, chain.provenance);
    }
  }

  for (const { value: segment } of data.segments) {
    batches.node(ChainSegment, {
      id: segment.id,
      chainId: segment.chainId,
      name: segment.name,
      nameEn: segment.nameEn,
      stage: segment.stage,
      description: segment.description,
      ...provenance(segment.provenance),
    });
    batches.link(ChainSegment, R.IN_CHAIN, IndustrialChain, segment.id, segment.chainId, segment.provenance);
    if (segment.parentId) {
      batches.link(
        ChainSegment,
        R.SUBSEGMENT_OF,
        ChainSegment,
        segment.id,
        segment.parentId,
        segment.provenance,
      );
    }
    for (const link of segment.feeds) {
      const [target, origin] =
        typeof link === 'string'
          ? [link, segment.provenance]
          : [link.segmentId, link.provenance ?? segment.provenance];
      batches.link(ChainSegment, R.FEEDS, ChainSegment, segment.id, target, origin);
    }
  }

  for (const { value: enterprise } of data.enterprises) {
    batches.node(Enterprise, {
      id: enterprise.id,
      name: enterprise.name,
      nameEn: enterprise.nameEn,
      sizeBand: enterprise.sizeBand,
      highTech: enterprise.flags.highTech,
      leading: enterprise.flags.leading,
      listed: enterprise.flags.listed,
      specialised: enterprise.flags.specialised,
      creditCode: enterprise.creditCode,
      description: enterprise.description,
      regionId: enterprise.regionId,
      ...contactProperties(enterprise.contact),
      ...provenance(enterprise.provenance),
    });
    batches.link(Enterprise, R.LOCATED_IN, Region, enterprise.id, enterprise.regionId, enterprise.provenance);
    for (const operation of enterprise.segments) {
      batches.link(
        Enterprise,
        R.OPERATES_IN,
        ChainSegment,
        enterprise.id,
        operation.segmentId,
        operation.provenance ?? enterprise.provenance,
        { role: operation.role, mainProducts: operation.mainProducts },
      );
    }
    for (const supply of enterprise.supplies) {
      batches.link(
        Enterprise,
        R.SUPPLIES,
        Enterprise,
        enterprise.id,
        supply.enterpriseId,
        supply.provenance ?? enterprise.provenance,
        { products: supply.products },
      );
    }
  }

  for (const { value: platform } of data.platforms) {
    batches.node(Platform, {
      id: platform.id,
      name: platform.name,
      nameEn: platform.nameEn,
      kind: platform.kind,
      level: platform.level,
      hostOrganisation: platform.hostOrganisation,
      regionId: platform.regionId,
      ...provenance(platform.provenance),
    });
    batches.link(Platform, R.LOCATED_IN, Region, platform.id, platform.regionId, platform.provenance);
    if (platform.hostEnterpriseId) {
      batches.link(
        Platform,
        R.HOSTED_BY,
        Enterprise,
        platform.id,
        platform.hostEnterpriseId,
        platform.provenance,
      );
    }
    for (const segmentId of platform.supportsSegmentIds) {
      batches.link(Platform, R.SUPPORTS, ChainSegment, platform.id, segmentId, platform.provenance);
    }
    for (const industryId of platform.supportsIndustryIds) {
      batches.link(Platform, R.SUPPORTS, Industry, platform.id, industryId, platform.provenance);
    }
  }

  for (const { value: base } of data.bases) {
    batches.node(DemonstrationBase, {
      id: base.id,
      name: base.name,
      nameEn: base.nameEn,
      kind: base.kind,
      status: base.status,
      ...provenance(base.provenance),
    });
    if (base.regionId)
      batches.link(DemonstrationBase, R.LOCATED_IN, Region, base.id, base.regionId, base.provenance);
    for (const industryId of base.focusIndustryIds) {
      batches.link(DemonstrationBase, R.FOCUSES_ON, Industry, base.id, industryId, base.provenance);
    }
  }

  for (const { value: programme } of data.programmes) {
    batches.node(Programme, {
      id: programme.id,
      number: programme.number,
      name: programme.name,
      nameEn: programme.nameEn,
      description: programme.description,
      // Quantities are structured but never filtered on in Cypher, so they are stored as JSON text.
      quantitiesJson: JSON.stringify(programme.quantities),
      ...provenance(programme.provenance),
    });
    for (const chainId of programme.chainIds) {
      batches.link(Programme, R.COVERS, IndustrialChain, programme.id, chainId, programme.provenance);
    }
    for (const industryId of programme.industryIds) {
      batches.link(Programme, R.COVERS, Industry, programme.id, industryId, programme.provenance);
    }
    for (const field of programme.fields) {
      const origin = field.provenance ?? programme.provenance;
      batches.node(ProgrammeField, {
        id: field.id,
        name: field.name,
        nameEn: field.nameEn,
        kind: field.kind,
        ...provenance(origin),
      });
      batches.link(Programme, R.HAS_FIELD, ProgrammeField, programme.id, field.id, origin);
    }
    for (const project of programme.projects) {
      const origin = project.provenance ?? programme.provenance;
      batches.node(Project, {
        id: project.id,
        name: project.name,
        nameEn: project.nameEn,
        ...provenance(origin),
      });
      batches.link(Project, R.UNDER_PROGRAMME, Programme, project.id, programme.id, origin);
      for (const enterpriseId of project.enterpriseIds) {
        batches.link(Enterprise, R.UNDERTAKES, Project, enterpriseId, project.id, origin);
      }
      for (const segmentId of project.segmentIds) {
        batches.link(Project, R.IN_SEGMENT, ChainSegment, project.id, segmentId, origin);
      }
    }
  }

  for (const { value: policy } of data.policies) {
    batches.node(Policy, {
      id: policy.id,
      name: policy.title,
      nameEn: policy.titleEn,
      issuer: policy.issuer,
      period: policy.period,
      ...provenance(policy.provenance),
    });
    if (policy.regionId)
      batches.link(Policy, R.FOR_REGION, Region, policy.id, policy.regionId, policy.provenance);
    for (const measure of policy.measures) {
      const origin = measure.provenance ?? policy.provenance;
      batches.node(PolicyMeasure, {
        id: measure.id,
        number: measure.number,
        name: measure.title,
        nameEn: measure.titleEn,
        description: measure.terms.map((term) => term.text).join('；'),
        termsJson: JSON.stringify(measure.terms),
        ...provenance(origin),
      });
      batches.link(Policy, R.HAS_MEASURE, PolicyMeasure, policy.id, measure.id, origin);
      const targets: [NodeLabel, readonly string[]][] = [
        [Industry, measure.appliesTo.industryIds],
        [IndustrialChain, measure.appliesTo.chainIds],
        [ChainSegment, measure.appliesTo.segmentIds],
        [Programme, measure.appliesTo.programmeIds],
      ];
      for (const [label, ids] of targets) {
        for (const id of ids) batches.link(PolicyMeasure, R.APPLIES_TO, label, measure.id, id, origin);
      }
    }
  }

  for (const { value: target } of data.targets) {
    batches.node(Target, {
      id: target.id,
      name: target.name,
      nameEn: target.nameEn,
      value: target.value,
      valueMax: target.valueMax,
      unit: target.unit,
      comparator: target.comparator,
      period: target.period,
      metric: target.metric,
      ...provenance(target.provenance),
    });
    if (target.programmeId) {
      batches.link(Target, R.OF_PROGRAMME, Programme, target.id, target.programmeId, target.provenance);
    }
    if (target.policyId)
      batches.link(Target, R.SET_BY, Policy, target.id, target.policyId, target.provenance);
  }

  return batches.result();
}
