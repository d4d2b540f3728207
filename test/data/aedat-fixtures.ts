/**
 * Hand-built AEDAT 3.1 bytes for tests, written straight from the libcaer packet-header table in
 * data-formats.md §1.2 (not through the library's encoder), so decoder tests are independent of it.
 */

/** Build packets by hand from the libcaer header table (data-formats.md §1.2). */
export function packet(type: number, size: number, ovf: number, payload: Uint8Array, cap: number, valid = cap): Uint8Array {
  const b = new Uint8Array(28 + payload.length);
  const dv = new DataView(b.buffer);
  dv.setInt16(0, type, true);
  dv.setInt16(2, 1, true);
  dv.setInt32(4, size, true);
  dv.setInt32(8, 4, true);
  dv.setInt32(12, ovf, true);
  dv.setInt32(16, cap, true);
  dv.setInt32(20, cap, true);
  dv.setInt32(24, valid, true);
  b.set(payload, 28);
  return b;
}

export function polEvents(list: Array<[x: number, y: number, p: number, ts: number, valid?: boolean]>): Uint8Array {
  const b = new Uint8Array(8 * list.length);
  const dv = new DataView(b.buffer);
  list.forEach(([x, y, p, ts, valid = true], i) => {
    dv.setUint32(8 * i, ((x << 17) | (y << 2) | (p << 1) | (valid ? 1 : 0)) >>> 0, true);
    dv.setInt32(8 * i + 4, ts, true);
  });
  return b;
}

export const HEADER = "#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: DVS128\r\n#Start-Time: 2017-03-01 10:00:00 (TZ+0100)\r\n#!END-HEADER\r\n";

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

