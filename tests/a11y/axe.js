// node axe.js PAGE.html WIDTHxHEIGHT
// Runs axe-core (WCAG 2.x A/AA rules) on a local page in headless Chromium, once with the light
// and once with the dark colour scheme, and prints one JSON object:
// {"light": {"critical": [...rule ids], "serious": [...], ...}, "dark": {...}}.
// Needs puppeteer-core and axe-core on NODE_PATH and the browser in CHROME.
const fs = require('fs');
const path = require('path');
const puppeteer = require('puppeteer-core');

const [page, viewport = '1280x900'] = process.argv.slice(2);
const [width, height] = viewport.split('x').map(Number);
const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

(async () => {
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROME,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const report = {};
  try {
    const tab = await browser.newPage();
    await tab.setViewport({ width, height, isMobile: width < 600 });
    const axe = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
    for (const scheme of ['light', 'dark']) {
      await tab.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]);
      await tab.goto('file://' + path.resolve(page), { waitUntil: 'load' });
      await tab.evaluate(axe);
      const result = await tab.evaluate(
        (tags) => axe.run(document, { runOnly: { type: 'tag', values: tags } }),
        tags,
      );
      const byImpact = {};
      for (const v of result.violations) {
        (byImpact[v.impact] = byImpact[v.impact] || []).push(`${v.id} (${v.nodes.length})`);
      }
      report[scheme] = byImpact;
    }
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(report));
})().catch((e) => {
  console.error(e);
  process.exit(2);
});
