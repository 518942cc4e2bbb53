// RecordIO as Mesos streams it: "<length in bytes>\n<record>" repeated. Feed chunks of bytes
// as they arrive; every complete record comes back decoded as UTF-8 text.
export class RecordIOReader {
  constructor() {
    this.buffer = new Uint8Array(0);
    this.decoder = new TextDecoder();
  }

  // Appends `chunk` (a Uint8Array) and returns the records it completed.
  push(chunk) {
    const joined = new Uint8Array(this.buffer.length + chunk.length);
    joined.set(this.buffer, 0);
    joined.set(chunk, this.buffer.length);
    const records = [];
    let pos = 0;
    for (;;) {
      const newline = joined.indexOf(10, pos);
      if (newline < 0) break;
      const header = this.decoder.decode(joined.subarray(pos, newline)).trim();
      if (!/^\d+$/.test(header)) {
        throw new Error(`malformed RecordIO length '${header.slice(0, 32)}'`);
      }
      const length = Number(header);
      if (joined.length - (newline + 1) < length) break;
      records.push(this.decoder.decode(joined.subarray(newline + 1, newline + 1 + length)));
      pos = newline + 1 + length;
    }
    this.buffer = joined.slice(pos);
    return records;
  }
}
