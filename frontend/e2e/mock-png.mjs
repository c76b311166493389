// A tiny PNG encoder for the mock server's QR images. The picture only looks
// like a QR code, with finder squares and a pattern derived from the content,
// and no reader can decode it. The real server draws real codes.
import { createHash } from "node:crypto";
import { deflateSync } from "node:zlib";

const MODULES = 29;
const SCALE = 8;
const QUIET = 2;

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) {
    c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) {
    c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

function isFinder(x, y) {
  const corners = [
    [0, 0],
    [MODULES - 7, 0],
    [0, MODULES - 7],
  ];
  for (const [cx, cy] of corners) {
    const dx = x - cx;
    const dy = y - cy;
    if (dx >= 0 && dx < 7 && dy >= 0 && dy < 7) {
      const ring = Math.min(dx, dy, 6 - dx, 6 - dy);
      return { dark: ring !== 1 };
    }
  }
  return null;
}

function moduleGrid(content) {
  let seed = createHash("sha256").update(content).digest();
  const dark = [];
  for (let y = 0; y < MODULES; y++) {
    for (let x = 0; x < MODULES; x++) {
      const finder = isFinder(x, y);
      if (finder) {
        dark.push(finder.dark);
        continue;
      }
      const index = y * MODULES + x;
      if (index % 256 === 0) {
        seed = createHash("sha256").update(seed).digest();
      }
      dark.push(((seed[(index >> 3) % 32] >> (index & 7)) & 1) === 1);
    }
  }
  return dark;
}

/** Returns a grayscale PNG of a QR-like pattern for content. */
export function qrLikePng(content) {
  const dark = moduleGrid(content);
  const side = (MODULES + 2 * QUIET) * SCALE;
  const rows = [];
  for (let py = 0; py < side; py++) {
    const row = Buffer.alloc(side + 1); // filter byte 0, then one byte per pixel
    for (let px = 0; px < side; px++) {
      const x = Math.floor(px / SCALE) - QUIET;
      const y = Math.floor(py / SCALE) - QUIET;
      const inside = x >= 0 && y >= 0 && x < MODULES && y < MODULES;
      row[px + 1] = inside && dark[y * MODULES + x] ? 0 : 255;
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // grayscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
