// The outlines of the Western Balkan region for the console's map (src/console/app/
// region-outlines.ts), made from Natural Earth's 1:50m admin-0 countries (public domain) as
// the npm package world-atlas 2 ships them (TopoJSON, ISC licence), read with topojson-client.
// The file is committed, so building the console needs neither package; a test checks that
// it is what this script makes.
//
//   node bin/region-outlines.js      writes src/console/app/region-outlines.ts
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { feature } from 'topojson-client'
import { ROOT } from './stamp.js'

export const OUTLINES_FILE = join(ROOT, 'src', 'console', 'app', 'region-outlines.ts')

/** The region's countries by their name in Natural Earth (Kosovo has no ISO numeric id there, so names are used). */
const COUNTRIES = {
  ALB: 'Albania',
  BIH: 'Bosnia and Herz.',
  HRV: 'Croatia',
  XKX: 'Kosovo',
  MKD: 'Macedonia',
  MNE: 'Montenegro',
  SRB: 'Serbia',
}

/** Map width in SVG units; the height follows from the region's shape. */
const WIDTH = 600

/** The TypeScript source of region-outlines.ts. */
export function regionOutlinesSource () {
  const require = createRequire(import.meta.url)
  const atlasFile = require.resolve('world-atlas/countries-50m.json')
  const version = JSON.parse(readFileSync(require.resolve('world-atlas/package.json'), 'utf8')).version
  const topology = JSON.parse(readFileSync(atlasFile, 'utf8'))
  const all = feature(topology, topology.objects.countries).features
  const features = Object.entries(COUNTRIES).map(([code, name]) => {
    const f = all.find(x => x.properties.name === name)
    if (f === undefined) throw new Error(`world-atlas ${version} has no country named ${JSON.stringify(name)} (${code})`)
    return { code, polygons: f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates }
  })
  // Equirectangular, longitudes shrunk by the cosine of the region's middle latitude.
  const points = features.flatMap(f => f.polygons.flat(2))
  const [west, east] = [Math.min(...points.map(p => p[0])), Math.max(...points.map(p => p[0]))]
  const [south, north] = [Math.min(...points.map(p => p[1])), Math.max(...points.map(p => p[1]))]
  const shrink = Math.cos(((north + south) / 2) * Math.PI / 180)
  const scale = WIDTH / ((east - west) * shrink)
  const height = Math.ceil((north - south) * scale)
  const xy = ([lon, lat]) => [Math.round((lon - west) * shrink * scale * 10) / 10, Math.round((north - lat) * scale * 10) / 10]
  const outlines = features.map(f => {
    let d = ''
    let biggest = { area: -1, ring: [] }
    for (const polygon of f.polygons) {
      for (const ring of polygon) {
        const projected = ring.map(xy).filter((p, i, a) => i === 0 || p[0] !== a[i - 1][0] || p[1] !== a[i - 1][1])
        d += `M${projected.map(p => `${p[0]},${p[1]}`).join('L')}Z`
        let area = 0
        for (let i = 0; i < projected.length; i++) {
          const [a, b] = [projected[i], projected[(i + 1) % projected.length]]
          area += a[0] * b[1] - b[0] * a[1]
        }
        if (Math.abs(area) > biggest.area) biggest = { area: Math.abs(area), ring: projected }
      }
    }
    // The label at the point of the largest ring farthest from its edge (on a grid: Croatia's
    // crescent has its bounding box's middle in Bosnia and Herzegovina).
    const ring = biggest.ring
    const xs = ring.map(p => p[0])
    const ys = ring.map(p => p[1])
    let label = [0, 0]
    let best = -1
    for (let i = 1; i < 60; i++) {
      for (let j = 1; j < 60; j++) {
        const x = Math.min(...xs) + (Math.max(...xs) - Math.min(...xs)) * i / 60
        const y = Math.min(...ys) + (Math.max(...ys) - Math.min(...ys)) * j / 60
        if (!inside(x, y, ring)) continue
        const edge = Math.min(...ring.map((p, k) => segmentDistance(x, y, p, ring[(k + 1) % ring.length])))
        if (edge > best) {
          best = edge
          label = [Math.round(x), Math.round(y)]
        }
      }
    }
    return { code: f.code, label, d }
  })
  return [
    '// Made by bin/region-outlines.js (node bin/region-outlines.js): do not edit by hand.',
    `// Source: Natural Earth 1:50m admin-0 countries (public domain), as world-atlas ${version}`,
    '// ships them (countries-50m.json; packaging under the ISC licence), read with topojson-client.',
    `// Equirectangular projection, longitudes scaled by cos(${((north + south) / 2).toFixed(2)}°); ${f4(west)}..${f4(east)}°E, ${f4(south)}..${f4(north)}°N.`,
    '',
    `export const MAP_WIDTH = ${WIDTH}`,
    `export const MAP_HEIGHT = ${height}`,
    '',
    '/** Each country: its outline (an SVG path) and where its label goes. */',
    'export const OUTLINES: ReadonlyArray<{ code: string, label: readonly [number, number], d: string }> = [',
    ...outlines.map(o => `  { code: '${o.code}', label: [${o.label[0]}, ${o.label[1]}], d: '${o.d}' },`),
    ']',
    '',
  ].join('\n')
}

function inside (x, y, ring) {
  let odd = false
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]
    const [xj, yj] = ring[j]
    if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) odd = !odd
  }
  return odd
}

function segmentDistance (x, y, [ax, ay], [bx, by]) {
  const dx = bx - ax
  const dy = by - ay
  const t = dx === 0 && dy === 0 ? 0 : Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
  return Math.hypot(x - ax - t * dx, y - ay - t * dy)
}

function f4 (x) {
  return x.toFixed(2)
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  writeFileSync(OUTLINES_FILE, regionOutlinesSource())
  console.log(`written ${OUTLINES_FILE}`)
}
