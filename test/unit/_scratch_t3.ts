import PostalMime = require('postal-mime');
(async () => {
const hdr = 'From: a@b.c\r\nSubject: big\r\nContent-Type: text/plain\r\n\r\n';
for (const n of [200000, 500000, 1000000]) {
  const raw = Buffer.concat([Buffer.from(hdr), Buffer.alloc(n * 3, 'a\r\n')]);
  const t = Date.now(); const e = await PostalMime.parse(raw); console.log('lines', n, Date.now() - t, 'ms', e.text?.length, process.memoryUsage().heapUsed >> 20, 'MB');
}
const b64 = Buffer.alloc(25 * 1024 * 1024 * 3 / 4, 7).toString('base64').replace(/.{76}/g, '$&\r\n');
const raw = Buffer.from('From: a@b.c\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n' + b64 + '\r\n--x--\r\n');
let t = Date.now(); const e = await PostalMime.parse(raw); console.log('25MB b64', raw.length, Date.now() - t, 'ms', e.attachments[0].content);
const big = Buffer.concat([Buffer.from('From: a@b.c\r\nContent-Type: text/html\r\n\r\n'), Buffer.alloc(25 * 1024 * 1024, '<b>')]);
t = Date.now(); const e2 = await PostalMime.parse(big); console.log('25MB one line', Date.now() - t, 'ms', e2.html?.length);
})();
