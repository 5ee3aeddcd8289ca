// The console's map outlines (src/console/app/region-outlines.ts) are what bin/region-outlines.js
// makes from world-atlas's Natural Earth countries: the committed file can be made again, and it
// holds all seven countries of the region, Kosovo included, each a closed SVG path.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { OUTLINES_FILE, regionOutlinesSource } from '../../bin/region-outlines.js'
import { MAP_HEIGHT, MAP_WIDTH, OUTLINES } from '../../src/console/app/region-outlines.js'
import { WESTERN_BALKANS } from '../../src/protocol/codelists.js'

t.test('the map outlines are the script\'s, for the seven countries', async t => {
  t.equal(readFileSync(OUTLINES_FILE, 'utf8'), regionOutlinesSource(), 'the committed file is what node bin/region-outlines.js writes')
  t.same(OUTLINES.map(o => o.code).sort(), [...WESTERN_BALKANS].sort(), 'ALB, BIH, HRV, XKX (Kosovo), MNE, MKD, SRB')
  for (const o of OUTLINES) {
    t.match(o.d, /^(M[\d.]+,[\d.]+(L[\d.]+,[\d.]+)+Z)+$/, `${o.code}: closed rings only`)
    const xy = [...o.d.matchAll(/([\d.]+),([\d.]+)/g)].map(m => [Number(m[1]), Number(m[2])] as const)
    t.ok(xy.length >= 20 && xy.every(([x, y]) => x >= 0 && x <= MAP_WIDTH && y >= 0 && y <= MAP_HEIGHT), `${o.code}: ${xy.length} points inside the map`)
    t.ok(o.label[0] > 0 && o.label[0] < MAP_WIDTH && o.label[1] > 0 && o.label[1] < MAP_HEIGHT, `${o.code}: label inside the map`)
  }
})
