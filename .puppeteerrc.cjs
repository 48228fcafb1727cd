// Puppeteer's own browser download cannot work here; simgate uses the system Chromium (see README).
module.exports = { skipDownload: true };
