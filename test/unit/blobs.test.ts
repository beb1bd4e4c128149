import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BlobStore } from '../../src/core/store/blobs';

describe('blob store: a fetched body is on disk for good before its hash is handed back', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maildesk-blobs-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('putAsync fdatasyncs the written bytes before the rename that names them, and the hash reads them back', async () => {
    const events: string[] = [];
    const open = fs.promises.open;
    const rename = fs.promises.rename;
    // Records what the store does with each file handle, in order (the calls themselves still run).
    fs.promises.open = (async (...args: Parameters<typeof open>) => {
      const fh = await open(...args);
      const datasync = fh.datasync.bind(fh);
      fh.datasync = async () => {
        events.push('datasync');
        return datasync();
      };
      return fh;
    }) as typeof open;
    fs.promises.rename = (async (...args: Parameters<typeof rename>) => {
      events.push('rename');
      return rename(...args);
    }) as typeof rename;
    try {
      const blobs = new BlobStore(dir);
      const body = Buffer.from('From: a@example.test\r\n\r\nhello\r\n');
      const hash = await blobs.putAsync(body);
      assert.deepEqual(events, ['datasync', 'rename']);
      assert.deepEqual(blobs.get(hash), body);
      assert.deepEqual(fs.readdirSync(path.join(dir, hash.slice(0, 2))), [hash], 'no temporary file is left');
    } finally {
      fs.promises.open = open;
      fs.promises.rename = rename;
    }
  });
});
